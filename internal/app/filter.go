// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/dnsd"
	"github.com/preau/preau/internal/filter/filterweb"
	"github.com/preau/preau/internal/filter/proxyd"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

// filterNode is the content filter of this node: the engine the proxy, the
// DNS resolver and the pages share, and what it was last loaded from.
type filterNode struct {
	once    sync.Once
	eng     *filter.Engine
	mu      sync.Mutex
	version int64
	listsID string                   // id of the lists import in force
	ests    atomic.Pointer[[]string] // the establishments, for the client addresses
	clients clientCache
	proxy   *proxyd.Server
	sink    logs.Sink
	// bindings are the addresses portal logins bound (INF-AUT-1), cached
	// for the proxy and the DNS filter; nil when neither runs.
	bindings *filter.Bindings
	// intercept is the TLS interception CA (filter.tls_interception).
	intercept atomic.Pointer[proxyd.Interceptor]
}

// filterNodeOf returns the node's filter, built on first use.
func (a *App) filterNodeOf() *filterNode {
	a.filterN.once.Do(func() {
		a.filterN.eng = filter.NewEngine()
		a.filterN.version = -1
		a.inet = newInternetCounter(a.LogSink())
		a.filterN.sink = a.inet // to the log store (connection data, one year), counted on the way
		if a.cfg.Listen.Proxy != "" || a.cfg.Listen.ProxyTLS != "" || a.cfg.Listen.DNS != "" {
			// Portal logins bind their address for the proxy and the DNS
			// filter (INF-AUT-1); set before any listener serves.
			a.filterN.bindings = filter.NewBindings(a.boundIdentity, 5*time.Second, a.clock.Now,
				func(err error) { a.log.Warn("reading an address binding failed", "svc", "filter", "err", err) })
			a.auth.OnLogin(a.bindLogin)
		}
	})
	return &a.filterN
}

// filterListsPath is where the lists in force live: the configured path, or
// the archive `preau filter import-lists` writes in the data folder.
func filterListsPath(cfg config.File) string {
	if cfg.Filter.Lists != "" {
		return cfg.Filter.Lists
	}
	return filepath.Join(cfg.Data, "filter", "lists.tar.gz")
}

