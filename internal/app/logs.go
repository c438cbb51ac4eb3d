// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/logs/logsweb"
	"github.com/preau/preau/internal/logs/syslogd"
	"github.com/preau/preau/internal/monitor/probes"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

// LogSink is where services write their high-volume records (proxy
// decisions, DNS queries, supervision …): the sealed log store, or
// logs.Discard when it is disabled. Build services with a.LogSink() after
// New; it never returns nil.
func (a *App) LogSink() logs.Sink {
	if a == nil || a.logs == nil {
		return logs.Discard{}
	}
	return a.logs
}

// LogStore returns the log store, nil when disabled (tests, commands).
func (a *App) LogStore() *logs.Store { return a.logs }

// openLogStore opens the sealed log store of a data folder (shared by the
// server and the `preau logs` commands).
func openLogStore(ctx context.Context, b *base, bs blob.Store) (*logs.Store, error) {
	spool := filepath.Join(b.cfg.Data, "logs-spool")
	watched := []string{spool}
	if d := blobFolder(b.cfg); d != "" {
		watched = append(watched, d)
	}
	st, err := logs.Open(ctx, logs.Config{Blobs: bs, Key: b.key, Spool: spool,
		Node: b.cfg.Logs.Node, FsyncInterval: b.cfg.Logs.FsyncInterval, SealInterval: b.cfg.Logs.SealInterval,
		DiskUsage: probes.DiskUsage, DiskPaths: watched, DiskWarn: b.cfg.Logs.DiskWarn, DiskCritical: b.cfg.Logs.DiskCritical,
		Clock: b.clock, Log: b.log.With("svc", "logs")})
	if err != nil {
		return nil, fmt.Errorf("opening the log store: %w", err)
	}
	return st, nil
}

func (a *App) openLogs(ctx context.Context) error {
	if a.cfg.Logs.Disabled {
		return nil
	}
	st, err := openLogStore(ctx, a.base, a.blobs)
	if err != nil {
		return err
	}
	a.logs = st
	a.closers = append(a.closers, func(context.Context) error { return st.Close() })
	return nil
}

// startLogs starts the syslog listeners and the retention purge.
func (a *App) startLogs(ctx context.Context) error {
	if a.logs == nil {
		return nil
	}
	a.goBackground(ctx, "logs-retention", a.purgeLogs)
	a.goBackground(ctx, "logs-schedule", a.runLogScheduler) // saved-query reports, archives (logs_reports.go)
	if err := a.startForward(ctx); err != nil {
		return err
	}
	if a.cfg.Listen.Syslog == "" && a.cfg.Listen.SyslogTLS == "" {
		return nil
	}
	log := a.log.With("svc", "syslog")
	mapper := &zoneMapper{db: a.db, ttl: 30 * time.Second}
	srv := syslogd.New(syslogd.Config{Sink: a.logs, Mapper: mapper, Clock: a.clock, Log: log})
	serve := func(name string, fn func() error) {
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			if err := fn(); err != nil && !errors.Is(err, syslogd.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				a.log.Error("syslog server stopped", "listener", name, "err", err)
			}
		}()
	}
	if addr := a.cfg.Listen.Syslog; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listening for syslog on %s: %w", addr, err)
		}
		// UDP on the same port as TCP (a 0 port picks TCP's).
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err != nil {
			ln.Close()
			return fmt.Errorf("listening for syslog on %s/udp: %w", addr, err)
		}
		a.mu.Lock()
		a.listeners["syslog"] = ln
		a.mu.Unlock()
		serve("syslog-tcp", func() error { return srv.Serve(ln) })
		serve("syslog-udp", func() error { return srv.ServePacket(pc) })
		log.Info("listening", "service", "syslog", "addr", ln.Addr().String(), "transports", "udp+tcp")
	}
	if addr := a.cfg.Listen.SyslogTLS; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listening for syslog-tls on %s: %w", addr, err)
		}
		a.mu.Lock()
		a.listeners["syslog-tls"] = ln
		a.mu.Unlock()
		tcfg := a.pki.TLSConfig()
		if caFile := a.cfg.Logs.SyslogClientCA; caFile != "" {
			pem, err := os.ReadFile(caFile)
			pool := x509.NewCertPool()
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				ln.Close()
				return fmt.Errorf("logs.syslog_client_ca: %s holds no readable PEM certificate", caFile)
			}
			tcfg = tcfg.Clone()
			tcfg.ClientCAs, tcfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
		tl := tls.NewListener(ln, tcfg)
		serve("syslog-tls", func() error { return srv.Serve(tl) })
		log.Info("listening", "service", "syslog-tls", "addr", ln.Addr().String())
	}
	a.closers = append(a.closers, srv.Shutdown)
	return nil
}

func (a *App) printLogListeners(out io.Writer) {
	if addr := a.Addr("syslog"); addr != "" {
		fmt.Fprintf(out, "Syslog (UDP and TCP, RFC 3164/5424): %s\n", addr)
	}
	if addr := a.Addr("syslog-tls"); addr != "" {
		fmt.Fprintf(out, "Syslog over TLS (RFC 5425): %s\n", addr)
	}
}

// zoneMapper maps a sender address to the establishment whose network
// zones contain it (the narrowest range wins), from a cache refreshed
// every ttl.
type zoneMapper struct {
	db  *store.DB
	ttl time.Duration

	mu     sync.Mutex
	loaded time.Time
	zones  []*directory.Zone
}

