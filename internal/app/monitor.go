// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/monitor/monitorweb"
	"github.com/preau/preau/internal/monitor/probes"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

// MetricsTokenFile holds the Prometheus bearer token in the data folder
// when web.metrics_token is not set.
const MetricsTokenFile = "metrics.token"

// monitorParts is the supervision service of a node.
type monitorParts struct {
	svc    *monitor.Service
	engine *monitor.Engine
	token  string
}

// buildMonitor makes the supervision service, its engine and its self-checks.
// Each Préau service adds its probe here: one line each.
func (a *App) buildMonitor() error {
	token, err := a.metricsToken()
	if err != nil {
		return err
	}
	names := func(ctx context.Context, est string) string {
		if e, err := a.db.FindEstablishment(ctx, est); err == nil {
			return e.UAI
		}
		return ""
	}
	al := &probes.Alerter{Settings: a.alertSettings, Mail: func(ctx context.Context, to []string, subject, text string) error {
		if !a.mailer.Enabled() {
			return core.E("monitor.alert", core.Unavailable, "no mail relay is configured (mail.relay)")
		}
		_, err := a.mailer.Send(ctx, notify.Message{To: to, Subject: subject, Text: text,
			Headers: map[string]string{"X-Preau-Event": "monitor.alert"}})
		return err
	}}
	e := monitor.NewEngine(monitor.EngineDeps{Store: a.db, Checker: &probes.Checker{}, Alerter: al, Clock: a.clock,
		Log: a.log.With("svc", "monitor"), SelfInterval: a.cfg.Monitor.SelfInterval, Names: names,
		PublicURL: a.publicURL(), Logs: a.LogSink()})
	addr := func(name string) func() string { return func() string { return a.Addr(name) } }
	serverName := "localhost"
	if len(a.cfg.TLS.Hosts) > 0 {
		serverName = a.cfg.TLS.Hosts[0]
	}
	e.Register("https", probes.HTTPS(addr("https"), serverName, "/healthz", a.caPool(), 14))
	if a.cfg.Listen.HTTP != "" {
		e.Register("http", probes.Listener(addr("http")))
	}
	if a.cfg.Listen.LDAP != "" {
		e.Register("ldap", probes.Listener(addr("ldap")))
	}
	if a.cfg.Listen.LDAPS != "" {
		e.Register("ldaps", probes.Listener(addr("ldaps")))
	}
	if a.cfg.Listen.Syslog != "" && a.logs != nil {
		e.Register("syslog", probes.Listener(addr("syslog")))
	}
	if a.cfg.Listen.SyslogTLS != "" && a.logs != nil {
		e.Register("syslog-tls", probes.Listener(addr("syslog-tls")))
	}
	for _, l := range []struct{ name, addr string }{{"proxy", a.cfg.Listen.Proxy}, {"proxy_tls", a.cfg.Listen.ProxyTLS},
		{"dns", a.cfg.Listen.DNS}} {
		if l.addr != "" {
			e.Register(l.name, probes.Listener(addr(l.name)))
		}
	}
	if a.cfg.Listen.Proxy != "" || a.cfg.Listen.DNS != "" {
		e.Register("filter-lists", a.filterListsProbe())
	}
	if a.logs != nil {
		e.Register("logs", logStoreProbe(a.logs.Stats))
	}
	e.Register("backup", a.backupProbe())
	e.Register("disk", probes.Disk(a.cfg.Data, 0.05))
	e.Register("memory", probes.Memory(0.05))
	svc := monitor.NewService(monitor.Deps{Store: a.db, Clock: a.clock, Log: a.log.With("svc", "monitor"),
		Notify: personIDNotifier{a}, Admins: a.establishmentAdmins, Triagers: a.requestTriagers,
		PersonName: func(ctx context.Context, id string) string {
			if p, err := a.db.FindPerson(ctx, id); err == nil {
				return p.DisplayName
			}
			return ""
		}})
	a.mon = &monitorParts{svc: svc, engine: e, token: token}
	return nil
}

// metricsToken returns web.metrics_token, or the token of the data folder,
// made on first use (URL-safe, 32 random bytes).
func (a *App) metricsToken() (string, error) {
	if t := strings.TrimSpace(a.cfg.Web.MetricsToken); t != "" {
		return t, nil
	}
	path := filepath.Join(a.cfg.Data, MetricsTokenFile)
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the metrics token: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	if err := fsutil.WriteFile(path, 0o600, true, func(w io.Writer) error {
		_, err := io.WriteString(w, t+"\n")
		return err
	}); err != nil {
		return "", fmt.Errorf("writing the metrics token: %w", err)
	}
	return t, nil
}

// caPool trusts Préau's own CA, for the HTTPS self-check.
func (a *App) caPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(a.pki.CACertPEM())
	return pool
}

// MetricsToken returns the bearer token of /metrics.
func (a *App) MetricsToken() string { return a.mon.token }