// startFilter loads the lists and policies, starts the proxy and the DNS
// resolver on their addresses ("" disables one) and keeps the engine in
// step with the store.
func (a *App) startFilter(ctx context.Context) error {
	fn := a.filterNodeOf()
	if err := a.reloadFilter(ctx, true); err != nil {
		return err
	}
	log := a.log.With("svc", "filter")
	if a.cfg.Listen.Proxy != "" || a.cfg.Listen.ProxyTLS != "" {
		var allow []netip.Prefix
		for _, c := range a.cfg.Filter.ProxyAllowDestinations {
			if p, err := netip.ParsePrefix(c); err == nil { // validated with the configuration
				allow = append(allow, p.Masked())
			}
		}
		if a.cfg.Filter.TLSInterception {
			ic, err := proxyd.LoadOrCreateInterceptCA(filepath.Join(a.cfg.Data, "filter"), "Préau", nil)
			if err != nil {
				return err
			}
			fn.intercept.Store(ic)
			log.Warn("TLS interception is on: the profiles whose settings ask for it have their HTTPS decrypted by the proxy",
				"ca_sha256", ic.Fingerprint())
		}
		fn.proxy = proxyd.New(proxyd.Config{Engine: fn.eng, Intercept: fn.intercept.Load(), Auth: proxyAuth{a}, Sink: fn.sink, Now: a.clock.Now,
			Client: a.dnsClient, Via: a.cfg.Filter.ProxyVia, XForwardedFor: a.cfg.Filter.ProxyForwardFor,
			AskURL: a.publicURL() + "filter/ask", Bindings: fn.bindings, LoginURL: a.publicURL() + "internet",
			AllowDestinations: allow}, log.With("listener", "proxy"))
		for _, l := range []struct {
			name, addr string
			tls        bool
		}{{"proxy", a.cfg.Listen.Proxy, false}, {"proxy_tls", a.cfg.Listen.ProxyTLS, true}} {
			if l.addr == "" {
				continue
			}
			ln, err := net.Listen("tcp", l.addr)
			if err != nil {
				return fmt.Errorf("listening for %s on %s: %w", l.name, l.addr, err)
			}
			a.mu.Lock()
			a.listeners[l.name] = ln
			a.mu.Unlock()
			if l.tls {
				ln = tls.NewListener(ln, a.pki.TLSConfig())
			}
			a.bg.Add(1)
			go func() {
				defer a.bg.Done()
				if err := fn.proxy.Serve(ln); err != nil && !errors.Is(err, proxyd.ErrServerClosed) {
					a.log.Error("proxy stopped", "listener", l.name, "err", err)
				}
			}()
			a.log.Info("listening", "service", l.name, "addr", ln.Addr().String())
		}
		a.closers = append(a.closers, fn.proxy.Shutdown)
	}
	if a.cfg.Listen.DNS != "" {
		var block net.IP
		if s := a.cfg.Filter.DNSBlockAddress; s != "" {
			block = net.ParseIP(s)
		}
		srv := dnsd.New(dnsd.Config{Engine: fn.eng, Upstreams: dnsUpstreams(a.cfg.Filter.DNSUpstreams), BlockA: block,
			NXDomain: block == nil, Sink: fn.sink, Client: a.dnsClient, Now: a.clock.Now, LogAllowed: a.cfg.Filter.LogAllowedDNS,
			Bindings: fn.bindings},
			log.With("listener", "dns"))
		pcs, ln, err := dnsd.Listen(a.cfg.Listen.DNS, core.CPUs())
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.listeners["dns"] = ln
		a.mu.Unlock()
		serves := []func() error{func() error { return srv.Serve(ln) }}
		for _, pc := range pcs {
			serves = append(serves, func() error { return srv.ServePacket(pc) })
		}
		for _, serve := range serves {
			a.bg.Add(1)
			go func() {
				defer a.bg.Done()
				if err := serve(); err != nil && !errors.Is(err, dnsd.ErrServerClosed) {
					a.log.Error("DNS filter stopped", "err", err)
				}
			}()
		}
		a.closers = append(a.closers, func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			for _, pc := range pcs {
				pc.Close()
			}
			ln.Close()
			return err
		})
		a.log.Info("listening", "service", "dns", "addr", pcs[0].LocalAddr().String())
	}
	a.goBackground(ctx, "filter-fetch", a.listsAdminOf().runFetchScheduler)
	a.goBackground(ctx, "filter-reload", func(ctx context.Context) {
		dirV, _ := a.db.DirectoryVersion(ctx)
		credV, _ := a.db.CredentialsVersion(ctx)
		lastSweep := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			if err := a.reloadFilter(ctx, false); err != nil && ctx.Err() == nil {
				a.log.Error("reloading the filter failed; the previous rules stay in force", "err", err)
			}
			// A disabled account or new groups: verified proxy credentials
			// and address bindings are checked again; a password change or
			// reset: verified credentials are.
			if v, err := a.db.DirectoryVersion(ctx); err == nil && v != dirV {
				dirV = v
				if fn.proxy != nil {
					fn.proxy.Forget()
				}
				if fn.bindings != nil {
					fn.bindings.ForgetAll()
				}
			}
			if v, err := a.db.CredentialsVersion(ctx); err == nil && v != credV {
				credV = v
				if fn.proxy != nil {
					fn.proxy.Forget()
				}
			}
			if fn.bindings != nil && time.Since(lastSweep) > time.Minute {
				lastSweep = time.Now()
				a.sweepBindings(ctx)
			}
		}
	})
	return nil
}

