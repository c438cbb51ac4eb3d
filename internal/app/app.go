// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/pki"
)

// App is one running Préau node: the domain services, the web front and the
// listeners. Build it with New, then Start it; Shutdown stops it.
type App struct {
	*base
	blobs bloburl.Store
	pki   *pki.PKI
	files *files.Service // storage (UTI-ESF): WebDAV and the web file manager
	logs  *logs.Store    // nil when disabled: use LogSink

	charter *charter.Service // set by charterPages; WebDAV refuses who has charters to accept

	handler http.Handler // the HTTPS handler (tests call it directly)
	ready   readiness

	mu        sync.Mutex
	servers   []*http.Server
	listeners map[string]net.Listener
	bg        sync.WaitGroup
	stop      context.CancelFunc
	closers   []func(context.Context) error // protocol servers' Shutdown, in start order
	mon       *monitorParts                 // supervision (monitor.go)
	filterN   filterNode                    // the content filter (filter.go)
	filterL   filterListsSlot               // the lists' uploads and downloads (filter_lists.go)
	inet      *internetCounter              // the proxy's decisions counted for supervision (filter_stats.go)
}

// Options are what New needs beyond the configuration.
type Options struct {
	Clock core.Clock   // default core.SystemClock
	Log   *slog.Logger // default: from cfg.Log to stderr
}

// New opens the store, the blob store and the TLS material, and builds the
// services and the HTTP handler. It binds no port: Start does.
func New(ctx context.Context, cfg config.File, opt Options) (*App, error) {
	if opt.Clock == nil {
		opt.Clock = core.SystemClock{}
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	b, err := openBase(ctx, cfg, opt.Log, opt.Clock)
	if err != nil {
		return nil, err
	}
	a := &App{base: b, listeners: map[string]net.Listener{}}
	ok := false
	defer func() {
		if !ok {
			if a.logs != nil {
				a.logs.Close()
			}
			b.Close()
		}
	}()
	if a.blobs, err = bloburl.Open(ctx, cfg.Blobs, filepath.Join(cfg.Data, "blobs"), nil); err != nil {
		return nil, fmt.Errorf("opening the blob store: %w", err)
	}
	a.files = a.filesService(a.blobs)
	a.pki, err = pki.Load(pki.Config{CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile, Hosts: tlsHosts(cfg)},
		filepath.Join(cfg.Data, "tls"), opt.Clock)
	if err != nil {
		return nil, fmt.Errorf("preparing TLS: %w", err)
	}
	if err := a.openLogs(ctx); err != nil {
		return nil, err
	}
	if a.handler, err = a.routes(); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// tlsHosts returns the host names the certificate covers: the configured
// ones plus the hosts of the listen addresses.
func tlsHosts(cfg config.File) []string {
	hosts := append([]string{}, cfg.TLS.Hosts...)
	if h, _, err := net.SplitHostPort(cfg.Listen.HTTPS); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	return hosts
}

// Start binds the listeners and serves. Listen errors (port in use) are
// returned at once. Background jobs start here.
func (a *App) Start(ctx context.Context) error {
	ctx, a.stop = context.WithCancel(context.WithoutCancel(ctx))
	tlsCfg := a.pki.TLSConfig()
	if err := a.serve("https", a.cfg.Listen.HTTPS, a.handler, func(ln net.Listener) net.Listener {
		return tlsListener(ln, tlsCfg)
	}); err != nil {
		return err
	}
	if a.cfg.Listen.HTTP != "" {
		if err := a.serve("http", a.cfg.Listen.HTTP, a.plainHandler(), nil); err != nil {
			a.Shutdown(context.Background())
			return err
		}
	}
	if err := a.startLDAP(ctx); err != nil {
		a.Shutdown(context.Background())
		return err
	}
	if err := a.startLogs(ctx); err != nil {
		a.Shutdown(context.Background())
		return err
	}
	if err := a.startFilter(ctx); err != nil {
		a.Shutdown(context.Background())
		return err
	}
	a.goBackground(ctx, "leavers", a.deleteLeavers)
	a.goBackground(ctx, "auth-purge", a.purgeAuthState)
	a.goBackground(ctx, "breakglass-expiry", a.expireBreakGlass)
	a.goBackground(ctx, "files-retention", a.maintainFiles)
	a.goBackground(ctx, "backup-scheduler", a.backupScheduler)
	a.goBackground(ctx, "internet-counts", a.flushInternet)
	a.runMonitor(ctx)
	if a.cfg.Journal.Retention > 0 {
		a.goBackground(ctx, "journal-retention", a.purgeJournal)
	}
	return nil
}

// deleteLeavers deletes, at start and then daily, the accounts whose grace
// period after leaving has ended.
func (a *App) deleteLeavers(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:leavers", core.ChannelJob))
	for {
		n, err := a.db.DeleteExpired(jctx, a.clock.Now())
		if err != nil && ctx.Err() == nil {
			a.log.Error("deleting leavers failed", "err", err)
		} else if n > 0 {
			a.log.Info("leavers deleted after their grace period", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

// purgeAuthState deletes dead sessions and what they left (refresh
// tokens, application logins, expired tickets), at start and then hourly.
func (a *App) purgeAuthState(ctx context.Context) {
	for {
		n, err := a.db.PurgeAuthState(ctx, a.clock.Now())
		if err != nil && ctx.Err() == nil {
			a.log.Error("purging expired sessions failed", "err", err)
		} else if n > 0 {
			a.log.Info("expired sessions purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// purgeJournal deletes journal entries past the configured retention, once
// at start and then daily, behind signed checkpoints (design §3).
func (a *App) purgeJournal(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:retention", core.ChannelJob))
	for {
		n, err := a.db.PurgeJournal(jctx, a.clock.Now().Add(-a.cfg.Journal.Retention))
		if err != nil && ctx.Err() == nil {
			a.log.Error("journal retention purge failed", "err", err)
		} else if n > 0 {
			a.log.Info("journal retention purge", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

func (a *App) serve(name, addr string, h http.Handler, wrap func(net.Listener) net.Listener) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for %s on %s: %w", name, addr, err)
	}
	a.mu.Lock()
	a.listeners[name] = ln
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)}
	a.servers = append(a.servers, srv)
	a.mu.Unlock()
	if wrap != nil {
		ln = wrap(ln)
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("server stopped", "listener", name, "err", err)
		}
	}()
	a.log.Info("listening", "service", name, "addr", ln.Addr().String())
	return nil
}

// Addr returns the bound address of a listener ("https", "http").
func (a *App) Addr(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ln := a.listeners[name]; ln != nil {
		return ln.Addr().String()
	}
	return ""
}

// goBackground runs fn until ctx ends, recovering and logging a panic.
func (a *App) goBackground(ctx context.Context, name string, fn func(ctx context.Context)) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("background job panicked", "job", name, "panic", r)
			}
		}()
		fn(ctx)
	}()
}

// Shutdown stops serving, waits for requests and background jobs to end
// (within ctx), and closes the store.
func (a *App) Shutdown(ctx context.Context) error {
	if a.stop != nil {
		a.stop()
	}
	a.mu.Lock()
	servers := a.servers
	a.servers = nil
	a.mu.Unlock()
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i](ctx))
	}
	a.closers = nil
	for i := len(servers) - 1; i >= 0; i-- {
		errs = append(errs, servers[i].Shutdown(ctx))
	}
	done := make(chan struct{})
	go func() { a.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("background jobs still running at shutdown"))
	}
	errs = append(errs, a.Close())
	return errors.Join(errs...)
}
