// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package config loads the bootstrap configuration: a TOML file, then
// environment variables (PREAU_<SECTION>_<KEY>, and PREAU_…_FILE to read a
// secret from a file), then command-line flags. It holds bootstrap only —
// listeners, data folder, database, blobs, TLS, relay — since every setting
// an admin edits lives in the store (design §2).
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
)

// CurrentSchemaVersion is the config file format this binary writes.
const CurrentSchemaVersion = 1

// File is the whole bootstrap configuration.
type File struct {
	SchemaVersion int         `toml:"schema_version"`
	Data          string      `toml:"data"`  // data folder
	DB            string      `toml:"db"`    // "" (SQLite in the data folder), path, or postgres://…
	Blobs         string      `toml:"blobs"` // "" (the data folder), path, or s3://…
	Listen        Listen      `toml:"listen"`
	LDAP          LDAP        `toml:"ldap"`
	Directory     Directory   `toml:"directory"`
	TLS           TLS         `toml:"tls"`
	Auth          auth.Config `toml:"auth"`
	Mail          Mail        `toml:"mail"`
	Journal       Journal     `toml:"journal"`
	Logs          Logs        `toml:"logs"`
	Web           Web         `toml:"web"`
	Monitor       Monitor     `toml:"monitor"`
	Log           Log         `toml:"log"`
	Files         Files       `toml:"files"`
	Filter        Filter      `toml:"filter"`
}

// Files holds the storage service's bootstrap settings.
type Files struct {
	// Clamd is the ClamAV daemon's socket ("unix:/run/clamav/clamd.ctl" or
	// "tcp:127.0.0.1:3310"); uploads are scanned when set.
	Clamd string `toml:"clamd"`
}

// Listen holds the listen addresses (design §4). An empty address disables
// that listener.
type Listen struct {
	HTTPS string `toml:"https"`
	HTTP  string `toml:"http"`
	LDAP  string `toml:"ldap"`  // LDAP with StartTLS
	LDAPS string `toml:"ldaps"` // LDAP over TLS
	// Syslog receives syslog over UDP and TCP (RFC 5426, RFC 6587) on the
	// same address; SyslogTLS over TLS (RFC 5425) with the node's certificate.
	Syslog    string `toml:"syslog"`
	SyslogTLS string `toml:"syslog_tls"`
	Proxy     string `toml:"proxy"`     // filtering web proxy (HTTP, CONNECT)
	ProxyTLS  string `toml:"proxy_tls"` // the same proxy over TLS (PAC can point browsers to it)
	DNS       string `toml:"dns"`       // filtering DNS resolver (UDP and TCP)
}

// Filter holds the content filter's bootstrap settings; its rules live in
// the store.
type Filter struct {
	Lists           string   `toml:"lists"`             // UT1 archive or folder; default <data>/filter/lists.tar.gz
	ListsURL        string   `toml:"lists_url"`         // where 'preau filter fetch' downloads from; default UT1's blacklists.tar.gz
	DNSUpstreams    []string `toml:"dns_upstreams"`     // host:port; default the system's resolvers
	DNSBlockAddress string   `toml:"dns_block_address"` // address answered for blocked names; empty: NXDOMAIN
	ProxyVia        bool     `toml:"proxy_via"`         // add a Via header upstream
	ProxyForwardFor bool     `toml:"proxy_forward_for"` // pass the client address in X-Forwarded-For
	LogAllowedDNS   bool     `toml:"log_allowed_dns"`   // record allowed DNS queries too
	// ProxyAllowDestinations opens internal ranges (CIDR) that the proxy
	// otherwise refuses: loopback, link-local, private networks.
	ProxyAllowDestinations []string `toml:"proxy_allow_destinations"`
	// TLSInterception lets the profiles that ask for it (their settings'
	// "intercept") have their HTTPS decrypted by the proxy, with the
	// interception CA kept in <data>/filter and served at
	// /filter-ca.crt for managed devices; off by default (privacy cost:
	// docs/filtering.md).
	TLSInterception bool `toml:"tls_interception"`
}

// Directory holds the directory's bootstrap settings.
type Directory struct {
	// LeaverGrace is how long an account disabled because it left the
	// national files is kept before it is deleted; default 30 days.
	LeaverGrace time.Duration `toml:"leaver_grace"`
}

// LDAP holds the directory server's bootstrap settings.
type LDAP struct {
	BaseDN         string `toml:"base_dn"`         // default dc=preau
	AllowAnonymous bool   `toml:"allow_anonymous"` // default false: anonymous reads the rootDSE only
	// AllowPlainBindRemote allows simple binds without TLS from non-loopback
	// addresses (INF-ANN-5 forbids it; only for a legacy device on a
	// trusted wire).
	AllowPlainBindRemote bool `toml:"allow_plain_bind_remote"`
}

