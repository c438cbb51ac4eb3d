// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/logs"
)

// Interceptor decrypts the HTTPS of the profiles that ask for it (TLS
// interception, off by default; filter.ProfileSettings.Intercept): the
// proxy answers CONNECT itself with a certificate for the host signed by
// Préau's interception CA — which only managed devices that installed it
// trust —, decides on every decrypted request's URL, shows the block page
// inside HTTPS, and forwards allowed requests to the origin, verifying the
// origin's certificate as a browser would.
type Interceptor struct {
	ca     *x509.Certificate
	caKey  crypto.Signer
	caPEM  []byte
	leafK  *ecdsa.PrivateKey // one key for every leaf certificate
	roots  *x509.CertPool    // origins' roots; nil: the system's
	now    func() time.Time
	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// maxLeaves bounds the leaf certificate cache.
const maxLeaves = 10000

// LoadOrCreateInterceptCA reads the interception CA from dir
// (intercept-ca.crt and intercept-ca.key), creating it on first use: an
// ECDSA P-256 key (file mode 0600) and a ten-year CA certificate that may
// sign server certificates only (path length 0). Files are written by
// temporary file, fsync and rename. roots are the CAs origins are verified
// against (nil: the system's).
func LoadOrCreateInterceptCA(dir, name string, roots *x509.CertPool) (*Interceptor, error) {
	const op = "proxyd.LoadOrCreateInterceptCA"
	crtPath, keyPath := filepath.Join(dir, "intercept-ca.crt"), filepath.Join(dir, "intercept-ca.key")
	crtPEM, err1 := os.ReadFile(crtPath)
	keyPEM, err2 := os.ReadFile(keyPath)
	if errors.Is(err1, os.ErrNotExist) && errors.Is(err2, os.ErrNotExist) {
		crtPEM, keyPEM, err1 = newInterceptCA(name)
		if err1 != nil {
			return nil, core.E(op, core.Internal, "creating the interception CA: %v", err1)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, core.E(op, core.Internal, "%v", err)
		}
		if err := writeFileSync(keyPath, keyPEM, 0o600); err != nil {
			return nil, core.E(op, core.Internal, "%v", err)
		}
		if err := writeFileSync(crtPath, crtPEM, 0o644); err != nil {
			return nil, core.E(op, core.Internal, "%v", err)
		}
	} else if err1 != nil || err2 != nil {
		return nil, core.E(op, core.Internal, "the interception CA in %s is incomplete: %v", dir, errors.Join(err1, err2))
	}
	return NewInterceptor(crtPEM, keyPEM, roots)
}

// NewInterceptor builds an interceptor from a CA certificate and key (PEM).
func NewInterceptor(crtPEM, keyPEM []byte, roots *x509.CertPool) (*Interceptor, error) {
	const op = "proxyd.NewInterceptor"
	pair, err := tls.X509KeyPair(crtPEM, keyPEM)
	if err != nil {
		return nil, core.E(op, core.Invalid, "the interception CA cannot be read: %v", err)
	}
	ca, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || !ca.IsCA {
		return nil, core.E(op, core.Invalid, "the interception certificate is not a CA")
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, core.E(op, core.Invalid, "the interception CA key cannot sign")
	}
	leafK, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, core.E(op, core.Internal, "%v", err)
	}
	return &Interceptor{ca: ca, caKey: signer, caPEM: crtPEM, leafK: leafK, roots: roots, now: time.Now,
		leaves: map[string]*tls.Certificate{}}, nil
}

// CACertPEM is the interception CA's certificate, for managed devices to
// install.
func (ic *Interceptor) CACertPEM() []byte { return ic.caPEM }

// Fingerprint is the SHA-256 of the CA certificate, in hex.
func (ic *Interceptor) Fingerprint() string {
	sum := sha256.Sum256(ic.ca.Raw)
	return hex.EncodeToString(sum[:])
}

func newInterceptCA(name string) (crtPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now()
	if name == "" {
		name = "Préau"
	}
	tmpl := &x509.Certificate{SerialNumber: serial,
		Subject:   pkix.Name{CommonName: name + " — autorité d'interception du filtrage", Organization: []string{"Préau"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		MaxPathLen: 0, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func writeFileSync(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// leaf returns the certificate presented for host, made on first use and
// cached until a day before it ends (certificates last a week).
func (ic *Interceptor) leaf(host string) (*tls.Certificate, error) {
	now := ic.now()
	ic.mu.Lock()
	c, ok := ic.leaves[host]
	ic.mu.Unlock()
	if ok && now.Before(c.Leaf.NotAfter.Add(-24*time.Hour)) {
		return c, nil
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ic.ca, &ic.leafK.PublicKey, ic.caKey)
	if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	c = &tls.Certificate{Certificate: [][]byte{der, ic.ca.Raw}, PrivateKey: ic.leafK, Leaf: leaf}
	ic.mu.Lock()
	if len(ic.leaves) >= maxLeaves {
		clear(ic.leaves)
	}
	ic.leaves[host] = c
	ic.mu.Unlock()
	return c, nil
}

// interceptFor is what an intercepted tunnel knows of its user.
type interceptFor struct {
	t        Target
	id       Identity
	how, ip  string
	zone     string
	dialHost string
}

// intercept answers CONNECT, terminates TLS with a certificate for the
// host and serves the decrypted requests, each decided on its URL.
func (s *Server) intercept(w http.ResponseWriter, r *http.Request, f interceptFor) {
	ic := s.cfg.Intercept
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, r, http.StatusInternalServerError, "upstream", f.t.Host)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.tunnels[conn] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.tunnels, conn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	defer conn.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	var raw net.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		raw = &prefixConn{Conn: conn, r: io.MultiReader(bytes.NewReader(append([]byte(nil), b...)), conn)}
	}
	tc := tls.Server(raw, &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			// The certificate names the CONNECT target, whatever the SNI
			// says: the decision was taken on that name.
			return ic.leaf(f.t.Host)
		}})
	tc.SetDeadline(time.Now().Add(s.cfg.UpstreamTimeout))
	if err := tc.Handshake(); err != nil {
		s.log.Debug("interception handshake failed (does the device trust the interception CA?)", "host", f.t.Host, "err", err)
		rec := logs.Record{Time: s.cfg.Now(), Class: logs.ClassConnection, Service: "proxy", Source: f.ip, User: f.id.Login,
			Establishment: f.id.Establishment, Object: f.t.Host, Action: "allow", Result: "error",
			Fields: map[string]string{"rule": "intercept", "status": "handshake", "auth": f.how}}
		s.cfg.Sink.Append(rec)
		return
	}
	tc.SetDeadline(time.Time{})
	ln := &oneConnListener{c: tc, done: make(chan struct{})}
	srv := &http.Server{Handler: s.interceptHandler(f), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: s.http.ErrorLog, ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				ln.close()
			}
		}}
	srv.Serve(ln)
	<-ln.done
}

