// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/pki"
)

func TestTLSDialVerifiesWithCA(t *testing.T) {
	t.Parallel()
	// Real time: the client verifies certificates against the wall clock.
	p, err := pki.Load(pki.Config{Hosts: []string{"preau.test"}}, t.TempDir(), core.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "bonjour")
	}))
	ts.Listener = tls.NewListener(ts.Listener, p.TLSConfig())
	ts.Start()
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CACertPEM()) {
		t.Fatal("CACertPEM holds no certificate")
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port),
				&tls.Config{RootCAs: pool, ServerName: name, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.Close()

			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			defer tr.CloseIdleConnections()
			res, err := (&http.Client{Transport: tr}).Get("https://" + net.JoinHostPort(name, port) + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if string(body) != "bonjour" {
				t.Errorf("body %q", body)
			}
		})
	}
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port),
			&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS10,
				MaxVersion: tls.VersionTLS11})
		if err == nil {
			_ = conn.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
	})
}

func TestReloadSwapsCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, t0)
	a := newTestLeaf(t, ca, t0.Add(-time.Hour), t0.Add(90*24*time.Hour), "preau.test")
	b := newTestLeaf(t, ca, t0.Add(-time.Hour), t0.Add(180*24*time.Hour), "preau.test")
	cfg := pki.Config{
		CertFile: writeFile(t, dir, "fullchain.pem", a.pem()),
		KeyFile:  writeFile(t, dir, "privkey.pem", a.keyPEM(t)),
	}
	p, err := pki.Load(cfg, "", core.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	conf := p.TLSConfig() // taken before the reload, as a running listener would
	writeFile(t, dir, "fullchain.pem", b.pem())
	writeFile(t, dir, "privkey.pem", b.keyPEM(t))
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	got, err := conf.GetCertificate(&tls.ClientHelloInfo{ServerName: "preau.test"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Leaf.SerialNumber.Cmp(b.cert.SerialNumber) != 0 || !p.ServerCertNotAfter().Equal(b.cert.NotAfter) {
		t.Error("Reload did not swap the certificate")
	}

	writeFile(t, dir, "privkey.pem", []byte("garbage"))
	if err := p.Reload(); err == nil {
		t.Fatal("Reload accepted a garbage key")
	}
	if got, _ := conf.GetCertificate(&tls.ClientHelloInfo{}); got.Leaf.SerialNumber.Cmp(b.cert.SerialNumber) != 0 {
		t.Error("a failed Reload replaced the certificate in use")
	}
}