// TLS says which certificate to serve.
type TLS struct {
	CertFile string   `toml:"cert_file"` // operator-provided certificate (PEM), with KeyFile
	KeyFile  string   `toml:"key_file"`
	Hosts    []string `toml:"hosts"` // names and addresses for the self-managed certificate
}

// Mail is the outbound relay (smart host) for notifications and alerts.
type Mail struct {
	Relay    string        `toml:"relay"` // host:port; empty disables outbound mail
	From     string        `toml:"from"`
	Username string        `toml:"username"`
	Password string        `toml:"password" secret:"true"`
	TLS      string        `toml:"tls"` // starttls (default), tls, none
	Timeout  time.Duration `toml:"timeout"`
}

// Journal holds the journal's bootstrap settings.
type Journal struct {
	KeyFile   string        `toml:"key_file"`  // Ed25519 key signing checkpoints; default <data>/keys/journal.ed25519
	Retention time.Duration `toml:"retention"` // 0 keeps everything
}

// Logs holds the log store's bootstrap settings (docs/logs.md).
type Logs struct {
	Disabled      bool          `toml:"disabled"`       // no log store: services log to logs.Discard
	Node          string        `toml:"node"`           // this node's name in segment keys; default "local"
	FsyncInterval time.Duration `toml:"fsync_interval"` // default 1s: the most a crash loses
	SealInterval  time.Duration `toml:"seal_interval"`  // default 5m: how often open segments are sealed
	// DiskWarn and DiskCritical are the percentages of the log disk used
	// (spool and local blobs) at which the "logs" self-check alerts
	// (defaults 85 and 95); at DiskCritical the store seals every minute
	// and purges what is past retention (docs/logs.md, disk alerts).
	DiskWarn     int `toml:"disk_warn"`
	DiskCritical int `toml:"disk_critical"`
	// ForwardTo ships sealed segments to a central syslog-TLS collector
	// (host:port, RFC 5425) with mutual TLS: ForwardCA verifies the
	// collector, ForwardCert/ForwardKey (PEM files) authenticate this node.
	ForwardTo   string `toml:"forward_to"`
	ForwardCA   string `toml:"forward_ca"`
	ForwardCert string `toml:"forward_cert"`
	ForwardKey  string `toml:"forward_key"`
	// SyslogClientCA (PEM file), when set, makes the syslog-TLS listener
	// require client certificates it signed: a central node receiving
	// establishments' forwarded logs over mutual TLS.
	SyslogClientCA string `toml:"syslog_client_ca"`
}

// Web holds settings of the HTTP front.
type Web struct {
	PublicURL      string   `toml:"public_url"`      // e.g. https://preau.college.example; default from the HTTPS listener
	TrustedProxies []string `toml:"trusted_proxies"` // CIDRs whose X-Forwarded-For is believed
	MetricsToken   string   `toml:"metrics_token" secret:"true"`
}

// Monitor holds the supervision's bootstrap settings.
type Monitor struct {
	SelfInterval time.Duration `toml:"self_interval"` // interval of the self-checks; default 30s
}

// Log holds logging settings.
type Log struct {
	Level  string `toml:"level"`  // debug, info (default), warn, error
	Format string `toml:"format"` // text (default) or json
}

// Default returns the configuration used when nothing is set.
func Default() File {
	f := File{
		SchemaVersion: CurrentSchemaVersion,
		Data:          "./preau-data",
		Listen: Listen{HTTPS: "127.0.0.1:8443", HTTP: "127.0.0.1:8080", LDAP: "127.0.0.1:1389",
			LDAPS: "127.0.0.1:1636", Syslog: "127.0.0.1:1514", SyslogTLS: "127.0.0.1:6514",
			Proxy: "127.0.0.1:3128", ProxyTLS: "127.0.0.1:3129", DNS: "127.0.0.1:1053"},
		LDAP:      LDAP{BaseDN: "dc=preau"},
		Directory: Directory{LeaverGrace: 30 * 24 * time.Hour},
		TLS:       TLS{Hosts: []string{"localhost"}},
		Mail:      Mail{TLS: "starttls", Timeout: 30 * time.Second},
		Log:       Log{Level: "info", Format: "text"},
		Monitor:   Monitor{SelfInterval: 30 * time.Second},
	}
	f.Auth.Defaults()
	return f
}