// interceptHandler serves one intercepted connection's requests.
func (s *Server) interceptHandler(f interceptFor) http.Handler {
	port := f.t.Port
	hostport := f.t.Host
	if port != "443" {
		hostport = net.JoinHostPort(f.t.Host, port)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		path := r.URL.RequestURI()
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		t := Target{Host: f.t.Host, Port: port, Path: path, URL: "https://" + hostport + path}
		req := filter.Request{Establishment: f.id.Establishment, Host: t.Host, Path: t.Path, URL: t.URL, Login: f.id.Login,
			Profile: f.id.Profile, Groups: f.id.Groups, Zone: f.zone, Time: start}
		d := s.cfg.Engine.Decide(&req)
		rec := logs.Record{Time: start, Class: logs.ClassConnection, Service: "proxy", Source: f.ip, Severity: 6,
			User: f.id.Login, Establishment: f.id.Establishment, Object: t.URL, Action: d.Action(),
			Fields: map[string]string{"rule": d.Rule, "layer": string(d.Layer), "auth": f.how, "intercept": "1"}}
		if d.Category != "" {
			rec.Fields["category"] = d.Category
		}
		if f.zone != "" {
			rec.Fields["zone"] = f.zone
		}
		if !d.Allow {
			rec.Result, rec.Fields["status"] = "refused", "403"
			s.cfg.Sink.Append(rec)
			s.blockPage(w, r, t, d)
			return
		}
		cw := &countingWriter{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), interceptKey{}, f)
		s.irp.ServeHTTP(cw, r.WithContext(ctx))
		rec.Result = "ok"
		if cw.refused != "" {
			rec.Action, rec.Result, rec.Fields["rule"], rec.Fields["layer"] = "block", "refused", "destination:"+cw.refused, "destination"
		} else if cw.status >= 500 {
			rec.Result = "error"
		}
		rec.Fields["status"] = strconv.Itoa(cw.status)
		rec.Fields["bytes"] = strconv.FormatInt(cw.n, 10)
		s.cfg.Sink.Append(rec)
	})
}

type interceptKey struct{}

// newInterceptProxy is the reverse proxy of decrypted requests: to the
// CONNECT target over TLS, the origin's certificate verified against the
// interceptor's roots (the system's by default).
func (s *Server) newInterceptProxy() *httputil.ReverseProxy {
	var roots *x509.CertPool
	if s.cfg.Intercept != nil {
		roots = s.cfg.Intercept.roots
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if f, ok := ctx.Value(interceptKey{}).(interceptFor); ok && f.dialHost != "" {
				_, port, _ := net.SplitHostPort(addr)
				addr = net.JoinHostPort(f.dialHost, port)
			}
			return s.dial(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: s.cfg.UpstreamTimeout,
		TLSHandshakeTimeout:   s.cfg.UpstreamTimeout,
		DisableCompression:    true,
	}
	s.itr = tr
	return &httputil.ReverseProxy{
		Transport:  tr,
		BufferPool: bufPool{},
		Rewrite: func(pr *httputil.ProxyRequest) {
			f, _ := pr.In.Context().Value(interceptKey{}).(interceptFor)
			u := cloneURL(pr.In.URL)
			u.Scheme, u.Host = "https", f.t.Host
			if f.t.Port != "443" {
				u.Host = net.JoinHostPort(f.t.Host, f.t.Port)
			}
			pr.Out.URL, pr.Out.Host = u, u.Host
			if s.cfg.XForwardedFor {
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
				pr.SetXForwarded()
			}
			if s.cfg.Via {
				pr.Out.Header.Add("Via", "1.1 preau")
			}
		},
		ErrorHandler: s.upstreamFailed,
	}
}

// prefixConn replays bytes read before the hijack.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// oneConnListener hands one connection to an http.Server, then blocks
// until it is closed.
type oneConnListener struct {
	c    net.Conn
	once sync.Once
	done chan struct{}
	used bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return l.c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) close() { l.once.Do(func() { close(l.done) }) }

func (l *oneConnListener) Close() error   { l.close(); return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }
