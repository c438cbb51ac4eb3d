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
	"encoding/binary"
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
	tcp   *dns.Client

	mu      sync.Mutex
	servers []*dns.Server
	udps    []*net.UDPConn              // sockets served by serveUDP
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
		tcp: &dns.Client{Net: "tcp", Timeout: cfg.Timeout}}
}

// ServePacket answers queries on a UDP socket until Shutdown.
func (s *Server) ServePacket(pc net.PacketConn) error {
	if u, ok := pc.(*net.UDPConn); ok {
		return s.serveUDP(u)
	}
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
	for _, u := range s.udps {
		u.Close()
	}
	s.udps = nil
	for _, pool := range s.pools {
	drain:
		for {
			select {
			case pc := <-pool:
				pc.c.Close()
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
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	resp, fwd := s.answer(r, clientIP(w.RemoteAddr()), true)
	if fwd != nil {
		handled, err := s.forwardRaw(w, r, fwd.q, udp)
		switch {
		case handled && err == nil:
			fwd.done("ok")
			return
		case handled:
			s.log.Debug("DNS upstreams failed", "name", fwd.q.Name, "err", err)
			resp = new(dns.Msg)
			resp.SetRcode(r, dns.RcodeServerFailure)
			resp.RecursionAvailable = true
			fwd.done("error")
		default: // too large for the client: the unpacked way truncates it
			if resp, err = s.forward(r, fwd.q); err != nil {
				resp = new(dns.Msg)
				resp.SetRcode(r, dns.RcodeServerFailure)
			}
			fwd.done("ok")
		}
	}
	if resp == nil {
		return
	}
	if udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
		resp.Truncate(size)
	}
	bp := getBuf()
	defer putBuf(bp)
	if b, err := resp.PackBuffer(*bp); err == nil {
		_, _ = w.Write(b)
	}
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
	m, _ := s.answer(r, ip, false)
	return m
}

// pending is an allowed query left to forward on packed messages; done
// records its outcome.
type pending struct {
	q    dns.Question
	done func(result string)
}

// answer decides r; with raw, an allowed query to forward is returned as
// pending instead of being forwarded here.
func (s *Server) answer(r *dns.Msg, ip string, raw bool) (*dns.Msg, *pending) {
	if r == nil || r.Response {
		return nil, nil // never answer answers
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	if r.Opcode != dns.OpcodeQuery {
		m.SetRcode(r, dns.RcodeNotImplemented)
		return m, nil
	}
	if len(r.Question) != 1 {
		m.SetRcode(r, dns.RcodeFormatError)
		return m, nil
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
		return m, nil
	}
	req := filter.Request{Establishment: est, Host: host, Zone: zone, Time: now, Login: id.Login, Profile: id.Profile, Groups: id.Groups}
	d := filter.Decision{Allow: true, Layer: filter.LayerDefault, Rule: "default"}
	if host != "." && !strings.HasSuffix(host, ".arpa") {
		d = s.cfg.Engine.Decide(&req)
	}
	if !d.Allow {
		record(d, "refused", d.Rule)
		return s.blocked(r, m, q), nil
	}
	if target := filter.SafeSearchHost(host); target != "" && s.cfg.Engine.SafeSearch(&req) &&
		(q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeCNAME) {
		if s.cfg.LogAllowed {
			record(d, "ok", "safe-search")
		}
		return s.safeSearch(r, m, q, target), nil
	}
	if raw {
		p := &pending{q: q, done: func(string) {}}
		if s.cfg.LogAllowed {
			p.done = func(result string) { record(d, result, d.Rule) }
		}
		return nil, p
	}
	resp, err := s.forward(r, q)
	if err != nil {
		s.log.Debug("DNS upstreams failed", "name", name, "err", err)
		m.SetRcode(r, dns.RcodeServerFailure)
		if s.cfg.LogAllowed {
			record(d, "error", d.Rule)
		}
		return m, nil
	}
	if s.cfg.LogAllowed {
		record(d, "ok", d.Rule)
	}
	return resp, nil
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

// forward asks the upstreams, through the cache, and unpacks the answer.
func (s *Server) forward(r *dns.Msg, q dns.Question) (*dns.Msg, error) {
	key := rawKey(r, q)
	now := s.cfg.Now()
	bp := getBuf()
	defer putBuf(bp)
	b, ok := s.cache.get(key, now, (*bp)[:0])
	if !ok {
		var err error
		if b, err = s.upstream(r, *bp); err != nil {
			return nil, err
		}
		s.cache.put(key, b, now)
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(b); err != nil {
		return nil, err
	}
	resp.Id = r.Id
	return resp, nil
}

const maxUses = 256

type pooledConn struct {
	c    net.Conn
	uses int
}

type cacheKey struct {
	name          string
	qtype, qclass uint16
	do            bool
}

// cacheEntry is an answer as the upstream packed it, with the offsets of
// its TTL fields.
type cacheEntry struct {
	raw     []byte
	ttls    []uint16
	stored  time.Time
	expires time.Time
}

// cache keeps answers for their smallest TTL (at most an hour; negative
// answers for the SOA minimum, at most five minutes).
type cache struct {
	mu  sync.RWMutex
	max int
	m   map[cacheKey]cacheEntry
}

// get appends the cached answer for k to dst, its TTLs aged.
func (c *cache) get(k cacheKey, now time.Time, dst []byte) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return dst, false
	}
	b := append(dst, e.raw...)
	if age := uint32(now.Sub(e.stored) / time.Second); age > 0 {
		for _, off := range e.ttls {
			ttl := binary.BigEndian.Uint32(b[off:])
			if ttl > age {
				ttl -= age
			} else {
				ttl = 0
			}
			binary.BigEndian.PutUint32(b[off:], ttl)
		}
	}
	return b, true
}

func (c *cache) put(k cacheKey, raw []byte, now time.Time) {
	ttls, minTTL, found, ok := scanTTLs(raw, nil)
	if !ok {
		return
	}
	ttl := min(minTTL, 3600)
	if !found {
		ttl = 300
	}
	if raw[3]&0x0F == dns.RcodeNameError {
		ttl = min(ttl, 300)
	}
	if ttl == 0 {
		return
	}
	e := cacheEntry{raw: append([]byte(nil), raw...), ttls: ttls, stored: now, expires: now.Add(time.Duration(ttl) * time.Second)}
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
	c.m[k] = e
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
