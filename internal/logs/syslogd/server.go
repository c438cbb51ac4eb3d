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
	if bs, ok := s.cfg.Sink.(batchSink); ok {
		s.readBatches(ctx, c, fr, bs, src, transport)
		return
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Minute))
		msg, ok := s.nextFrame(fr)
		if !ok {
			return
		}
		s.handleStream(ctx, msg, src, transport)
	}
}

// nextFrame reads the next message of a stream, counting bad frames and
// truncated messages; false ends the connection.
func (s *Server) nextFrame(fr *FrameReader) ([]byte, bool) {
	msg, truncated, err := fr.Next()
	if err != nil {
		if errors.Is(err, ErrFrame) {
			s.badFrames.Add(1)
		}
		return nil, false
	}
	if truncated {
		s.truncated.Add(1)
	}
	return msg, true
}

// batchSink takes records already encoded, in batches, waiting for room
// (logs.Store): the stream receivers' fast path.
type batchSink interface {
	AppendEncoded(ctx context.Context, recs []logs.Encoded, release func()) error
}

// batchBuf is a batch and the arena its lines are encoded into, reused once
// the store has copied them.
type batchBuf struct {
	recs  []logs.Encoded
	arena []byte
}

// batchPool keeps the batches the store has copied for the next ones: a
// bounded free list rather than a sync.Pool, which the GC empties (the
// receivers then allocated and zeroed their arenas again after each
// collection).
var batchPool = batchList{c: make(chan *batchBuf, 64)}

type batchList struct{ c chan *batchBuf }

func (l batchList) Get() *batchBuf {
	select {
	case b := <-l.c:
		return b
	default:
		return &batchBuf{recs: make([]logs.Encoded, 0, batchSize), arena: make([]byte, 0, 128<<10)}
	}
}

func (l batchList) Put(b *batchBuf) {
	select {
	case l.c <- b:
	default:
	}
}

// batchSize is how many records a stream receiver hands over at once; a
// batch also goes as soon as the connection has nothing more buffered, so
// batching adds no delay.
const batchSize = 256

// readBatches is the stream receivers' fast path: each message is parsed
// and encoded into the stored form in this connection's goroutine, into a
// shared arena, and records go to the store a batch at a time.
func (s *Server) readBatches(ctx context.Context, c net.Conn, fr *FrameReader, bs batchSink, src netip.Addr, transport string) {
	enc := newEncoder(src, transport)
	var bb *batchBuf
	est, estAt := "", time.Time{}
	local := 0    // tokens this connection holds
	received := 0 // messages not yet added to s.received
	var now time.Time
	send := func() {
		s.received.Add(int64(received))
		received = 0
		if bb != nil && len(bb.recs) > 0 {
			b := bb
			// Not taken (shutdown), the buffers are left to the GC.
			_ = bs.AppendEncoded(ctx, b.recs, func() {
				clear(b.recs)
				b.recs, b.arena = b.recs[:0], b.arena[:0]
				batchPool.Put(b)
			})
			bb = nil
		}
	}
	defer send()
	for n := 0; ; n++ {
		read := fr.Buffered() == 0 // the next message comes from the network
		if read {
			send() // about to wait for the network: hand over what we have
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Minute))
		}
		msg, ok := s.nextFrame(fr)
		if !ok {
			return
		}
		// The reception time: read after each wait for the network and
		// every clockEvery messages in between (messages read together
		// arrived together; parsing clockEvery of them takes microseconds).
		if read || n%clockEvery == 0 {
			now = s.cfg.Clock.Now()
		}
		now = s.throttle(src, &local, streamGrant, now)
		received++
		if s.cfg.Mapper != nil && src.IsValid() && (estAt.IsZero() || now.Sub(estAt) > time.Second || now.Before(estAt)) {
			est, estAt = s.cfg.Mapper.EstablishmentOf(src), now
		}
		if bb != nil && cap(bb.arena)-len(bb.arena) < 2*len(msg)+1024 {
			send() // the arena is full: a batch never spans two arenas
		}
		if bb == nil {
			bb = batchPool.Get()
		}
		off := len(bb.arena)
		var t time.Time
		var class logs.Class
		var host string
		bb.arena, t, class, host = enc.encode(bb.arena, msg, est, now, s.cfg.Location)
		bb.recs = append(bb.recs, logs.Encoded{Stream: logs.Stream{Class: class, Establishment: est},
			Line: bb.arena[off:len(bb.arena):len(bb.arena)], Time: t, Host: host})
		if len(bb.recs) == batchSize {
			send()
		}
	}
}

// clockEvery is how many messages of one read share a reception time
// at most.
const clockEvery = 16

// streamGrant is how many tokens a stream connection takes from its
// source's bucket at once (fewer when fewer are left), so that the shared
// bucket is locked once per grant rather than once per message.
const streamGrant = 32

// throttle takes one token for a message from src received at now, from
// the connection's own allowance (*local) refilled from the source's
// bucket, waiting while the source is over its rate: a stream sender is
// slowed down (TCP flow control), not cut. It returns the reception time
// (later than now when it waited).
func (s *Server) throttle(src netip.Addr, local *int, grant int, now time.Time) time.Time {
	if *local > 0 {
		*local--
		return now
	}
	for throttled := false; ; throttled = true {
		if n := s.take(src, now, grant); n > 0 {
			*local = n - 1
			return now
		}
		if !throttled {
			s.limited.Add(1)
		}
		time.Sleep(time.Second / time.Duration(s.cfg.RatePerSource))
		now = s.cfg.Clock.Now()
	}
}

