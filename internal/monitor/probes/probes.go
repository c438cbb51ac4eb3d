// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package probes runs supervision checks over the network (TCP connect,
// HTTP(S) with status, body and certificate conditions, DNS, TLS, ICMP
// echo when the process may send one), the probes of the host (disk,
// memory) and of Préau's own listeners, and sends alerts by mail and by a
// generic JSON webhook. It is the network adapter of package monitor.
package probes

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/monitor"
)

// Checker checks declared targets. The zero value is ready; Roots, when
// set, are the CAs trusted for HTTPS and TLS checks besides the system's.
type Checker struct {
	Roots *x509.CertPool
	// Now gives the time certificates are compared with (default time.Now).
	Now func() time.Time
}

var _ monitor.Checker = (*Checker)(nil)

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Check runs the check of t within ctx's deadline.
func (c *Checker) Check(ctx context.Context, t *monitor.Target) monitor.Result {
	start := time.Now()
	var r monitor.Result
	switch t.Kind {
	case monitor.KindTCP:
		r = TCP(ctx, t.Address)
	case monitor.KindHTTP:
		r = c.http(ctx, t)
	case monitor.KindTLS:
		r = c.tls(ctx, t)
	case monitor.KindDNS:
		r = DNS(ctx, t.Address)
	case monitor.KindICMP:
		r = Ping(ctx, t.Address)
	default:
		r = monitor.Fail("unknown kind %q", t.Kind)
	}
	if r.Latency == 0 {
		r.Latency = time.Since(start)
	}
	return r
}

// TCP connects to address and closes at once.
func TCP(ctx context.Context, address string) monitor.Result {
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return monitor.Fail("connect %s: %s", address, short(err))
	}
	conn.Close()
	return monitor.Result{OK: true, Latency: time.Since(start)}
}

// short returns the last part of a network error, without the address
// chain Go prefixes.
func short(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}

// certCheck fails when the leaf ends within days.
func (c *Checker) certCheck(certs []*x509.Certificate, days int, r *monitor.Result) {
	if len(certs) == 0 {
		return
	}
	r.CertEnd = certs[0].NotAfter
	if left := r.CertEnd.Sub(c.now()); days > 0 && left < time.Duration(days)*24*time.Hour {
		r.OK = false
		r.Error = fmt.Sprintf("certificate ends %s (in %d days; at least %d wanted)", r.CertEnd.UTC().Format(time.DateOnly),
			int(left.Hours()/24), days)
	}
}

func (c *Checker) tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: c.Roots, MinVersion: tls.VersionTLS12}
}

func (c *Checker) http(ctx context.Context, t *monitor.Target) monitor.Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Address, nil)
	if err != nil {
		return monitor.Fail("%v", err)
	}
	req.Header.Set("User-Agent", "Preau-Monitor/1")
	tr := &http.Transport{TLSClientConfig: c.tlsConfig(req.URL.Hostname()), DisableKeepAlives: true, Proxy: nil}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return monitor.Fail("GET %s: %s", t.Address, short(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r := monitor.Result{OK: true, Latency: time.Since(start)}
	switch {
	case t.ExpectStatus != 0 && resp.StatusCode != t.ExpectStatus:
		r.OK, r.Error = false, fmt.Sprintf("status %d, %d wanted", resp.StatusCode, t.ExpectStatus)
	case t.ExpectStatus == 0 && (resp.StatusCode < 200 || resp.StatusCode > 399):
		r.OK, r.Error = false, fmt.Sprintf("status %d", resp.StatusCode)
	case t.ExpectBody != "" && !bytes.Contains(body, []byte(t.ExpectBody)):
		r.OK, r.Error = false, fmt.Sprintf("the body lacks %q", t.ExpectBody)
	}
	if r.OK && resp.TLS != nil {
		c.certCheck(resp.TLS.PeerCertificates, t.CertDays, &r)
	}
	return r
}

func (c *Checker) tls(ctx context.Context, t *monitor.Target) monitor.Result {
	host, _, _ := net.SplitHostPort(t.Address)
	start := time.Now()
	d := tls.Dialer{Config: c.tlsConfig(host)}
	conn, err := d.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return monitor.Fail("TLS %s: %s", t.Address, short(err))
	}
	defer conn.Close()
	r := monitor.Result{OK: true, Latency: time.Since(start)}
	c.certCheck(conn.(*tls.Conn).ConnectionState().PeerCertificates, t.CertDays, &r)
	return r
}

