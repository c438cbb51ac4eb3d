// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

const (
	writeTimeout   = time.Minute // a client must read what it asked for
	maxOpsPerConn  = 32          // concurrent operations per connection
	oidNoticeOfDis = "1.3.6.1.4.1.1466.20036"
)

// conn is one client connection. One goroutine reads requests; each
// operation but Bind, StartTLS, Unbind and Abandon runs on that goroutine
// when no further request is waiting (runInline), else on a worker
// goroutine; responses are serialised by wmu.
type conn struct {
	srv      *Server
	ip       string
	loopback bool
	ldaps    bool // accepted on a TLS listener
	tlsOn    bool // TLS in force (LDAPS or StartTLS); reader goroutine only

	ctx    context.Context // ends when the connection closes
	cancel context.CancelFunc

	r    *bufio.Reader // reader goroutine only
	rbuf []byte
	rdl  time.Time // read deadline last set

	wmu  sync.Mutex
	w    *bufio.Writer
	werr error
	wdl  time.Time

	mu    sync.Mutex // guards nc replacement and what follows
	nc    net.Conn
	state connState
	ops   map[int32]*op
	pages pageCache

	active atomic.Int32
	opWG   sync.WaitGroup
	sem    chan struct{}

	// inl is the reader generation times two, plus one while an operation
	// runs on the reader goroutine (runInline); inlAt is when that
	// operation started (Unix ns, 0: none), for the watchdog (inline.go).
	inl   atomic.Uint64
	inlAt atomic.Int64
}

// connState is what a bind decides; operations take a snapshot at start.
type connState struct {
	ctx        context.Context // carries the principal
	bound      bool
	dn         string
	login      string
	mustChange bool
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	_, ldaps := nc.(*tls.Conn)
	c := &conn{srv: s, nc: nc, ctx: ctx, cancel: cancel, ldaps: ldaps, tlsOn: ldaps,
		loopback: s.isLoopback(nc.RemoteAddr()), ops: map[int32]*op{},
		r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 16<<10),
		sem: make(chan struct{}, maxOpsPerConn)}
	if host, _, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		c.ip = host
	}
	c.state = c.anonymous()
	return c
}

// anonymous returns the state of an unbound connection.
func (c *conn) anonymous() connState {
	p := core.Principal{Channel: core.ChannelLDAP, Source: c.ip}
	return connState{ctx: core.ContextWithPrincipal(c.ctx, p)}
}

// serve reads and dispatches requests until the session ends.
func (c *conn) serve() { c.readLoop(0) }

// readLoop reads and dispatches requests. One goroutine at a time runs it:
// the connection's first, then, each time an operation answered on the
// reader goroutine outlasts inlineGrace, the goroutine of handOff, while
// the previous one finishes that operation and ends. gen is the reader
// generation of the goroutine (c.inl).
func (c *conn) readLoop(gen uint64) {
	handed := false
	defer func() {
		if handed {
			return
		}
		if r := recover(); r != nil {
			c.srv.log.Error("ldap connection panicked", "incident", core.NewIncidentID(),
				"panic", r, "stack", string(debug.Stack()))
		}
		c.finish()
		c.srv.connDone(c)
	}()
	for {
		if !c.armRead() {
			c.goodbye()
			return
		}
		tag, err := c.r.ReadByte()
		if err != nil {
			var ne net.Error
			switch {
			case c.srv.closing.Load():
				c.goodbye()
			case errors.As(err, &ne) && ne.Timeout() && c.active.Load() > 0:
				c.rdl = time.Time{} // operations still running: not idle
				continue
			}
			return
		}
		frame, err := readMessageFrame(c.r, tag, c.rbuf, c.srv.cfg.MaxMessageSize)
		switch {
		case errors.Is(err, errTooLarge):
			c.notice(ResultProtocolError, "message larger than "+itoa(c.srv.cfg.MaxMessageSize)+" bytes")
			c.drain()
			return
		case errors.Is(err, errMalformed):
			c.notice(ResultProtocolError, "malformed LDAP message")
			c.drain()
			return
		case err != nil:
			return
		}
		if !c.dispatch(frame) {
			return
		}
		if c.inl.Load()>>1 != gen { // another goroutine reads now (handOff)
			handed = true
			return
		}
		c.rbuf = frame[:0]
		if cap(c.rbuf) > 256<<10 {
			c.rbuf = nil // do not keep a large buffer for the life of the connection
		}
	}
}

// armRead extends the read deadline when it is getting near; it reports
// false when the server is shutting down.
func (c *conn) armRead() bool {
	idle := c.srv.cfg.IdleTimeout
	now := time.Now()
	if c.rdl.Sub(now) > idle*3/4 {
		return !c.srv.closing.Load()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv.closing.Load() {
		return false
	}
	c.rdl = now.Add(idle)
	c.nc.SetReadDeadline(c.rdl)
	return true
}

// wake interrupts the read so that the reader sees the shutdown.
func (c *conn) wake() {
	c.mu.Lock()
	c.nc.SetReadDeadline(time.Now())
	c.mu.Unlock()
}

// abort cancels every operation and closes the connection at once.
func (c *conn) abort() {
	c.cancel()
	c.mu.Lock()
	c.nc.Close()
	c.mu.Unlock()
}

// goodbye lets running operations finish, then sends the Notice of
// Disconnection of a shutdown.
func (c *conn) goodbye() {
	c.opWG.Wait()
	c.notice(ResultUnavailable, "the server is shutting down")
}

// finish ends the session: operations are cancelled and the socket closed.
func (c *conn) finish() {
	c.abort()
	c.opWG.Wait()
}

// notice sends an unsolicited Notice of Disconnection (RFC 4511 §4.4.1).
func (c *conn) notice(code ResultCode, msg string) {
	e := getEncoder()
	e.extendedResponse(0, result{code: code, msg: msg}, oidNoticeOfDis, nil)
	c.send(e.b)
	putEncoder(e)
}

// drain half-closes the connection after a Notice of Disconnection and
// discards what the client still sends (at most 1 MiB, for at most a
// second): closing a socket with unread data sends a reset, which can
// destroy the notice before the client reads it.
func (c *conn) drain() {
	c.mu.Lock()
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(time.Second))
	c.mu.Unlock()
	io.Copy(io.Discard, io.LimitReader(c.r, 1<<20))
}

// send writes b (one or more whole messages) and flushes. After a write
// error the connection is closed and every later send fails.
func (c *conn) send(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	if now := time.Now(); c.wdl.Sub(now) < writeTimeout/2 {
		c.wdl = now.Add(writeTimeout)
		c.nc.SetWriteDeadline(c.wdl)
	}
	_, err := c.w.Write(b)
	if err == nil {
		err = c.w.Flush()
	}
	if err != nil {
		c.werr = err
		go c.abort()
	}
	return err
}

// reply sends a response made of an LDAPResult.
func (c *conn) reply(id int32, tag byte, r result, controls ...respControl) {
	e := getEncoder()
	e.response(id, tag, r, controls...)
	c.send(e.b)
	putEncoder(e)
}

// getState returns the current bind state.
func (c *conn) getState() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// setState replaces the bind state.
func (c *conn) setState(st connState) {
	c.mu.Lock()
	c.state = st
	c.mu.Unlock()
}
