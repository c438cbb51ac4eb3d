// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package dnsd is the filtering DNS resolver (CARINE INF-SEC-1): the same
// policies as the web proxy for devices that bypass it, keyed by client
// address and zone. Allowed names are forwarded to the configured
// upstreams with a cache; blocked names get the block page's address (or
// NXDOMAIN); search engines get their safe-search names; DNS-over-HTTPS
// endpoints (UT1 "doh") are blocked so that browsers fall back to it.
// It copies net/http.Server's surface: Serve / ServePacket, Shutdown.
package dnsd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/logs"
)

// Config is the resolver's setup.
type Config struct {
	Engine    *filter.Engine
	Upstreams []string // host:port, tried in order
	// BlockA and BlockAAAA answer blocked names (the block page's address);
	// with NXDomain blocked names do not exist instead.
	BlockA    net.IP
	BlockAAAA net.IP
	NXDomain  bool
	Sink      logs.Sink
	// Client returns the establishment and zone of a client address.
	Client func(ip string) (establishment, zone string)
	// Bindings gives the person a portal login bound to the client's
	// address: their policy applies to the address's queries (INF-AUT-1).
	Bindings *filter.Bindings
	Now      func() time.Time
	Timeout  time.Duration // per upstream exchange; default 2 s
	// CacheEntries bounds the answer cache; default 10,000.
	CacheEntries int
	// LogAllowed records allowed queries too (blocked ones always are).
	LogAllowed bool
}

// Server is the resolver.
type Server struct {
	cfg   Config
	log   *slog.Logger
	cache *cache
	udp   *dns.Client
	tcp   *dns.Client

	mu      sync.Mutex
	servers []*dns.Server
	pools   map[string]chan *pooledConn // upstream UDP sockets by address
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("dnsd: server closed")

// New builds the resolver.
func New(cfg Config, log *slog.Logger) *Server {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = 10000
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
	return &Server{cfg: cfg, log: log, cache: &cache{max: cfg.CacheEntries, m: map[cacheKey]cacheEntry{}},
		udp: &dns.Client{Net: "udp", Timeout: cfg.Timeout, UDPSize: 4096},
		tcp: &dns.Client{Net: "tcp", Timeout: cfg.Timeout}}
}

// ServePacket answers queries on a UDP socket until Shutdown.
func (s *Server) ServePacket(pc net.PacketConn) error {
	return s.run(&dns.Server{PacketConn: pc, Handler: s, UDPSize: 4096})
}

// Serve answers queries on a TCP listener until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.run(&dns.Server{Listener: ln, Handler: s, ReadTimeout: 10 * time.Second, IdleTimeout: func() time.Duration { return 10 * time.Second }})
}

func (s *Server) run(srv *dns.Server) error {
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	err := srv.ActivateAndServe()
	if err != nil && strings.Contains(err.Error(), "use of closed") {
		return ErrServerClosed
	}
	return err
}

// Shutdown stops every socket.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srvs := s.servers
	s.servers = nil
	for _, pool := range s.pools {
	drain:
		for {
			select {
			case pc := <-pool:
				pc.co.Close()
			default:
				break drain
			}
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, srv := range srvs {
		if err := srv.ShutdownContext(ctx); err != nil && !strings.Contains(err.Error(), "not started") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	resp := s.Answer(r, clientIP(w.RemoteAddr()))
	if resp == nil {
		return
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
		resp.Truncate(size)
	}
	_ = w.WriteMsg(resp)
}

func clientIP(a net.Addr) string {
	switch v := a.(type) {
	case *net.UDPAddr:
		return v.IP.String()
	case *net.TCPAddr:
		return v.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

// Answer builds the response to r from a client at ip: the handler's
// logic without the socket (the fuzz target calls it).
func (s *Server) Answer(r *dns.Msg, ip string) *dns.Msg {
	m := new(dns.Msg)
	if r == nil || r.Response {
		return nil // never answer answers
	}
	m.SetReply(r)
	m.RecursionAvailable = true
	if r.Opcode != dns.OpcodeQuery {
		m.SetRcode(r, dns.RcodeNotImplemented)
		return m
	}
	if len(r.Question) != 1 {
		m.SetRcode(r, dns.RcodeFormatError)
		return m
	}
	q := r.Question[0]
	name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
	now := s.cfg.Now()
	est, zone := "", ""
	if s.cfg.Client != nil {
		est, zone = s.cfg.Client(ip)
	}
	id, bound := s.cfg.Bindings.Get(context.Background(), ip)
	if bound && id.Establishment != "" {
		est = id.Establishment
	}
	// The record is built only when it is kept (blocked queries always,
	// allowed ones when configured): a query allocates as little as it can.
	record := func(d filter.Decision, result, rule string) {
		rec := logs.Record{Time: now, Class: logs.ClassConnection, Service: "dns", Source: ip, Object: name, Severity: 6,
			Establishment: est, User: id.Login, Action: d.Action(), Result: result,
			Fields: map[string]string{"qtype": dns.TypeToString[q.Qtype], "rule": rule}}
		if zone != "" {
			rec.Fields["zone"] = zone
		}
		if d.Category != "" {
			rec.Fields["category"] = d.Category
		}
		s.cfg.Sink.Append(rec)
	}
	host, err := filter.NormalizeHost(name)
	if name == "" {
		host, err = ".", nil // the root: forward (priming queries)
	}
	if err != nil {
		m.SetRcode(r, dns.RcodeNameError)
		record(filter.Decision{Rule: "invalid"}, "invalid", "invalid")
		return m
	}
	req := filter.Request{Establishment: est, Host: host, Zone: zone, Time: now, Login: id.Login, Profile: id.Profile, Groups: id.Groups}
	d := filter.Decision{Allow: true, Layer: filter.LayerDefault, Rule: "default"}
	if host != "." && !strings.HasSuffix(host, ".arpa") {
		d = s.cfg.Engine.Decide(&req)
	}
	if !d.Allow {
		record(d, "refused", d.Rule)
		return s.blocked(r, m, q)
	}
	if target := filter.SafeSearchHost(host); target != "" && s.cfg.Engine.SafeSearch(&req) &&
		(q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeCNAME) {
		if s.cfg.LogAllowed {
			record(d, "ok", "safe-search")
		}
		return s.safeSearch(r, m, q, target)
	}
	resp, err := s.forward(r, q)
	if err != nil {
		s.log.Debug("DNS upstreams failed", "name", name, "err", err)
		m.SetRcode(r, dns.RcodeServerFailure)
		if s.cfg.LogAllowed {
			record(d, "error", d.Rule)
		}
		return m
	}
	if s.cfg.LogAllowed {
		record(d, "ok", d.Rule)
	}
	return resp
}

// blocked answers a blocked name with the block page's address, or NXDOMAIN.
func (s *Server) blocked(r, m *dns.Msg, q dns.Question) *dns.Msg {
	if s.cfg.NXDomain {
		m.SetRcode(r, dns.RcodeNameError)
		return m
	}
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60}
	switch {
	case q.Qtype == dns.TypeA && s.cfg.BlockA.To4() != nil:
		hdr.Rrtype = dns.TypeA
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: s.cfg.BlockA.To4()})
	case q.Qtype == dns.TypeAAAA && s.cfg.BlockAAAA != nil:
		hdr.Rrtype = dns.TypeAAAA
		m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: s.cfg.BlockAAAA})
	case s.cfg.BlockA == nil && s.cfg.BlockAAAA == nil:
		m.SetRcode(r, dns.RcodeNameError)
	}
	return m
}

// safeSearch answers with a CNAME to the engine's safe host, followed by
// that host's addresses.
func (s *Server) safeSearch(r, m *dns.Msg, q dns.Question, target string) *dns.Msg {
	fq := dns.Fqdn(target)
	m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: fq})
	if q.Qtype == dns.TypeCNAME {
		return m
	}
	sub := new(dns.Msg)
	sub.SetQuestion(fq, q.Qtype)
	sub.RecursionDesired = true
	if resp, err := s.forward(sub, sub.Question[0]); err == nil {
		m.Answer = append(m.Answer, resp.Answer...)
	}
	return m
}

