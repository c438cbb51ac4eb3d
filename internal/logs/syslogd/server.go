// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
)

// Mapper names the establishment a sender's address belongs to ("" for
// none: the record goes to the deployment stream, never dropped).
type Mapper interface {
	EstablishmentOf(addr netip.Addr) string
}

// Config configures a Server.
type Config struct {
	Sink     logs.Sink
	Mapper   Mapper         // nil: every record to the deployment stream
	Location *time.Location // zone of RFC 3164 times; default time.Local
	// RatePerSource is how many messages per second one sender address
	// may send (burst: twice that); beyond, UDP messages are dropped and
	// counted, with a summary record, and a TCP or TLS sender is slowed
	// down. 0 means 5,000.
	RatePerSource int
	Clock         core.Clock
	Log           *slog.Logger
}

// Stats are the server's counters.
type Stats struct {
	Received    int64
	RateLimited int64 // UDP messages dropped, and stream messages delayed, over the rate
	Truncated   int64
	BadFrames   int64
}

// Server receives syslog. Its surface follows net/http.Server: Serve for TCP
// (or TLS: pass a tls listener) and ServePacket for UDP, then Shutdown.
type Server struct {
	cfg Config

	received, limited, truncated, badFrames atomic.Int64

	mu        sync.Mutex
	listeners map[net.Listener]bool
	packets   map[net.PacketConn]bool
	conns     map[net.Conn]bool
	buckets   map[netip.Addr]*bucket
	closed    bool
	stop      chan struct{} // closed by Shutdown
	wg        sync.WaitGroup
}

type bucket struct {
	tokens  float64
	last    time.Time
	dropped int64
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.RatePerSource <= 0 {
		cfg.RatePerSource = 5000
	}
	if cfg.Clock == nil {
		cfg.Clock = core.SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Sink == nil {
		cfg.Sink = logs.Discard{}
	}
	return &Server{cfg: cfg, listeners: map[net.Listener]bool{}, packets: map[net.PacketConn]bool{},
		conns: map[net.Conn]bool{}, buckets: map[netip.Addr]*bucket{}, stop: make(chan struct{})}
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{Received: s.received.Load(), RateLimited: s.limited.Load(), Truncated: s.truncated.Load(),
		BadFrames: s.badFrames.Load()}
}

// ErrServerClosed is returned by Serve and ServePacket after Shutdown.
var ErrServerClosed = errors.New("syslogd: server closed")

// Serve accepts TCP (or TLS) connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = true
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return ErrServerClosed
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handleConn(c)
	}
}

func (s *Server) handleConn(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	src := addrOf(c.RemoteAddr())
	transport := "tcp"
	if tc, ok := c.(*tls.Conn); ok {
		transport = "tls"
		_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.Handshake(); err != nil {
			s.cfg.Log.Debug("syslog TLS handshake failed", "from", src, "err", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Shutdown ends a connection waiting for room in the store
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	fr := NewFrameReader(c, MaxMessage)
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Minute))
		msg, truncated, err := fr.Next()
		if err != nil {
			if errors.Is(err, ErrFrame) {
				s.badFrames.Add(1)
			}
			return
		}
		if truncated {
			s.truncated.Add(1)
		}
		s.handleStream(ctx, msg, src, transport)
	}
}

// waiter is a Sink that can wait for room (logs.Store): stream transports
// use it so that TCP flow control slows the sender down instead of losing
// records.
type waiter interface {
	AppendWait(ctx context.Context, r logs.Record) error
}

func (s *Server) handleStream(ctx context.Context, raw []byte, src netip.Addr, transport string) {
	w, ok := s.cfg.Sink.(waiter)
	if !ok {
		s.handle(raw, src, transport)
		return
	}
	// Over its rate, a stream sender is slowed down (throttled), not cut.
	for throttled := false; ; throttled = true {
		if ok, _ := s.allow(src, s.cfg.Clock.Now()); ok {
			break
		}
		if !throttled {
			s.limited.Add(1)
		}
		time.Sleep(time.Second / time.Duration(s.cfg.RatePerSource))
	}
	now := s.cfg.Clock.Now()
	s.received.Add(1)
	est := ""
	if s.cfg.Mapper != nil && src.IsValid() {
		est = s.cfg.Mapper.EstablishmentOf(src)
	}
	_ = w.AppendWait(ctx, ToRecord(Parse(raw, now, s.cfg.Location), src, est, transport, now))
}