// Validate returns every problem of f at once.
func (f *File) Validate() error {
	var errs []error
	if f.SchemaVersion != CurrentSchemaVersion {
		errs = append(errs, fmt.Errorf("schema_version %d is not supported (this preau reads %d)", f.SchemaVersion, CurrentSchemaVersion))
	}
	if strings.TrimSpace(f.Data) == "" {
		errs = append(errs, errors.New("data: the data folder must be set"))
	}
	if f.DB != "" && strings.Contains(f.DB, "://") && !strings.HasPrefix(f.DB, "postgres://") && !strings.HasPrefix(f.DB, "postgresql://") {
		errs = append(errs, fmt.Errorf("db: %q is neither a file path nor a postgres:// URL", redact(f.DB)))
	}
	if f.Blobs != "" && strings.Contains(f.Blobs, "://") && !strings.HasPrefix(f.Blobs, "s3://") && !strings.HasPrefix(f.Blobs, "file://") {
		errs = append(errs, fmt.Errorf("blobs: %q is neither a folder nor an s3:// or file:// URL", f.Blobs))
	}
	for name, addr := range map[string]string{"listen.https": f.Listen.HTTPS, "listen.http": f.Listen.HTTP,
		"listen.ldap": f.Listen.LDAP, "listen.ldaps": f.Listen.LDAPS, "listen.syslog": f.Listen.Syslog,
		"listen.syslog_tls": f.Listen.SyslogTLS, "listen.proxy": f.Listen.Proxy, "listen.proxy_tls": f.Listen.ProxyTLS,
		"listen.dns": f.Listen.DNS} {
		if addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, addr))
		}
	}
	if f.Listen.HTTPS == "" {
		errs = append(errs, errors.New("listen.https: the HTTPS listener is required"))
	}
	if !validBaseDN(f.LDAP.BaseDN) {
		errs = append(errs, fmt.Errorf("ldap.base_dn: %q is not a DN of dc= components such as dc=preau or dc=college,dc=example", f.LDAP.BaseDN))
	}
	if (f.TLS.CertFile == "") != (f.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: cert_file and key_file go together"))
	}
	errs = append(errs, f.Auth.Validate())
	switch f.Mail.TLS {
	case "", "starttls", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("mail.tls: %q is not one of starttls, tls, none", f.Mail.TLS))
	}
	if f.Mail.Relay != "" {
		if _, _, err := net.SplitHostPort(f.Mail.Relay); err != nil {
			errs = append(errs, fmt.Errorf("mail.relay: %q is not host:port", f.Mail.Relay))
		}
		if f.Mail.From == "" {
			errs = append(errs, errors.New("mail.from: a sender address is required when mail.relay is set"))
		}
	}
	if w, c := cmp.Or(f.Logs.DiskWarn, 85), cmp.Or(f.Logs.DiskCritical, 95); w < 0 || c < 0 || w > 99 || c > 99 || w >= c {
		errs = append(errs, errors.New("logs.disk_warn, logs.disk_critical: percentages of the disk used, 1–99, the warning below the critical level"))
	}
	if f.Logs.ForwardTo != "" && (f.Logs.ForwardCert == "" || f.Logs.ForwardKey == "" || f.Logs.ForwardCA == "") {
		errs = append(errs, errors.New("logs.forward_to: forwarding uses mutual TLS: set logs.forward_ca, logs.forward_cert and logs.forward_key"))
	}
	if f.Directory.LeaverGrace < 0 {
		errs = append(errs, errors.New("directory.leaver_grace: must not be negative"))
	}
	if f.Journal.Retention != 0 && f.Journal.Retention < 24*time.Hour {
		errs = append(errs, errors.New("journal.retention: at least 24h, or 0 to keep everything"))
	}
	for _, c := range f.Filter.ProxyAllowDestinations {
		if _, _, err := net.ParseCIDR(c); err != nil {
			errs = append(errs, fmt.Errorf("filter.proxy_allow_destinations: %q is not a CIDR range", c))
		}
	}
	for _, c := range f.Web.TrustedProxies {
		if _, _, err := net.ParseCIDR(c); err != nil {
			errs = append(errs, fmt.Errorf("web.trusted_proxies: %q is not a CIDR range", c))
		}
	}
	if f.Monitor.SelfInterval != 0 && (f.Monitor.SelfInterval < time.Second || f.Monitor.SelfInterval > time.Hour) {
		errs = append(errs, errors.New("monitor.self_interval: from 1s to 1h"))
	}
	switch f.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not one of debug, info, warn, error", f.Log.Level))
	}
	return errors.Join(errs...)
}

// validBaseDN accepts dc=a[,dc=b…] with letters, digits and hyphens.
func validBaseDN(dn string) bool {
	if dn == "" {
		return false
	}
	for _, rdn := range strings.Split(dn, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(rdn), "=")
		if !ok || !strings.EqualFold(k, "dc") || v == "" {
			return false
		}
		for _, c := range v {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// redact hides the password of a URL-like DSN.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return dsn[:i+3] + rest[:c] + ":***" + rest[at:]
			}
		}
	}
	return dsn
}