// DNS resolves name ("name" or "name@server:port" to ask a given server).
func DNS(ctx context.Context, address string) monitor.Result {
	name, server, _ := strings.Cut(address, "@")
	res := net.DefaultResolver
	if server != "" {
		res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		}}
	}
	start := time.Now()
	addrs, err := res.LookupHost(ctx, name)
	if err != nil {
		return monitor.Fail("resolve %s: %s", name, short(err))
	}
	if len(addrs) == 0 {
		return monitor.Fail("resolve %s: no address", name)
	}
	return monitor.Result{OK: true, Latency: time.Since(start)}
}

// Disk returns a probe failing when the file system holding path has less
// than minFree of its space free (a ratio, e.g. 0.05).
func Disk(path string, minFree float64) monitor.ProbeFunc {
	return func(context.Context) monitor.Result {
		total, free, err := DiskUsage(path)
		if err != nil {
			return monitor.Fail("disk of %s: %v", path, err)
		}
		if total > 0 && float64(free)/float64(total) < minFree {
			return monitor.Fail("disk of %s: %.1f%% free, %.0f%% wanted", path, 100*float64(free)/float64(total), 100*minFree)
		}
		return monitor.Result{OK: true}
	}
}

// Memory returns a probe failing when less than minAvail of the host's
// memory is available (from /proc/meminfo).
func Memory(minAvail float64) monitor.ProbeFunc {
	return func(context.Context) monitor.Result {
		total, avail, err := MemoryUsage()
		if err != nil {
			return monitor.Result{OK: true} // not Linux: nothing to say
		}
		if total > 0 && float64(avail)/float64(total) < minAvail {
			return monitor.Fail("memory: %.1f%% available, %.0f%% wanted", 100*float64(avail)/float64(total), 100*minAvail)
		}
		return monitor.Result{OK: true}
	}
}

// MemoryUsage reads the total and available memory in bytes.
func MemoryUsage() (total, avail uint64, err error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	return ParseMeminfo(b)
}

// ParseMeminfo reads MemTotal and MemAvailable from /proc/meminfo's text.
func ParseMeminfo(b []byte) (total, avail uint64, err error) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, perr := strconv.ParseUint(f[0], 10, 64)
		if perr != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		switch k {
		case "MemTotal":
			total = n
		case "MemAvailable":
			avail = n
		}
	}
	if total == 0 {
		return 0, 0, errors.New("no MemTotal in /proc/meminfo")
	}
	return total, avail, nil
}

// Listener returns a probe of one of Préau's own TCP listeners: addr()
// gives its address ("" when it is not running, which fails).
func Listener(addr func() string) monitor.ProbeFunc {
	return func(ctx context.Context) monitor.Result {
		a := addr()
		if a == "" {
			return monitor.Fail("not listening")
		}
		return TCP(ctx, loopback(a))
	}
}

// HTTPS returns a probe making a synthetic request to Préau's HTTPS
// listener (path, e.g. /healthz) with serverName as the TLS name, and
// checking its certificate lasts certDays more days.
func HTTPS(addr func() string, serverName, path string, roots *x509.CertPool, certDays int) monitor.ProbeFunc {
	return func(ctx context.Context) monitor.Result {
		a := addr()
		if a == "" {
			return monitor.Fail("not listening")
		}
		start := time.Now()
		var d net.Dialer
		tr := &http.Transport{DisableKeepAlives: true, Proxy: nil,
			TLSClientConfig: &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, loopback(a))
			}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+serverName+path, nil)
		if err != nil {
			return monitor.Fail("%v", err)
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			return monitor.Fail("GET %s: %s", path, short(errors.Unwrap(err)))
		}
		resp.Body.Close()
		r := monitor.Result{OK: resp.StatusCode == http.StatusOK, Latency: time.Since(start)}
		if !r.OK {
			r.Error = fmt.Sprintf("GET %s: status %d", path, resp.StatusCode)
		} else if resp.TLS != nil {
			(&Checker{}).certCheck(resp.TLS.PeerCertificates, certDays, &r)
		}
		return r
	}
}

// loopback replaces an unspecified listen host (0.0.0.0, ::) by loopback.
func loopback(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			h = "127.0.0.1"
		} else {
			h = "::1"
		}
	}
	return net.JoinHostPort(h, p)
}