// ServePacket reads UDP datagrams from pc until Shutdown.
func (s *Server) ServePacket(pc net.PacketConn) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.packets[pc] = true
	s.mu.Unlock()
	buf := make([]byte, 65536)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.handle(buf[:n], addrOf(addr), "udp")
	}
}

// Shutdown closes the listeners and connections and waits for the
// connection handlers, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		close(s.stop)
	}
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for pc := range s.packets {
		pc.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func addrOf(a net.Addr) netip.Addr {
	switch v := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(v.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// allow applies the per-source token bucket.
func (s *Server) allow(src netip.Addr, now time.Time) (bool, int64) {
	rate := float64(s.cfg.RatePerSource)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[src]
	if b == nil {
		if len(s.buckets) > 100_000 {
			clear(s.buckets)
		}
		b = &bucket{tokens: 2 * rate, last: now}
		s.buckets[src] = b
	}
	b.tokens = min(2*rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		b.dropped++
		return false, 0
	}
	b.tokens--
	d := b.dropped
	b.dropped = 0
	return true, d
}

func (s *Server) handle(raw []byte, src netip.Addr, transport string) {
	now := s.cfg.Clock.Now()
	ok, dropped := s.allow(src, now)
	if !ok {
		s.limited.Add(1)
		return
	}
	s.received.Add(1)
	est := ""
	if s.cfg.Mapper != nil && src.IsValid() {
		est = s.cfg.Mapper.EstablishmentOf(src)
	}
	if dropped > 0 {
		s.cfg.Sink.Append(logs.Record{Time: now, Establishment: est, Class: logs.ClassSystem, Source: src.String(),
			Facility: 5, Severity: 4, Service: "syslog", Action: "rate-limit", Result: "dropped",
			Message: strconv.FormatInt(dropped, 10) + " messages from " + src.String() + " dropped over the rate limit",
			Fields:  map[string]string{"dropped": strconv.FormatInt(dropped, 10)}})
	}
	s.cfg.Sink.Append(ToRecord(Parse(raw, now, s.cfg.Location), src, est, transport, now))
}

// ToRecord turns a parsed message into the standard record. auth and
// authpriv facilities (4, 10) are security events; the rest is system.
func ToRecord(m Message, src netip.Addr, est, transport string, now time.Time) logs.Record {
	t := m.Time
	if t.IsZero() || t.After(now.Add(24*time.Hour)) || t.Before(now.AddDate(-1, 0, 0)) {
		t = now // no time, or one too wrong to trust: the receiver's
	}
	class := logs.ClassSystem
	if m.Facility == 4 || m.Facility == 10 {
		class = logs.ClassSecurity
	}
	host := m.Hostname
	if host == "" && src.IsValid() {
		host = src.String()
	}
	f := m.SD // already keyed "sd.<id>.<param>": the record's fields
	if f == nil {
		f = make(map[string]string, 5)
	}
	f["transport"], f["format"] = transport, string(m.Format)
	if src.IsValid() {
		f["peer"] = src.String()
	}
	if m.ProcID != "" {
		f["procid"] = m.ProcID
	}
	if m.MsgID != "" {
		f["msgid"] = m.MsgID
	}
	if m.BadPRI {
		f["bad_pri"] = "1"
	}
	if !m.Time.IsZero() && !t.Equal(m.Time) {
		f["device_time"] = m.Time.Format(time.RFC3339Nano)
	}
	return logs.Record{Time: t, Establishment: est, Class: class, Source: host, Facility: m.Facility,
		Severity: logs.Severity(m.Severity), Service: firstNonEmpty(m.AppName, "syslog"), Message: m.Text, Fields: f}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