// reloadFilter reads the settings, overrides and (when a new import was
// recorded) the lists, and swaps them into the engine. A bad list or
// setting leaves the previous ones in force.
func (a *App) reloadFilter(ctx context.Context, force bool) error {
	fn := a.filterNodeOf()
	fn.mu.Lock()
	defer fn.mu.Unlock()
	v, err := a.db.FilterVersion(ctx)
	if err != nil {
		return err
	}
	if !force && v == fn.version {
		return nil
	}
	lists := fn.eng.Lists()
	im, err := a.db.LastFilterImport(ctx)
	switch {
	case err == nil && (im.ID != fn.listsID || lists == nil):
		a.ensureFilterLists(ctx, im) // another node's install: copy it from the blob store
		l, lerr := filter.Load(filterListsPath(a.cfg))
		if lerr != nil {
			a.log.Error("the filter lists cannot be loaded; the previous ones stay in force", "err", lerr)
		} else {
			lists, fn.listsID = l, im.ID
			a.log.Info("filter lists loaded", "categories", l.Stats().Categories, "domains", l.Stats().Domains,
				"urls", l.Stats().URLs, "took", l.Stats().Duration.Round(time.Millisecond))
		}
	case err != nil && !core.IsKind(err, core.NotFound):
		return err
	case lists == nil:
		if p := filterListsPath(a.cfg); fileExists(p) {
			if l, lerr := filter.Load(p); lerr == nil {
				lists = l
			} else {
				a.log.Error("the filter lists cannot be loaded", "err", lerr)
			}
		} else if fn.version < 0 {
			a.log.Warn("no filter lists yet: run 'preau filter import-lists' with the UT1 archive; until then only the rules that name sites apply")
		}
	}
	docs, err := a.db.FilterSettings(ctx)
	if err != nil {
		return err
	}
	var national filter.National
	settings := map[string]filter.Settings{}
	for scope, doc := range docs {
		if scope == store.FilterScopeNational {
			if err := json.Unmarshal([]byte(doc), &national); err != nil {
				a.log.Error("national filter layer unreadable", "err", err)
			}
			continue
		}
		var s filter.Settings
		if err := json.Unmarshal([]byte(doc), &s); err != nil {
			a.log.Error("filter settings unreadable; the defaults apply", "scope", scope, "err", err)
			continue
		}
		settings[scope] = s
	}
	os, err := a.db.FilterOverrides(ctx, a.clock.Now().Add(-time.Minute))
	if err != nil {
		return err
	}
	fn.eng.Update(lists, national, settings, os)
	fn.version = v
	if sums, err := a.dir.Establishments(core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:filter", core.ChannelSystem))); err == nil {
		ests := make([]string, 0, len(sums))
		for _, e := range sums {
			ests = append(ests, e.ID)
		}
		fn.ests.Store(&ests)
	}
	return nil
}

// sessionMax is how long a portal session lives at most.
func (a *App) sessionMax() time.Duration {
	if d := a.cfg.Auth.SessionMax; d > 0 {
		return d
	}
	return 12 * time.Hour
}

// sessionIdle is how long a portal session lives without use.
func (a *App) sessionIdle() time.Duration {
	if d := a.cfg.Auth.SessionIdle; d > 0 {
		return d
	}
	return 2 * time.Hour
}

// boundIdentity is the identity a portal login bound to ip, with the
// person's groups of the school year (INF-AUT-1).
func (a *App) boundIdentity(ctx context.Context, ip string) (filter.Identity, bool, error) {
	now := a.clock.Now()
	b, err := a.db.FilterBindingOf(ctx, ip, now, now.Add(-a.sessionIdle()))
	if core.IsKind(err, core.NotFound) {
		return filter.Identity{}, false, nil
	}
	if err != nil {
		return filter.Identity{}, false, err
	}
	id := filter.Identity{PersonID: b.PersonID, Login: b.Login, Establishment: b.Establishment, Profile: b.Profile}
	gs, err := a.db.FilterGroupsOf(ctx, b.PersonID, core.SchoolYear(now))
	if err != nil {
		return filter.Identity{}, false, err
	}
	for _, g := range gs {
		id.Groups = append(id.Groups, g.Code)
	}
	return id, true, nil
}

// bindLogin binds the address of a new portal session to its person, so
// that the proxy and the DNS filter apply their policy to the device
// without asking for credentials (INF-AUT-1). An account that must change
// its password first is not bound (the proxy refuses it too).
func (a *App) bindLogin(ctx context.Context, p core.Principal, sessionID string, expires time.Time) {
	if p.Source == "" || p.PersonID == "" || p.MustChangePassword {
		return
	}
	if err := a.bindAddress(ctx, p, sessionID, expires); err != nil {
		a.log.Error("binding the address of a portal login failed", "address", p.Source, "err", err)
	}
}