// alertSettings reads where alerts go.
func (a *App) alertSettings(ctx context.Context) (probes.AlertSettings, error) {
	var s probes.AlertSettings
	get := func(name string) (string, error) {
		v, err := a.db.Setting(ctx, monitorweb.SettingScope, name)
		if core.IsKind(err, core.NotFound) {
			return "", nil
		}
		return v, err
	}
	oncall, err := get(monitorweb.SettingOnCall)
	if err != nil {
		return s, err
	}
	for _, m := range strings.Split(oncall, ",") {
		if m = strings.TrimSpace(m); m != "" {
			s.OnCall = append(s.OnCall, m)
		}
	}
	if s.Webhook, err = get(monitorweb.SettingWebhook); err != nil {
		return s, err
	}
	s.Secret, err = get(monitorweb.SettingSecret)
	return s, err
}

// establishmentAdmins lists the technical admins of an establishment, who
// are told of a new request.
func (a *App) establishmentAdmins(ctx context.Context, est string) ([]string, error) {
	people, _, err := a.db.FindPeople(ctx, directory.PersonFilter{Establishments: []string{est},
		Profile: string(core.ProfileAdmin), State: string(directory.Active), Limit: 20})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, p.ID)
	}
	return ids, nil
}

// requestTriagers lists the active administrators and heads of est, to
// whom a help request can be assigned.
func (a *App) requestTriagers(ctx context.Context, est string) ([]monitor.Triager, error) {
	var out []monitor.Triager
	for _, pr := range []core.Profile{core.ProfileAdmin, core.ProfileHead} {
		people, _, err := a.db.FindPeople(ctx, directory.PersonFilter{Establishments: []string{est},
			Profile: string(pr), State: string(directory.Active), Limit: 50})
		if err != nil {
			return nil, err
		}
		for _, p := range people {
			if !p.Service {
				out = append(out, monitor.Triager{ID: p.ID, Login: p.Login, Name: p.DisplayName})
			}
		}
	}
	return out, nil
}

// personIDNotifier tells a person by ID (portal notice, mail when they have
// an address).
type personIDNotifier struct{ a *App }

func (n personIDNotifier) NotifyPerson(ctx context.Context, id, subject, body string) error {
	p, err := n.a.db.FindPerson(ctx, id)
	if err != nil {
		return err
	}
	return n.a.notifier.Notify(ctx, notify.Recipient{PersonID: p.ID, Login: p.Login, Mail: p.Mail,
		Establishment: p.MainEstablishment()}, subject, body)
}

// routeMonitor mounts the supervision pages, the helpdesk and /metrics.
// Reading supervision data needs monitor.read or the administration of an
// establishment (MCO-SEI-9), with strong authentication where the console
// requires it (MCO-SEI-10).
func (a *App) routeMonitor(mux *http.ServeMux, rd *web.Renderer, strong bool) error {
	if err := a.buildMonitor(); err != nil {
		return err
	}
	var reload sync.Mutex
	h, err := monitorweb.New(monitorweb.Deps{Service: a.mon.svc, Engine: a.mon.engine, Directory: a.dir,
		Settings: a.db, Renderer: rd, Clock: a.clock, Internet: a.db.InternetUse,
		Charts: func(r *http.Request) ([]web.Chart, error) {
			counts, err := a.db.PeopleStats(r.Context(), monitor.ReadScope(core.PrincipalFromContext(r.Context())))
			if err != nil {
				return nil, err
			}
			charts := admin.PeopleCharts(r.Context(), counts)
			more, err := a.charterCharts()(r)
			return append(charts, more...), err
		},
		Storage: func(ctx context.Context) (uint64, uint64, map[string]int64, error) {
			total, free, err := probes.DiskUsage(a.cfg.Data)
			if err != nil {
				return 0, 0, nil, err
			}
			parts, err := a.dataBytes(ctx)
			return total, free, parts, err
		},
		Changed: func() {
			if !reload.TryLock() {
				return
			}
			go func() {
				defer reload.Unlock()
				if a.mon.engine.Leader() {
					_ = a.mon.engine.Reload(context.Background())
				}
			}()
		}})
	if err != nil {
		return err
	}
	requireRead := func(next http.Handler) http.Handler {
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := core.PrincipalFromContext(r.Context())
			if !monitorReader(p) {
				est := ""
				if len(p.Establishments) > 0 {
					est = p.Establishments[0]
				}
				web.Error(w, r, web.RightRefusal(r.Context(), core.RightMonitorRead, est))
				return
			}
			next.ServeHTTP(w, r)
		})
		if strong {
			return authweb.RequireLogin(authweb.RequireStrong(inner))
		}
		return authweb.RequireLogin(inner)
	}
	h.Routes(mux, requireRead, authweb.RequireLogin)
	mux.Handle("GET "+monitorweb.MetricsPath, monitorweb.NewMetrics(a.mon.engine, func(ctx context.Context, est string) string {
		if e, err := a.db.FindEstablishment(ctx, est); err == nil {
			return e.UAI
		}
		return est
	}, a.metricsGauges(), Version, a.mon.token))
	return nil
}

// metricsGauges reads the deployment's figures for /metrics.
func (a *App) metricsGauges() monitorweb.Gauges {
	sysCtx := func(ctx context.Context) context.Context {
		return core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:metrics", core.ChannelJob))
	}
	return monitorweb.Gauges{
		People: func(ctx context.Context) (map[[2]string]int, error) {
			counts, err := a.db.PeopleStats(ctx, nil)
			m := map[[2]string]int{}
			for _, c := range counts {
				m[[2]string{string(c.Profile), string(c.State)}] += c.N
			}
			return m, err
		},
		IncidentsOpen: func(ctx context.Context) (map[string]int, error) {
			incs, err := a.db.FindIncidents(sysCtx(ctx), monitor.IncidentFilter{
				States: []monitor.IncidentState{monitor.Open, monitor.Acknowledged}, Limit: 100000})
			m := map[string]int{}
			for _, i := range incs {
				m[i.Establishment]++
			}
			return m, err
		},
		RequestsOpen: func(ctx context.Context) (map[string]int, error) {
			counts, err := a.db.RequestStats(ctx, nil, time.Time{})
			m := map[string]int{}
			for _, c := range counts {
				if c.State != monitor.ReqResolved {
					m[c.Establishment] += c.N
				}
			}
			return m, err
		},
		Disk:       func() (uint64, uint64, error) { return probes.DiskUsage(a.cfg.Data) },
		Memory:     probes.MemoryUsage,
		DataBytes:  a.dataBytes,
		CertExpiry: a.pki.ServerCertNotAfter,
	}
}

// dataBytes measures the data folder by part (data growth per service):
// the database file and each top-level folder.
func (a *App) dataBytes(context.Context) (map[string]int64, error) {
	m := map[string]int64{}
	if p := store.SQLitePath(a.cfg.DB, a.cfg.Data); p != "" {
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(p + suffix); err == nil {
				m["database"] += st.Size()
			}
		}
	}
	entries, err := os.ReadDir(a.cfg.Data)
	if err != nil {
		return m, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		var n int64
		_ = filepath.WalkDir(filepath.Join(a.cfg.Data, e.Name()), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					n += info.Size()
				}
			}
			return nil
		})
		m[e.Name()] = n
	}
	return m, nil
}

// runMonitor runs the check engine (on the node holding the lease) and,
// daily, merges the hourly history older than two days into days and
// purges it past 400 days.
func (a *App) runMonitor(ctx context.Context) {
	a.goBackground(ctx, "monitor", func(ctx context.Context) {
		jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:monitor", core.ChannelJob))
		if err := a.mon.engine.Run(jctx); err != nil && ctx.Err() == nil {
			a.log.Error("the check engine stopped", "err", err)
		}
	})
	a.goBackground(ctx, "monitor-retention", func(ctx context.Context) {
		for {
			if n, err := a.db.DownsampleSamples(ctx, a.clock.Now().Add(-48*time.Hour)); err != nil && ctx.Err() == nil {
				a.log.Warn("downsampling the check history", "err", err)
			} else if n > 0 {
				a.log.Info("check history downsampled to days", "merged", n)
			}
			if err := a.db.RecomputeWindows(ctx, a.clock.Now().Add(-monitorweb.Period)); err != nil && ctx.Err() == nil {
				a.log.Warn("recomputing the dashboards' window", "err", err)
			}
			if n, err := a.db.PurgeSamples(ctx, a.clock.Now().Add(-400*24*time.Hour)); err != nil && ctx.Err() == nil {
				a.log.Warn("purging the check history", "err", err)
			} else if n > 0 {
				a.log.Info("check history purged", "samples", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(24 * time.Hour):
			}
		}
	})
}

// StopListener closes one of the node's listeners ("ldap", "https"…) while
// the rest runs on: for maintenance, and for the tests of the self-checks.
func (a *App) StopListener(name string) error {
	a.mu.Lock()
	ln := a.listeners[name]
	a.mu.Unlock()
	if ln == nil {
		return fmt.Errorf("no listener %q", name)
	}
	return ln.Close()
}

// monitorReader reports whether p may open the supervision console.
func monitorReader(p core.Principal) bool {
	return monitor.CanRead(p, "") || len(monitor.ReadScope(p)) > 0
}

// monitorTiles are the portal tiles of the helpdesk and, for those who
// may read it, of supervision.
func monitorTiles(p core.Principal) []portal.Tile {
	tiles := []portal.Tile{{Icon: "?", Title: "monitor.tile.requests", Text: "monitor.tile.requests.text", Href: monitorweb.MinePath}}
	if monitorReader(p) {
		tiles = append(tiles, portal.Tile{Icon: "♥", Title: "monitor.tile.admin", Text: "monitor.tile.admin.text", Href: monitorweb.HomePath})
	}
	return tiles
}
