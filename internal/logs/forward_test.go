// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// certs returns a CA pool and a certificate it signed, for both ends.
func certs(t *testing.T) (*x509.CertPool, tls.Certificate) {
	ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, &ck.PublicKey, ck)
	caCert, _ := x509.ParseCertificate(caDER)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "preau"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, _ := x509.CreateCertificate(rand.Reader, leaf, caCert, &k.PublicKey, ck)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// collector is a syslog-TLS receiver requiring a client certificate.
type collector struct {
	mu   sync.Mutex
	msgs []string
	addr string
}

func startCollector(t *testing.T, pool *x509.CertPool, cert tls.Certificate) *collector {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c := &collector{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					ls, err := br.ReadString(' ')
					if err != nil {
						return
					}
					n, _ := strconv.Atoi(strings.TrimSpace(ls))
					buf := make([]byte, n)
					if _, err := io.ReadFull(br, buf); err != nil {
						return
					}
					c.mu.Lock()
					c.msgs = append(c.msgs, string(buf))
					c.mu.Unlock()
				}
			}()
		}
	}()
	return c
}

func (c *collector) wait(t *testing.T, n int) []string {
	for i := 0; i < 500; i++ {
		c.mu.Lock()
		got := len(c.msgs)
		c.mu.Unlock()
		if got >= n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// CARINE: MCO-JAL-8
func TestForwardOverMutualTLSResumesAndRefusesAlteredSegments(t *testing.T) {
	pool, cert := certs(t)
	col := startCollector(t, pool, cert)
	f := open(t, t.TempDir(), nil)
	fill(t, f, 2, 30)
	fw := &Forwarder{Store: f.s, Cursor: filepath.Join(f.dir, "forward.json"), Dial: func(ctx context.Context) (net.Conn, error) {
		d := tls.Dialer{Config: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}
		return d.DialContext(ctx, "tcp", col.addr)
	}}
	// Without a client certificate the collector refuses the connection.
	bad := &Forwarder{Store: f.s, Cursor: filepath.Join(f.dir, "bad.json"), Dial: func(ctx context.Context) (net.Conn, error) {
		c, err := tls.Dial("tcp", col.addr, &tls.Config{RootCAs: pool})
		if err == nil {
			err = c.Handshake()
			c.Write([]byte("x"))
			_, err = c.Read(make([]byte, 1))
		}
		return c, err
	}}
	if _, err := bad.Once(context.Background()); err == nil {
		t.Fatal("a forwarder without a client certificate was accepted")
	}
	n, err := fw.Once(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("sent %d: %v", n, err)
	}
	msgs := col.wait(t, 60)
	if len(msgs) != 60 || !strings.Contains(msgs[0], `[forward@32473 stream="local/connection/est1" seg="1" n="1" of="30"`) ||
		!strings.Contains(msgs[59], `seg="2" n="30" of="30"`) || !strings.Contains(msgs[0], `user="user`) {
		t.Fatalf("%d messages; first %q", len(msgs), msgs[0])
	}
	// Resumes: nothing twice, then only the new segment.
	if n, _ := fw.Once(context.Background()); n != 0 {
		t.Fatalf("sent %d segments again", n)
	}
	fill(t, f, 1, 5)
	if n, err := fw.Once(context.Background()); n != 1 || err != nil {
		t.Fatalf("sent %d: %v", n, err)
	}
	if msgs := col.wait(t, 65); len(msgs) != 65 || !strings.Contains(msgs[64], `seg="3" n="5" of="5"`) {
		t.Fatalf("%d messages after resume", len(msgs))
	}
	// An altered segment is not forwarded, and is named.
	fill(t, f, 1, 5)
	p := segPath(f, 4, "seg")
	b, _ := os.ReadFile(p)
	b[len(b)-3] ^= 1
	os.WriteFile(p, b, 0o600)
	if _, err := fw.Once(context.Background()); err == nil || !strings.Contains(err.Error(), "000000000004 not forwarded") {
		t.Fatalf("altered segment: %v", err)
	}
}