func (a *App) bindAddress(ctx context.Context, p core.Principal, sessionID string, expires time.Time) error {
	fn := a.filterNodeOf()
	est := ""
	if len(p.Establishments) > 0 {
		est = p.Establishments[0]
	}
	err := a.db.BindFilterAddress(core.ContextWithPrincipal(ctx, p), &store.FilterBinding{Address: p.Source,
		PersonID: p.PersonID, Login: p.Login, Establishment: est, SessionID: sessionID, ExpiresAt: expires})
	if fn.bindings != nil {
		fn.bindings.Forget(p.Source)
	}
	return err
}

// unbindOnLogout wraps the portal's logout hook: the addresses the session
// bound lose it (journaled filter.unbind), then next runs.
func (a *App) unbindOnLogout(next func(ctx context.Context, sessionID string)) func(ctx context.Context, sessionID string) {
	return func(ctx context.Context, sessionID string) {
		if fn := a.filterNodeOf(); fn.bindings != nil {
			gone, err := a.db.UnbindFilterSession(ctx, sessionID)
			if err != nil {
				a.log.Error("ending the address bindings of a logout failed", "err", err)
			}
			for _, ip := range gone {
				fn.bindings.Forget(ip)
			}
		}
		if next != nil {
			next(ctx, sessionID)
		}
	}
}

// sweepBindings ends the bindings whose session ended or expired.
func (a *App) sweepBindings(ctx context.Context) {
	now := a.clock.Now()
	sys := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:filter", core.ChannelSystem))
	gone, err := a.db.SweepFilterBindings(sys, now, now.Add(-a.sessionIdle()))
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("sweeping the address bindings failed", "err", err)
		}
		return
	}
	for _, ip := range gone {
		a.filterNodeOf().bindings.Forget(ip)
	}
}

// internetView is the captive portal's page.
type internetView struct {
	Bound, MustChange bool
	Login, Address    string
	Return            string
}

// internetPage is where the proxy's captive redirect leads (GET
// /internet?return=URL, behind the login): it makes sure this device's
// address is bound to the session, then offers the page first asked for.
// The return URL is offered as a link, never followed by itself: the
// portal is no open redirector.
func (a *App) internetPage(rd *web.Renderer) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := core.PrincipalFromContext(r.Context())
		ip, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			ip = r.RemoteAddr
		}
		v := internetView{Login: p.Login, Address: ip, MustChange: p.MustChangePassword}
		if u, err := url.Parse(r.URL.Query().Get("return")); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			v.Return = u.String()
		}
		if !v.MustChange && p.SessionID != "" && a.filterNodeOf().bindings != nil {
			now := a.clock.Now()
			b, err := a.db.FilterBindingOf(r.Context(), ip, now, now.Add(-a.sessionIdle()))
			switch {
			case err == nil && b.SessionID == p.SessionID:
				v.Bound = true
			case err == nil || core.IsKind(err, core.NotFound):
				p.Source = ip
				if err := a.bindAddress(r.Context(), p, p.SessionID, now.Add(a.sessionMax())); err != nil {
					return err
				}
				v.Bound = true
			default:
				return err
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		rd.Page(w, r, http.StatusOK, "app/internet", v)
		return nil
	}
}

// dnsClient finds the establishment and zone of a client address: the
// first establishment with a zone holding it; with one establishment, that
// one. Answers are kept a few seconds per address: the proxy and the DNS
// filter ask on every request.
func (a *App) dnsClient(ip string) (string, string) {
	fn := a.filterNodeOf()
	now := time.Now()
	if e, ok := fn.clients.get(ip, now); ok {
		return e.est, e.zone
	}
	var ests []string
	if p := fn.ests.Load(); p != nil {
		ests = *p
	}
	est, zone := "", ""
	ctx := context.Background()
	for _, e := range ests {
		if z := a.auth.ZoneFor(ctx, []string{e}, ip); z != "" {
			est, zone = e, z
			break
		}
	}
	if est == "" && len(ests) == 1 {
		est = ests[0]
	}
	fn.clients.put(ip, clientEntry{est: est, zone: zone, expires: now.Add(clientTTL)})
	return est, zone
}