// forward asks the upstreams, through the cache.
func (s *Server) forward(r *dns.Msg, q dns.Question) (*dns.Msg, error) {
	key := cacheKey{name: strings.ToLower(q.Name), qtype: q.Qtype, qclass: q.Qclass, do: r.IsEdns0() != nil && r.IsEdns0().Do()}
	now := s.cfg.Now()
	if cached, ok := s.cache.get(key, now); ok {
		cached.Id = r.Id
		return cached, nil
	}
	if len(s.cfg.Upstreams) == 0 {
		return nil, errors.New("no upstream resolver configured")
	}
	out := r.Copy()
	out.Id = dns.Id()
	var lastErr error
	for _, up := range s.cfg.Upstreams {
		resp, err := s.exchangeUDP(out, up)
		if err == nil && resp.Truncated {
			resp, _, err = s.tcp.Exchange(out, up)
		}
		if err != nil {
			lastErr = err
			continue
		}
		if resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused {
			lastErr = errors.New(dns.RcodeToString[resp.Rcode])
			continue
		}
		resp.Id = r.Id
		s.cache.put(key, resp, now)
		return resp, nil
	}
	return nil, lastErr
}

// exchangeUDP asks one upstream over a pooled UDP socket: creating a
// socket per query costs more than the query. A socket serves at most
// maxUses queries (its source port changes with the next one); replies
// with another ID or another question are ignored.
func (s *Server) exchangeUDP(m *dns.Msg, addr string) (*dns.Msg, error) {
	s.mu.Lock()
	if s.pools == nil {
		s.pools = map[string]chan *pooledConn{}
	}
	pool, ok := s.pools[addr]
	if !ok {
		pool = make(chan *pooledConn, 64)
		s.pools[addr] = pool
	}
	s.mu.Unlock()
	var pc *pooledConn
	select {
	case pc = <-pool:
	default:
		c, err := net.DialTimeout("udp", addr, s.cfg.Timeout)
		if err != nil {
			return nil, err
		}
		pc = &pooledConn{co: &dns.Conn{Conn: c, UDPSize: 4096}}
	}
	resp, _, err := s.udp.ExchangeWithConn(m, pc.co)
	pc.uses++
	if err == nil && (len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) ||
		resp.Question[0].Qtype != m.Question[0].Qtype) {
		err = errors.New("the upstream answered another question")
	}
	if err != nil || pc.uses >= maxUses {
		pc.co.Close()
	} else {
		select {
		case pool <- pc:
		default:
			pc.co.Close()
		}
	}
	return resp, err
}

const maxUses = 256

type pooledConn struct {
	co   *dns.Conn
	uses int
}

type cacheKey struct {
	name          string
	qtype, qclass uint16
	do            bool
}

type cacheEntry struct {
	msg     *dns.Msg
	stored  time.Time
	expires time.Time
}

// cache keeps answers for their smallest TTL (at most an hour; negative
// answers for the SOA minimum, at most five minutes).
type cache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]cacheEntry
}

func (c *cache) get(k cacheKey, now time.Time) (*dns.Msg, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	m := e.msg.Copy()
	age := uint32(now.Sub(e.stored) / time.Second)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if rr.Header().Rrtype == dns.TypeOPT {
				continue
			}
			if rr.Header().Ttl > age {
				rr.Header().Ttl -= age
			} else {
				rr.Header().Ttl = 0
			}
		}
	}
	return m, true
}

func (c *cache) put(k cacheKey, m *dns.Msg, now time.Time) {
	ttl := uint32(3600)
	found := false
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			if rr.Header().Ttl < ttl {
				ttl = rr.Header().Ttl
			}
			found = true
		}
	}
	if !found || m.Rcode == dns.RcodeNameError {
		ttl = min(ttl, 300)
	}
	if ttl == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Full: drop a tenth of the entries (map order is random enough),
		// so that the cost of a sweep is spread over many insertions.
		drop := len(c.m) - c.max*9/10
		for k2 := range c.m {
			delete(c.m, k2)
			if drop--; drop <= 0 {
				break
			}
		}
	}
	c.m[k] = cacheEntry{msg: m.Copy(), stored: now, expires: now.Add(time.Duration(ttl) * time.Second)}
}

// String describes the server for logs.
func (s *Server) String() string {
	return "dnsd upstreams=" + strings.Join(s.cfg.Upstreams, ",") + " nxdomain=" + strconv.FormatBool(s.cfg.NXDomain)
}

// CacheLen returns how many answers the cache holds.
func (s *Server) CacheLen() int {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return len(s.cache.m)
}
