// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

// Config configures a Server. The zero value of each field has a default.
type Config struct {
	// BaseDN is the naming context, e.g. "dc=preau,dc=example", served in
	// the rootDSE. Searches outside it get noSuchObject.
	BaseDN string
	// AllowAnonymous lets anonymous clients search and compare. When false
	// (the default), anonymous clients may read only the rootDSE and the
	// subschema entry.
	AllowAnonymous bool
	// AllowPlainBindRemote accepts simple binds without TLS from
	// non-loopback addresses. When false (the default), they get
	// confidentialityRequired (13) naming INF-ANN-5.
	AllowPlainBindRemote bool
	// MaxSizeLimit caps the entries of a search without paging (default 1000;
	// negative: no cap). Each page of a paged search is capped likewise, but
	// a paged search may return more in all.
	MaxSizeLimit int
	// MaxTimeLimit caps the duration of a search (default 60s).
	MaxTimeLimit time.Duration
	// IdleTimeout closes connections without any request for that long
	// (default 15 min).
	IdleTimeout time.Duration
	// MaxMessageSize is the largest request accepted (default 1 MiB); a
	// larger one ends the session with protocolError.
	MaxMessageSize int
	// TLSConfig enables StartTLS; nil answers StartTLS with unavailable.
	TLSConfig *tls.Config
	// Vendor is served as vendorName, and vendorVersion after a "/"
	// ("Préau/1.4.0"). Default "Préau".
	Vendor string
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("ldapd: server closed")

// Server is an LDAP server. Create it with New, then call Serve with one or
// more listeners; it is safe for concurrent use.
type Server struct {
	cfg      Config
	dir      Directory
	log      *slog.Logger
	baseNorm string
	rootDSE  *Entry

	// isLoopback decides whether a client address may bind without TLS;
	// tests replace it.
	isLoopback func(net.Addr) bool

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	connWG    sync.WaitGroup

	workers workers
	watch   inlineWatch

	subMu     sync.Mutex
	subSchema *Schema
	subEntry  *Entry
}

// New returns a server for dir. It fails when BaseDN is not a valid DN or
// dir is nil. log may be nil (slog.Default).
func New(cfg Config, dir Directory, log *slog.Logger) (*Server, error) {
	const op = "ldapd.New"
	if dir == nil {
		return nil, core.E(op, core.Invalid, "no directory")
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxSizeLimit == 0 {
		cfg.MaxSizeLimit = 1000
	}
	if cfg.MaxTimeLimit <= 0 {
		cfg.MaxTimeLimit = 60 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Minute
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 1 << 20
	}
	if cfg.Vendor == "" {
		cfg.Vendor = "Préau"
	}
	s := &Server{cfg: cfg, dir: dir, log: log, isLoopback: isLoopbackAddr,
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	norm, ok := appendNormDN(nil, nil, cfg.BaseDN, dir.Schema().compiled())
	if !ok {
		return nil, core.E(op, core.Invalid, "invalid base DN %s", quote(cfg.BaseDN))
	}
	s.baseNorm = string(norm)
	s.rootDSE = s.buildRootDSE()
	return s, nil
}

// isLoopbackAddr reports whether a is a loopback IP address.
func isLoopbackAddr(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Serve accepts connections on ln until Shutdown or an accept error. A TLS
// listener (tls.NewListener) serves LDAPS: StartTLS is then refused and
// binds are allowed from anywhere. It returns ErrServerClosed after
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("ldap accept failed, retrying", "err", err, "delay", backoff)
				t := time.NewTimer(backoff)
				<-t.C
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			continue
		}
		go c.serve()
	}
}

// Shutdown stops accepting, lets running operations finish, sends each
// client a Notice of Disconnection (unavailable) and closes the
// connections. When ctx ends first, operations are cancelled and connections
// closed at once, and ctx.Err() is returned without waiting further.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.wake()
	}
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	defer s.workers.close()
	defer s.watch.stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.abort()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// newConn registers a connection, or closes it when shutting down.
func (s *Server) newConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		nc.Close()
		return nil
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	return c
}

// connDone unregisters c.
func (s *Server) connDone(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.connWG.Done()
}