// clientTTL is how long a client address's establishment and zone are
// kept (the zones themselves are cached as long by auth).
const clientTTL = 5 * time.Second

type clientEntry struct {
	est, zone string
	expires   time.Time
}

// clientCache maps client addresses to their establishment and zone.
type clientCache struct {
	mu sync.RWMutex
	m  map[string]clientEntry
}

func (c *clientCache) get(ip string, now time.Time) (clientEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[ip]
	c.mu.RUnlock()
	return e, ok && now.Before(e.expires)
}

func (c *clientCache) put(ip string, e clientEntry) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= 100000 {
		c.m = map[string]clientEntry{}
	}
	c.m[ip] = e
	c.mu.Unlock()
}

// dnsUpstreams returns the configured upstreams, or the system's.
func dnsUpstreams(cfg []string) []string {
	if len(cfg) > 0 {
		return cfg
	}
	var out []string
	f, err := os.Open("/etc/resolv.conf")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "nameserver" {
				out = append(out, net.JoinHostPort(fs[1], "53"))
			}
		}
	}
	return out
}

// proxyAuth checks proxy credentials through the one authentication door
// and journals each real check (a new connection's credential check, not
// every request: proxyd caches verified pairs).
type proxyAuth struct{ a *App }

func (p proxyAuth) ProxyAuthenticate(ctx context.Context, login, password, source string) (proxyd.Identity, error) {
	a := p.a
	pr, person, err := a.auth.Authenticate(ctx, auth.Attempt{Login: login, Password: password, Channel: core.ChannelProxy, Source: source})
	if err != nil {
		return proxyd.Identity{}, err
	}
	if pr.MustChangePassword {
		return proxyd.Identity{}, core.E("app.ProxyAuthenticate", core.Permission, "the password must be changed first, on the portal")
	}
	id := proxyd.Identity{PersonID: person.ID, Login: person.Login, Establishment: person.MainEstablishment(), Profile: person.Profile}
	gs, err := a.db.FilterGroupsOf(ctx, person.ID, core.SchoolYear(a.clock.Now()))
	if err != nil {
		return proxyd.Identity{}, err
	}
	for _, g := range gs {
		id.Groups = append(id.Groups, g.Code)
	}
	e := journal.Entry{Chain: id.Establishment, Action: "auth.login", TargetType: "person", TargetID: person.ID,
		TargetName: person.Login, Attributes: []string{"method:pwd", "channel:proxy"}}
	if e.Chain == "" {
		e.Chain = journal.DeploymentChain
	}
	e.SetActor(pr)
	if err := a.db.Journal(ctx, e); err != nil {
		a.log.Error("journaling a proxy login failed", "err", err)
	}
	return id, nil
}

// servePAC serves the proxy auto-configuration file (/proxy.pac, and
// /wpad.dat for WPAD): local and school names go direct, the rest through
// the filtering proxy.
func (a *App) servePAC(w http.ResponseWriter, r *http.Request) {
	addr := a.Addr("proxy")
	if addr == "" {
		http.Error(w, "the filtering proxy is not enabled on this server", http.StatusNotFound)
		return
	}
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		} else {
			host = r.Host
		}
	}
	w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
	w.Header().Set("Cache-Control", "max-age=300")
	fmt.Fprintf(w, `// Préau: filtered internet access for the school (CARINE INF-SEC-1).
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || host == "localhost" || shExpMatch(host, "*.local") ||
      isInNet(dnsResolve(host), "10.0.0.0", "255.0.0.0") ||
      isInNet(dnsResolve(host), "172.16.0.0", "255.240.0.0") ||
      isInNet(dnsResolve(host), "192.168.0.0", "255.255.0.0") ||
      isInNet(dnsResolve(host), "127.0.0.0", "255.0.0.0")) {
    return "DIRECT";
  }
  return "PROXY %s";
}
`, net.JoinHostPort(host, port))
}

// filterPlainRoutes adds the PAC and WPAD files and the interception CA
// to the plain HTTP port.
func (a *App) filterPlainRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /proxy.pac", a.servePAC)
	mux.HandleFunc("GET /wpad.dat", a.servePAC)
	mux.HandleFunc("GET /filter-ca.crt", a.serveInterceptCA)
}

