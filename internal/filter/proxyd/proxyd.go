// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package proxyd is the filtering web proxy (CARINE INF-SEC-1, INF-AUT-1):
// an HTTP/1.1 forward proxy with CONNECT tunnels, Basic proxy
// authentication against the directory (verified credentials cached so
// that argon2id does not run per request), the filter engine's decision on
// every request, a French block page naming the site, the category and the
// rule, and an access record per request for the connection-data log
// (one year, LCEN). It copies net/http.Server's surface: Serve, Shutdown.
package proxyd

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/logs"
)

// Identity is who a proxy request belongs to.
type Identity = filter.Identity

// Authenticator checks a login and password against the directory. It is
// called only when the credential cache does not already hold the pair.
// Errors of kind core.Unauthenticated, core.Permission or core.TooMany
// refuse the request with 407.
type Authenticator interface {
	ProxyAuthenticate(ctx context.Context, login, password, source string) (Identity, error)
}

// Config is the proxy's setup.
type Config struct {
	Engine *filter.Engine
	Auth   Authenticator
	Sink   logs.Sink
	// Hosts resolves names before DNS (tests point names at loopback
	// origins); values are IP addresses.
	Hosts map[string]string
	// Dial overrides the upstream dialer (tests); nil uses net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Resolver resolves names not in Hosts; nil is net.DefaultResolver.
	Resolver *net.Resolver
	// AllowDestinations opens internal addresses the proxy otherwise never
	// reaches (loopback, link-local, private networks: see CheckDestination);
	// tests open loopback for their local origins.
	AllowDestinations []netip.Prefix
	// Client returns the establishment and the network zone (room) of a
	// client address.
	Client func(ip string) (establishment, zone string)
	// Bindings gives the identity a portal login bound to the client's
	// address, for requests without credentials (INF-AUT-1); nil: none.
	Bindings *filter.Bindings
	// LoginURL is the portal page a captive redirect leads to (the
	// establishment's settings say when, filter.Settings.Captive); the
	// request's URL is passed as ?return=…
	LoginURL string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// CacheTTL is how long a verified login and password pair is trusted
	// without running the password hash again; default 5 minutes, at most
	// an hour.
	CacheTTL time.Duration
	// UpstreamTimeout bounds the dial and the wait for response headers;
	// default 30 s.
	UpstreamTimeout time.Duration
	// Via adds a Via header; XForwardedFor passes the client address on.
	Via           bool
	XForwardedFor bool
	// AskURL is the portal page where a pupil asks for a site to be opened;
	// the block page links to it with ?site=…
	AskURL string
	// Realm is the Basic realm shown by browsers; default "Préau".
	Realm string
	// Intercept, when set, decrypts the HTTPS of the profiles whose
	// settings ask for it (filter.ProfileSettings.Intercept); nil: never.
	Intercept *Interceptor
}

// Server is the proxy.
type Server struct {
	cfg    Config
	log    *slog.Logger
	http   *http.Server
	tr     *http.Transport
	rp     *httputil.ReverseProxy
	irp    *httputil.ReverseProxy // intercepted HTTPS
	up     upPool                 // the lean path's upstream connections
	itr    *http.Transport
	cache  *credCache
	gen    atomic.Uint64 // bumped by Forget: per-connection memories are stale
	closed atomic.Bool

	mu      sync.Mutex
	tunnels map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = http.ErrServerClosed

// New builds the proxy.
func New(cfg Config, log *slog.Logger) *Server {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 5 * time.Minute
	}
	if cfg.CacheTTL > time.Hour {
		cfg.CacheTTL = time.Hour
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = 30 * time.Second
	}
	if cfg.Realm == "" {
		cfg.Realm = "Préau"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sink == nil {
		cfg.Sink = logs.Discard{}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log, cache: newCredCache(cfg.CacheTTL, 20000), tunnels: map[net.Conn]struct{}{}}
	s.tr = &http.Transport{
		Proxy:                 nil,
		DialContext:           s.dial,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.UpstreamTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	s.rp = &httputil.ReverseProxy{
		Transport: s.tr,
		// Bodies are streamed through a small buffer, never held whole;
		// responses of unknown length (chunked, event streams) are
		// flushed on every write by ReverseProxy itself.
		FlushInterval: 0,
		BufferPool:    bufPool{},
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = pr.In.URL
			pr.Out.Host = pr.In.Host
			if t, ok := pr.In.Context().Value(dialKey{}).(string); ok && t != "" {
				pr.Out.URL = cloneURL(pr.In.URL)
				pr.Out.URL.Host = t
				pr.Out.Host = t
			}
			pr.Out.Header.Del("Proxy-Authorization")
			pr.Out.Header.Del("Proxy-Connection")
			if cfg.XForwardedFor {
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
				pr.SetXForwarded()
			}
			if cfg.Via {
				pr.Out.Header.Add("Via", "1.1 preau")
			}
		},
		ErrorHandler: s.upstreamFailed,
	}
	if cfg.Intercept != nil {
		s.irp = s.newInterceptProxy()
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connMemory{})
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	return s
}

type dialKey struct{}

// bufPool lends the 32 KiB copy buffers of the reverse proxies: without
// it, every response allocated one (70 % of the bytes a request
// allocated).
type bufPool struct{}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufPool) Get() []byte  { return *copyBufs.Get().(*[]byte) }
func (bufPool) Put(b []byte) { copyBufs.Put(&b) }

type connKey struct{}

// connMemory remembers, for one client connection, the last
// Proxy-Authorization verified on it: the next keep-alive requests that
// carry the same header skip the credential cache (its HMAC and lock).
// It lives as long as the connection, no longer than the cache's TTL, and
// is dropped by Forget. Requests on one connection are served one at a
// time, so it needs no lock.
type connMemory struct {
	header  string
	id      Identity
	gen     uint64
	expires time.Time
}

func cloneURL(u *url.URL) *url.URL { c := *u; return &c }

// Serve accepts proxy clients on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(ln) }

// Shutdown stops accepting, lets requests finish within ctx and closes
// the tunnels.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closed.Store(true)
	err := s.http.Shutdown(ctx)
	s.mu.Lock()
	for c := range s.tunnels {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.tr.CloseIdleConnections()
	s.up.closeAll()
	if s.itr != nil {
		s.itr.CloseIdleConnections()
	}
	return err
}

// Target is what a proxy request asks for, read from its request line.
type Target struct {
	Host    string // normalised
	Port    string
	Path    string // path and query for plain HTTP; "" for CONNECT
	URL     string // the whole URL for plain HTTP
	Connect bool
}

// ParseTarget reads the target of a proxy request: CONNECT host:port, or
// an absolute-form URL (a proxy refuses origin-form requests: they are
// not meant for it).
func ParseTarget(r *http.Request) (Target, error) {
	const op = "proxyd.ParseTarget"
	if r.Method == http.MethodConnect {
		hp := r.RequestURI
		if hp == "" {
			hp = r.Host
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil || port == "" {
			return Target{}, core.E(op, core.Invalid, "CONNECT needs host:port, not %q", clipS(hp))
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return Target{}, core.E(op, core.Invalid, "CONNECT port %q is not a number", clipS(port))
		}
		h, err := filter.NormalizeHost(host)
		if err != nil {
			return Target{}, core.E(op, core.Invalid, "CONNECT host: %s", core.MessageOf(err))
		}
		return Target{Host: h, Port: port, Connect: true}, nil
	}
	u := r.URL
	if u == nil || !u.IsAbs() || u.Host == "" {
		return Target{}, core.E(op, core.Invalid, "a proxy request needs an absolute URL (http://host/path)")
	}
	if u.Scheme != "http" {
		return Target{}, core.E(op, core.Invalid, "scheme %q is not proxied: use http:// or CONNECT for https", clipS(u.Scheme))
	}
	h, err := filter.NormalizeHost(u.Hostname())
	if err != nil {
		return Target{}, core.E(op, core.Invalid, "%s", core.MessageOf(err))
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return Target{Host: h, Port: port, Path: path, URL: "http://" + u.Host + path}, nil
}

// ParseProxyAuth reads a Proxy-Authorization: Basic header.
func ParseProxyAuth(h string) (login, password string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "basic") || len(rest) > 4096 {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	login, password, ok = strings.Cut(string(raw), ":")
	if !ok || login == "" {
		return "", "", false
	}
	return login, password, true
}

func clipS(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// ReadRequest reads one proxy request from br and its target: the request
// reader the fuzz target exercises (net/http's reader plus Préau's checks).
func ReadRequest(br *bufio.Reader) (*http.Request, Target, error) {
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil, Target{}, err
	}
	t, err := ParseTarget(r)
	return r, t, err
}

// ServeHTTP handles one proxy request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	rec := logs.Record{Time: start, Class: logs.ClassConnection, Service: "proxy", Source: ip, Severity: 6}
	t, err := ParseTarget(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "bad", core.MessageOf(err))
		return
	}
	rec.Object = t.Host
	if !t.Connect {
		rec.Object = t.URL
	}
	est, zone := "", ""
	if s.cfg.Client != nil {
		est, zone = s.cfg.Client(ip)
	}
	id, how, status := s.identify(w, r, t, ip, est, zone)
	if status != 0 {
		rec.Action, rec.Result, rec.Establishment = "block", "unauthenticated", est
		rec.Fields = map[string]string{"rule": "auth", "status": strconv.Itoa(status)}
		s.cfg.Sink.Append(rec)
		return
	}
	rec.User, rec.Establishment = id.Login, id.Establishment
	req := filter.Request{Establishment: id.Establishment, Host: t.Host, Path: t.Path, URL: t.URL, Login: id.Login,
		Profile: id.Profile, Groups: id.Groups, Zone: zone, Time: start}
	d := s.cfg.Engine.Decide(&req)
	rec.Action = d.Action()
	rec.Fields = map[string]string{"rule": d.Rule, "layer": string(d.Layer), "auth": how}
	if d.Category != "" {
		rec.Fields["category"] = d.Category
	}
	if zone != "" {
		rec.Fields["zone"] = zone
	}
	if t.Connect && s.cfg.Intercept != nil && s.cfg.Engine.Intercept(&req) {
		// Decrypted: every request inside is decided on its URL and
		// recorded; a blocked host gets the block page inside HTTPS.
		f := interceptFor{t: t, id: id, how: how, ip: ip, zone: zone}
		if s.cfg.Engine.SafeSearch(&req) {
			f.dialHost = filter.SafeSearchHost(t.Host)
		}
		s.intercept(w, r, f)
		return
	}
	if !d.Allow {
		rec.Result = "refused"
		rec.Fields["status"] = "403"
		s.cfg.Sink.Append(rec)
		if t.Connect {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "Site bloqué par le filtrage de l'établissement / blocked by the school's filter: "+t.Host+"\n")
			return
		}
		s.blockPage(w, r, t, d)
		return
	}
	dialHost := ""
	if s.cfg.Engine.SafeSearch(&req) {
		dialHost = filter.SafeSearchHost(t.Host)
	}
	if t.Connect {
		n, status := s.tunnel(w, r, t, dialHost)
		rec.Result = "ok"
		if status == http.StatusForbidden {
			rec.Action, rec.Result, rec.Fields["rule"], rec.Fields["layer"] = "block", "refused", "destination", "destination"
		} else if status != http.StatusOK {
			rec.Result = "error"
		}
		rec.Fields["status"] = strconv.Itoa(status)
		rec.Fields["bytes"] = strconv.FormatInt(n, 10)
		s.cfg.Sink.Append(rec)
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	if leanEligible(r) {
		status, n, err := s.lean(cw, r, t, dialHost, ip)
		switch {
		case errors.Is(err, errCut):
			rec.Result = "error"
			rec.Fields["status"], rec.Fields["bytes"] = strconv.Itoa(status), strconv.FormatInt(n, 10)
			s.cfg.Sink.Append(rec)
			panic(http.ErrAbortHandler) // the client sees a cut answer
		case err != nil:
			s.rp.ErrorHandler(cw, r, err)
		}
	} else {
		ctx := r.Context()
		if dialHost != "" {
			ctx = context.WithValue(ctx, dialKey{}, net.JoinHostPort(dialHost, t.Port))
		}
		s.rp.ServeHTTP(cw, r.WithContext(ctx))
	}
	rec.Result = "ok"
	if cw.refused != "" {
		rec.Action, rec.Result, rec.Fields["rule"], rec.Fields["layer"] = "block", "refused", "destination:"+cw.refused, "destination"
	} else if cw.status >= 500 {
		rec.Result = "error"
	}
	rec.Fields["status"] = strconv.Itoa(cw.status)
	rec.Fields["bytes"] = strconv.FormatInt(cw.n, 10)
	s.cfg.Sink.Append(rec)
}

