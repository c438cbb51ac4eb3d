// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The lean path forwards the common request — GET or HEAD without a body,
// no upgrade — from the handler's own goroutine: it writes the request on
// a kept-alive upstream connection, reads the answer and copies it back,
// with no goroutine hand-off (net/http's Transport runs a read loop and a
// write loop per connection: under load each hand-off waits for a core).
// Everything else takes httputil.ReverseProxy.

// upConn is a kept-alive upstream connection.
type upConn struct {
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time
}

// upPool keeps idle upstream connections by dial address.
type upPool struct {
	mu   sync.Mutex
	idle map[string][]*upConn
	n    int
}

const (
	maxIdleUp     = 512
	maxIdlePerUp  = 64
	upIdleTimeout = 60 * time.Second
)

func (p *upPool) get(addr string, now time.Time) *upConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := p.idle[addr]; len(l) > 0; l = p.idle[addr] {
		c := l[len(l)-1]
		p.idle[addr] = l[:len(l)-1]
		p.n--
		if now.Sub(c.used) < upIdleTimeout {
			return c
		}
		c.c.Close()
	}
	return nil
}

func (p *upPool) put(addr string, c *upConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil {
		p.idle = map[string][]*upConn{}
	}
	if p.n >= maxIdleUp || len(p.idle[addr]) >= maxIdlePerUp {
		c.c.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], c)
	p.n++
}

func (p *upPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.idle {
		for _, c := range l {
			c.c.Close()
		}
	}
	p.idle, p.n = nil, 0
}

var bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}

// leanEligible reports whether r may take the lean path.
func leanEligible(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength == 0 &&
		len(r.TransferEncoding) == 0 && r.Header.Get("Upgrade") == "" && r.Header.Get("Expect") == "" &&
		!r.Close
}

// hopHeaders are not forwarded (RFC 9110 §7.6.1), nor the proxy's own.
var hopHeaders = map[string]bool{"Connection": true, "Proxy-Connection": true, "Keep-Alive": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true}

// connectionTokens are the headers a Connection header names (also hop-by-hop).
func connectionTokens(h http.Header) []string {
	var out []string
	for _, v := range h["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, http.CanonicalHeaderKey(f))
			}
		}
	}
	return out
}

func skipHeader(k string, extra []string) bool {
	if hopHeaders[k] {
		return true
	}
	for _, e := range extra {
		if e == k {
			return true
		}
	}
	return false
}

// writeRequest writes r to bw in origin form for host.
func (s *Server) writeRequest(bw *bufio.Writer, r *http.Request, host, path, clientIP string) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(path)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	extra := connectionTokens(r.Header)
	for k, vs := range r.Header {
		if skipHeader(k, extra) || k == "Host" || (k == "X-Forwarded-For" && !s.cfg.XForwardedFor) {
			continue
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				continue
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			if k == "X-Forwarded-For" {
				v += ", " + clientIP
			}
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	if s.cfg.XForwardedFor && len(r.Header["X-Forwarded-For"]) == 0 {
		bw.WriteString("X-Forwarded-For: ")
		bw.WriteString(clientIP)
		bw.WriteString("\r\n")
	}
	if s.cfg.Via {
		bw.WriteString("Via: 1.1 preau\r\n")
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

// errCut is a failure after the answer's headers were sent.
var errCut = errors.New("proxyd: the answer was cut")

// errRetry marks a failure on a reused connection before any answer
// byte: the origin had closed it; the request is sent again on a new one.
var errRetry = errors.New("proxyd: stale upstream connection")

// lean forwards r on the lean path, answering w; it returns the status
// and the body bytes sent, or an error before anything was written (the
// caller then answers the error).
func (s *Server) lean(w http.ResponseWriter, r *http.Request, t Target, dialHost, clientIP string) (int, int64, error) {
	addr := net.JoinHostPort(t.Host, t.Port)
	host := r.URL.Host
	if dialHost != "" {
		addr = net.JoinHostPort(dialHost, t.Port)
		host = addr
	}
	for try := 0; ; try++ {
		status, n, err := s.leanOnce(w, r, addr, host, t.Path, clientIP, try > 0)
		if errors.Is(err, errRetry) && try == 0 {
			continue
		}
		return status, n, err
	}
}

func (s *Server) leanOnce(w http.ResponseWriter, r *http.Request, addr, host, path, clientIP string, fresh bool) (int, int64, error) {
	now := time.Now()
	var uc *upConn
	if !fresh {
		uc = s.up.get(addr, now)
	}
	reused := uc != nil
	if uc == nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.UpstreamTimeout)
		c, err := s.dial(ctx, "tcp", addr)
		cancel()
		if err != nil {
			return 0, 0, err
		}
		uc = &upConn{c: c}
	}
	br := bufReaders.Get().(*bufio.Reader)
	bw := bufWriters.Get().(*bufio.Writer)
	br.Reset(uc.c)
	bw.Reset(uc.c)
	defer func() {
		br.Reset(nil)
		bw.Reset(nil)
		bufReaders.Put(br)
		bufWriters.Put(bw)
	}()
	keep := false
	defer func() {
		if keep {
			uc.used = time.Now()
			s.up.put(addr, uc)
		} else {
			uc.c.Close()
		}
	}()
	uc.c.SetDeadline(now.Add(s.cfg.UpstreamTimeout))
	if err := s.writeRequest(bw, r, host, path, clientIP); err != nil {
		if reused {
			return 0, 0, errRetry
		}
		return 0, 0, err
	}
	var resp *http.Response
	for {
		var err error
		resp, err = http.ReadResponse(br, r)
		if err != nil {
			if reused && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)) {
				return 0, 0, errRetry
			}
			return 0, 0, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // 1xx: the final answer follows
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return 0, 0, errors.New("proxyd: unexpected protocol switch")
	}
	uc.c.SetDeadline(time.Time{})
	h := w.Header()
	extra := connectionTokens(resp.Header)
	for k, vs := range resp.Header {
		if !skipHeader(k, extra) {
			h[k] = vs
		}
	}
	if len(resp.Trailer) > 0 {
		for k := range resp.Trailer {
			h.Add("Trailer", k)
		}
	}
	w.WriteHeader(resp.StatusCode)
	var n int64
	var err error
	if r.Method != http.MethodHead {
		dst := io.Writer(w)
		if resp.ContentLength < 0 {
			dst = flushWriter{w} // streams and events: each piece at once
		}
		buf := copyBufs.Get().(*[]byte)
		n, err = io.CopyBuffer(dst, onlyReader{resp.Body}, *buf)
		copyBufs.Put(buf)
	}
	for k, vs := range resp.Trailer {
		h[http.TrailerPrefix+k] = vs
	}
	keep = err == nil && !resp.Close && resp.ProtoAtLeast(1, 1)
	if err != nil {
		return resp.StatusCode, n, errCut // headers are sent: the answer is cut
	}
	return resp.StatusCode, n, nil
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && (strings.Contains(ne.Err.Error(), "reset") || strings.Contains(ne.Err.Error(), "broken pipe"))
}

// onlyReader hides WriterTo so that CopyBuffer uses the pooled buffer.
type onlyReader struct{ io.Reader }

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}