// serveInterceptCA serves the TLS interception CA's certificate, for the
// managed devices whose HTTPS the proxy decrypts (404 when interception
// is off).
func (a *App) serveInterceptCA(w http.ResponseWriter, r *http.Request) {
	ic := a.filterNodeOf().intercept.Load()
	if ic == nil {
		http.Error(w, "TLS interception is not enabled on this server (filter.tls_interception)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="preau-filter-ca.crt"`)
	w.Write(ic.CACertPEM())
}

// publicURL is the portal's base URL, ending in '/': web.public_url, else
// the HTTPS listener's address (its configured one before Start).
func (a *App) publicURL() string {
	if u := a.cfg.Web.PublicURL; u != "" {
		return strings.TrimSuffix(u, "/") + "/"
	}
	addr := a.Addr("https")
	if addr == "" {
		addr = a.cfg.Listen.HTTPS
	}
	return "https://" + addr + "/"
}

// printFilterDemo prints the proxy and DNS addresses of a demo.
func (a *App) printFilterDemo(w interface{ Write([]byte) (int, error) }) {
	if addr := a.Addr("proxy"); addr != "" {
		fmt.Fprintf(w, "Filtering web proxy: http://%s (log in with an account; PAC file: http://%s/proxy.pac)\n", addr, a.Addr("http"))
	}
	if addr := a.Addr("proxy_tls"); addr != "" {
		fmt.Fprintf(w, "Filtering web proxy over TLS: https://%s\n", addr)
	}
	if addr := a.Addr("dns"); addr != "" {
		fmt.Fprintf(w, "Filtering DNS: %s (UDP and TCP)\n", addr)
	}
}

// filterPages builds the filter's web pages.
func (a *App) filterPages(rd *web.Renderer) (*filterweb.Handler, error) {
	fn := a.filterNodeOf()
	svc := filter.NewService(filter.Deps{Store: a.db, Groups: filterGroups{a}, Engine: fn.eng, Clock: a.clock,
		Changed: func(ctx context.Context) {
			if err := a.reloadFilter(ctx, true); err != nil {
				a.log.Error("applying a filter change failed", "err", err)
			}
		}})
	return filterweb.New(filterweb.Deps{Service: svc, Renderer: rd, Clock: a.clock, Journal: a.db.Journal, Lists: a.listsAdminOf(), Asks: a.db, AskPeople: filterAskPeople{a}, Zones: a.filterZones, Blocked: a.filterBlocked,
		ListsInfo: func(ctx context.Context) string {
			im, err := a.db.LastFilterImport(ctx)
			if err != nil {
				return ""
			}
			return fmt.Sprintf("%s, %s (%d categories, %d domains, %d URLs)", im.Source, im.At.Format(time.DateOnly),
				im.Categories, im.Domains, im.URLs)
		}})
}

// filterGroups gives the filter service the directory's groups.
type filterGroups struct{ a *App }

func (g filterGroups) GroupsOf(ctx context.Context, personID string) ([]filter.GroupRef, error) {
	gs, err := g.a.db.FilterGroupsOf(ctx, personID, core.SchoolYear(g.a.clock.Now()))
	if err != nil {
		return nil, err
	}
	out := make([]filter.GroupRef, 0, len(gs))
	for _, x := range gs {
		out = append(out, filter.GroupRef{Establishment: x.Establishment, Code: x.Code, Name: x.Name})
	}
	return out, nil
}

func (g filterGroups) GroupsIn(ctx context.Context, est string) ([]filter.GroupRef, error) {
	gs, err := g.a.db.FindGroups(ctx, directory.GroupFilter{Establishment: est, SchoolYear: core.SchoolYear(g.a.clock.Now()), NoCounts: true})
	if err != nil {
		return nil, err
	}
	out := make([]filter.GroupRef, 0, len(gs))
	for _, x := range gs {
		out = append(out, filter.GroupRef{Establishment: x.Establishment, Code: x.Code, Name: x.Name, Kind: string(x.Kind)})
	}
	return out, nil
}