// identify finds who asks: the Basic credentials when the request carries
// them ("basic"), else the portal login that bound the client's address
// ("binding"). Without either, it answers — 407 asking for credentials,
// or, for plain HTTP where the establishment or the zone says so, a
// redirect to the portal's login page (a captive portal) — and returns
// the status answered.
func (s *Server) identify(w http.ResponseWriter, r *http.Request, t Target, ip, est, zone string) (Identity, string, int) {
	header := r.Header.Get("Proxy-Authorization")
	mem, _ := r.Context().Value(connKey{}).(*connMemory)
	now := s.cfg.Now()
	if mem != nil && header != "" && mem.header == header && mem.gen == s.gen.Load() && now.Before(mem.expires) {
		return mem.id, "basic", 0
	}
	login, pw, ok := ParseProxyAuth(header)
	if ok {
		remember := func(id Identity) {
			if mem != nil {
				*mem = connMemory{header: header, id: id, gen: s.gen.Load(), expires: now.Add(s.cfg.CacheTTL)}
			}
		}
		key := s.cache.key(login, pw)
		if id, hit := s.cache.get(key, now); hit {
			remember(id)
			return id, "basic", 0
		}
		if s.cfg.Auth != nil {
			gen := s.gen.Load()
			id, err := s.cfg.Auth.ProxyAuthenticate(r.Context(), login, pw, ip)
			if err == nil {
				s.cache.put(key, id, s.cfg.Now())
				if gen == s.gen.Load() {
					remember(id)
				}
				return id, "basic", 0
			}
			if !core.IsKind(err, core.Unauthenticated) && !core.IsKind(err, core.Permission) && !core.IsKind(err, core.TooMany) {
				s.log.Error("proxy authentication failed", "err", err)
				writeError(w, r, http.StatusServiceUnavailable, "unavailable", "")
				return Identity{}, "", http.StatusServiceUnavailable
			}
		}
	} else if id, bound := s.cfg.Bindings.Get(r.Context(), ip); bound {
		return id, "binding", 0
	} else if !t.Connect && s.cfg.LoginURL != "" && s.cfg.Engine.Captive(est, zone) {
		return Identity{}, "", s.captive(w, r, t)
	}
	w.Header().Set("Proxy-Authenticate", `Basic realm="`+s.cfg.Realm+`", charset="UTF-8"`)
	writeError(w, r, http.StatusProxyAuthRequired, "auth", "")
	return Identity{}, "", http.StatusProxyAuthRequired
}