func (m *zoneMapper) EstablishmentOf(addr netip.Addr) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.loaded) > m.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if zs, err := m.db.FindZones(ctx, ""); err == nil {
			m.zones = zs
		}
		cancel()
		m.loaded = time.Now()
	}
	best, bits := "", -1
	for _, z := range m.zones {
		for _, c := range z.CIDRs {
			if c.Contains(addr) && c.Bits() > bits {
				best, bits = z.Establishment, c.Bits()
			}
		}
	}
	return best
}

// retentionPolicy returns the retention of each stream: the
// establishment's setting or the class default.
func retentionPolicy(ctx context.Context, db *store.DB) (logs.Policy, error) {
	rs, err := db.LogRetentions(ctx)
	if err != nil {
		return nil, err
	}
	set := map[logs.Stream]int{}
	for _, r := range rs {
		set[logs.Stream{Class: r.Class, Establishment: r.Establishment}] = r.Days
	}
	return func(s logs.Stream) int {
		if d, ok := set[s]; ok {
			return d
		}
		return logs.DefaultPolicy(s)
	}, nil
}

// purgeLogs deletes sealed segments past their retention, once at start
// and then daily, and at once when the log disk becomes critically full
// (docs/logs.md, disk alerts), journaling what it deleted.
func (a *App) purgeLogs(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:retention", core.ChannelJob))
	for {
		if err := purgeLogsOnce(jctx, a.db, a.logs, a.clock.Now()); err != nil && ctx.Err() == nil {
			a.log.Error("log retention purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		case <-a.logs.DiskAlarm():
		}
	}
}

func purgeLogsOnce(ctx context.Context, db *store.DB, st *logs.Store, now time.Time) error {
	policy, err := retentionPolicy(ctx, db)
	if err != nil {
		return err
	}
	purged, err := st.Purge(ctx, now, policy)
	if len(purged) > 0 {
		if jerr := db.JournalLogPurge(ctx, purged); jerr != nil {
			return errors.Join(err, jerr)
		}
	}
	return err
}

// routeLogs mounts the log consultation pages: holders of logs.read (and
// establishment admins) only, always with strong authentication
// (MCO-JAL-7), whatever auth.strong_for says.
func (a *App) routeLogs(mux *http.ServeMux, rd *web.Renderer) error {
	if a.logs == nil {
		return nil
	}
	h, err := logsweb.New(logsweb.Deps{Store: a.logs, Journal: a.db, Directory: a.dir, Clock: a.clock,
		Retentions: func(ctx context.Context) ([]logsweb.Retention, error) {
			rs, err := a.db.LogRetentions(ctx)
			out := make([]logsweb.Retention, 0, len(rs))
			for _, r := range rs {
				out = append(out, logsweb.Retention{Establishment: r.Establishment, Class: r.Class, Days: r.Days})
			}
			return out, err
		},
		SetRetention: a.db.SetLogRetention, Queries: a.db, Reports: a.blobs, Loc: time.Local}, rd)
	if err != nil {
		return err
	}
	require := func(next http.Handler) http.Handler {
		return authweb.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := core.PrincipalFromContext(r.Context())
			if !logsweb.Allowed(p) {
				est := ""
				if len(p.Establishments) > 0 {
					est = p.Establishments[0]
				}
				web.Error(w, r, web.RightRefusal(r.Context(), core.RightLogsRead, est))
				return
			}
			authweb.RequireStrong(next).ServeHTTP(w, r)
		}))
	}
	h.Routes(mux, require)
	return nil
}

// logAnnexSource is the charter annex's section on logs: the live
// retention of each log class of the establishment (MCO-JAL-4).
func (a *App) logAnnexSource() charter.Source {
	if a.logs == nil {
		return charter.LogSource(a.cfg.Journal.Retention, false)
	}
	labels := map[logs.Class]string{
		logs.ClassConnection: "Données de connexion (accès au web, requêtes DNS, Wi-Fi, authentification)",
		logs.ClassSystem:     "Journaux système et des équipements réseau",
		logs.ClassSecurity:   "Événements de sécurité",
	}
	return charter.LogRetentionSource(a.cfg.Journal.Retention, func(ctx context.Context, est string) ([]charter.LogRetention, error) {
		policy, err := retentionPolicy(ctx, a.db)
		if err != nil {
			return nil, err
		}
		var out []charter.LogRetention
		for _, r := range logs.Rules {
			out = append(out, charter.LogRetention{Label: labels[r.Class], Days: policy(logs.Stream{Class: r.Class, Establishment: est}),
				Basis: r.BasisFR})
		}
		return out, nil
	})
}

// startForward ships sealed segments to the central collector named by
// logs.forward_to, over mutual TLS (MCO-JAL-8).
func (a *App) startForward(ctx context.Context) error {
	c := a.cfg.Logs
	if a.logs == nil || c.ForwardTo == "" {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(c.ForwardCert, c.ForwardKey)
	if err != nil {
		return fmt.Errorf("logs.forward_cert/forward_key: %w", err)
	}
	caPEM, err := os.ReadFile(c.ForwardCA)
	if err != nil {
		return fmt.Errorf("logs.forward_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("logs.forward_ca: %s holds no PEM certificate", c.ForwardCA)
	}
	host, _, _ := net.SplitHostPort(c.ForwardTo)
	fw := &logs.Forwarder{Store: a.logs, Cursor: filepath.Join(a.cfg.Data, "logs-forward.json"), Log: a.log.With("svc", "logs-forward"),
		Dial: func(ctx context.Context) (net.Conn, error) {
			d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 15 * time.Second},
				Config: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: host, MinVersion: tls.VersionTLS12}}
			return d.DialContext(ctx, "tcp", c.ForwardTo)
		}}
	a.goBackground(ctx, "logs-forward", fw.Run)
	return nil
}