// waiter is a Sink that can wait for room: stream transports use it so
// that TCP flow control slows the sender down instead of losing records.
type waiter interface {
	AppendWait(ctx context.Context, r logs.Record) error
}

// handleStream is the record path of the stream transports, for sinks that
// take no encoded batches.
func (s *Server) handleStream(ctx context.Context, raw []byte, src netip.Addr, transport string) {
	w, ok := s.cfg.Sink.(waiter)
	if !ok {
		s.handle(raw, src, transport)
		return
	}
	local := 0
	now := s.throttle(src, &local, 1, s.cfg.Clock.Now())
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
	if bs, ok := s.cfg.Sink.(batchSink); ok {
		return s.servePacketBatches(pc, bs)
	}
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

// udpSource is what the UDP receiver keeps per sender: its encoder (peer
// string, interned host) and its establishment, looked up once a second.
type udpSource struct {
	enc   *encoder
	est   string
	estAt time.Time
}

// udpLinger is how long the UDP receiver holds a partial batch waiting for
// more datagrams.
const udpLinger = 2 * time.Millisecond

// servePacketBatches is the UDP fast path: datagrams are encoded like stream
// messages and handed over in batches (a batch goes when full or when no
// datagram came for udpLinger). UDP has no flow control: a batch that finds
// the store's buffer full is dropped and counted, as Append does.
func (s *Server) servePacketBatches(pc net.PacketConn, bs batchSink) error {
	full, cancel := context.WithCancel(context.Background())
	cancel() // never wait for room
	buf := make([]byte, 65536)
	sources := map[netip.Addr]*udpSource{}
	var bb *batchBuf
	lingering := false
	send := func() {
		if bb != nil && len(bb.recs) > 0 {
			b := bb
			_ = bs.AppendEncoded(full, b.recs, func() {
				clear(b.recs)
				b.recs, b.arena = b.recs[:0], b.arena[:0]
				batchPool.Put(b)
			})
			bb = nil
		}
		if lingering {
			_ = pc.SetReadDeadline(time.Time{})
			lingering = false
		}
	}
	for {
		if bb != nil && !lingering {
			_ = pc.SetReadDeadline(time.Now().Add(udpLinger))
			lingering = true
		}
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				send()
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				send()
				continue
			}
			return err
		}
		src := addrOf(addr)
		now := s.cfg.Clock.Now()
		ok, dropped := s.allow(src, now)
		if !ok {
			s.limited.Add(1)
			continue
		}
		s.received.Add(1)
		us := sources[src]
		if us == nil {
			if len(sources) > 10_000 {
				clear(sources)
			}
			us = &udpSource{enc: newEncoder(src, "udp")}
			sources[src] = us
		}
		if s.cfg.Mapper != nil && src.IsValid() && (us.estAt.IsZero() || now.Sub(us.estAt) > time.Second || now.Before(us.estAt)) {
			us.est, us.estAt = s.cfg.Mapper.EstablishmentOf(src), now
		}
		if dropped > 0 {
			s.cfg.Sink.Append(rateLimitRecord(now, us.est, src, dropped))
		}
		msg := buf[:n]
		if bb != nil && cap(bb.arena)-len(bb.arena) < 2*len(msg)+1024 {
			send()
		}
		if bb == nil {
			bb = batchPool.Get()
		}
		off := len(bb.arena)
		var t time.Time
		var class logs.Class
		var host string
		bb.arena, t, class, host = us.enc.encode(bb.arena, msg, us.est, now, s.cfg.Location)
		bb.recs = append(bb.recs, logs.Encoded{Stream: logs.Stream{Class: class, Establishment: us.est},
			Line: bb.arena[off:len(bb.arena):len(bb.arena)], Time: t, Host: host})
		if len(bb.recs) == batchSize {
			send()
		}
	}
}

// rateLimitRecord says how many UDP messages of src were dropped over the
// rate limit.
func rateLimitRecord(now time.Time, est string, src netip.Addr, dropped int64) logs.Record {
	return logs.Record{Time: now, Establishment: est, Class: logs.ClassSystem, Source: src.String(),
		Facility: 5, Severity: 4, Service: "syslog", Action: "rate-limit", Result: "dropped",
		Message: strconv.FormatInt(dropped, 10) + " messages from " + src.String() + " dropped over the rate limit",
		Fields:  map[string]string{"dropped": strconv.FormatInt(dropped, 10)}}
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

// allow applies the per-source token bucket to one message; it also
// returns how many messages were refused since the last one allowed.
func (s *Server) allow(src netip.Addr, now time.Time) (bool, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketOf(src, now)
	if b.tokens < 1 {
		b.dropped++
		return false, 0
	}
	b.tokens--
	d := b.dropped
	b.dropped = 0
	return true, d
}

// take takes up to n whole tokens from src's bucket and returns how many.
func (s *Server) take(src netip.Addr, now time.Time, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketOf(src, now)
	got := min(n, int(b.tokens))
	if got > 0 {
		b.tokens -= float64(got)
	}
	return got
}

// bucketOf returns src's bucket refilled to now; s.mu is held.
func (s *Server) bucketOf(src netip.Addr, now time.Time) *bucket {
	rate := float64(s.cfg.RatePerSource)
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
	return b
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
		s.cfg.Sink.Append(rateLimitRecord(now, est, src, dropped))
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