type countingWriter struct {
	http.ResponseWriter
	n       int64
	status  int
	refused string // the destination's reason, when it was refused
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// credCache remembers verified login and password pairs by an HMAC made
// with a key drawn at start: neither the password nor a fast hash of it is
// kept, and the cache dies with the process. Only successes are cached,
// so a wrong password always reaches the authenticator (which throttles
// and journals).
type credCache struct {
	secret []byte
	ttl    time.Duration
	max    int
	mu     sync.Mutex
	m      map[[32]byte]cacheEntry
}

type cacheEntry struct {
	id      Identity
	expires time.Time
}

func newCredCache(ttl time.Duration, max int) *credCache {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("proxyd: no randomness for the credential cache key")
	}
	return &credCache{secret: k, ttl: ttl, max: max, m: map[[32]byte]cacheEntry{}}
}

func (c *credCache) key(login, pw string) [32]byte {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(login))
	m.Write([]byte{0})
	m.Write([]byte(pw))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

func (c *credCache) get(k [32]byte, now time.Time) (Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		delete(c.m, k)
		return Identity{}, false
	}
	return e.id, true
}

func (c *credCache) put(k [32]byte, id Identity, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Full: drop a tenth of the entries (map order is random enough).
		drop := len(c.m) - c.max*9/10
		for k2 := range c.m {
			delete(c.m, k2)
			if drop--; drop <= 0 {
				break
			}
		}
	}
	c.m[k] = cacheEntry{id: id, expires: now.Add(c.ttl)}
}

// Forget drops every cached credential (a password change, a disabled
// account: the app calls it when the directory changes).
func (s *Server) Forget() {
	s.gen.Add(1)
	s.cache.mu.Lock()
	clear(s.cache.m)
	s.cache.mu.Unlock()
}
