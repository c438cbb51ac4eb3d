// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package probes_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/monitor/probes"
)

func check(t *testing.T, c *probes.Checker, tg monitor.Target) monitor.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Check(ctx, &tg)
}

// TestHTTPCheckConditions: status, body and certificate-expiry conditions
// of an HTTPS check, each failing with a message naming what is wrong.
// CARINE: MCO-SEI-1
func TestHTTPCheckConditions(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ENT du collège: OK")
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := &probes.Checker{Roots: pool}
	for _, tc := range []struct {
		name string
		tg   monitor.Target
		ok   bool
		msg  string
	}{
		{"plain", monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL + "/"}, true, ""},
		{"body", monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL + "/", ExpectBody: "OK"}, true, ""},
		{"body missing", monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL + "/", ExpectBody: "Moodle"}, false, `lacks "Moodle"`},
		{"5xx", monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL + "/down"}, false, "status 503"},
		{"expected 503", monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL + "/down", ExpectStatus: 503}, true, ""},
		{"tls", monitor.Target{Kind: monitor.KindTLS, Address: srv.Listener.Addr().String()}, true, ""},
	} {
		r := check(t, c, tc.tg)
		if r.OK != tc.ok || !strings.Contains(r.Error, tc.msg) {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
	// A certificate ending in 10 days fails a 30-day condition.
	end := srv.Certificate().NotAfter
	soon := &probes.Checker{Roots: pool, Now: func() time.Time { return end.Add(-10 * 24 * time.Hour) }}
	for _, kind := range []monitor.Kind{monitor.KindHTTP, monitor.KindTLS} {
		addr := srv.URL
		if kind == monitor.KindTLS {
			addr = srv.Listener.Addr().String()
		}
		r := check(t, soon, monitor.Target{Kind: kind, Address: addr, CertDays: 30})
		if r.OK || !strings.Contains(r.Error, "certificate ends") || !r.CertEnd.Equal(end) {
			t.Errorf("%s near expiry: %+v", kind, r)
		}
	}
	// An unknown CA fails the handshake.
	if r := check(t, &probes.Checker{}, monitor.Target{Kind: monitor.KindHTTP, Address: srv.URL}); r.OK {
		t.Error("an untrusted certificate passed")
	}
}

// TestTCPAndDNSChecks: a closed port and an unknown name fail; an open
// port and localhost pass.
func TestTCPAndDNSChecks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	c := &probes.Checker{}
	if r := check(t, c, monitor.Target{Kind: monitor.KindTCP, Address: addr}); !r.OK {
		t.Fatalf("open port: %+v", r)
	}
	ln.Close()
	if r := check(t, c, monitor.Target{Kind: monitor.KindTCP, Address: addr}); r.OK || !strings.Contains(r.Error, "refused") {
		t.Fatalf("closed port: %+v", r)
	}
	if r := check(t, c, monitor.Target{Kind: monitor.KindDNS, Address: "localhost"}); !r.OK {
		t.Fatalf("localhost: %+v", r)
	}
	if r := check(t, c, monitor.Target{Kind: monitor.KindDNS, Address: "nothing.invalid"}); r.OK {
		t.Fatal("an .invalid name resolved")
	}
}

// TestPing: ICMP works where the process may send it, and otherwise says
// so rather than reporting the host down for a wrong reason.
func TestPing(t *testing.T) {
	r := probes.Ping(context.Background(), "127.0.0.1")
	if !r.OK && !strings.Contains(r.Error, "not permitted") {
		t.Fatalf("ping of loopback: %+v", r)
	}
	if msg := probes.EchoRequest(1, []byte("preau")); msg[0] != 8 || len(msg) != 13 {
		t.Fatalf("echo request % x", msg)
	}
}

// TestAlerterMailAndWebhook: an alert goes to the on-call addresses and,
// signed, to the webhook; a failing receiver is reported, the mail still
// counted. CARINE: MCO-SEI-2
func TestAlerterMailAndWebhook(t *testing.T) {
	var got monitor.Alert
	var sig string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.Error(w, "no", 500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte("k"))
		m.Write(b)
		sig = hex.EncodeToString(m.Sum(nil))
		if r.Header.Get("X-Preau-Signature") != "sha256="+sig {
			http.Error(w, "bad signature", 401)
			return
		}
		json.Unmarshal(b, &got)
	}))
	defer srv.Close()
	var mails []string
	al := &probes.Alerter{
		Settings: func(context.Context) (probes.AlertSettings, error) {
			return probes.AlertSettings{OnCall: []string{"a@x.test"}, Webhook: srv.URL, Secret: "k"}, nil
		},
		Mail: func(_ context.Context, to []string, subject, _ string) error {
			mails = append(mails, to[0]+": "+subject)
			return nil
		},
	}
	a := monitor.Alert{Event: "incident.opened", IncidentID: "i1", Title: "ENT ne répond plus", Establishment: "0999001W",
		OpenedAt: time.Now(), TargetSecs: 3600}
	sent, err := al.Alert(context.Background(), a)
	if err != nil || len(sent) != 2 || got.IncidentID != "i1" || len(mails) != 1 || !strings.Contains(mails[0], "[Préau] Incident : ENT") {
		t.Fatalf("sent %v err %v got %+v mails %v", sent, err, got, mails)
	}
	fail = true
	sent, err = al.Alert(context.Background(), a)
	if err == nil || len(sent) != 1 || !strings.Contains(err.Error(), "webhook") {
		t.Fatalf("with a failing receiver: %v %v", sent, err)
	}
}

// TestHostProbes: the disk and memory of the host are measured.
func TestHostProbes(t *testing.T) {
	total, free, err := probes.DiskUsage(t.TempDir())
	if err != nil || total == 0 || free > total {
		t.Fatalf("disk: %d %d %v", total, free, err)
	}
	if r := probes.Disk(t.TempDir(), 1.01)(context.Background()); r.OK {
		t.Fatal("a disk can never have 101% free")
	}
	mt, ma, err := probes.ParseMeminfo([]byte("MemTotal:       16303204 kB\nMemFree: 1 kB\nMemAvailable:    8151602 kB\n"))
	if err != nil || mt != 16303204*1024 || ma != 8151602*1024 {
		t.Fatalf("meminfo: %d %d %v", mt, ma, err)
	}
	if _, _, err := probes.ParseMeminfo([]byte("garbage")); err == nil {
		t.Fatal("garbage parsed")
	}
	if r := probes.Listener(func() string { return "" })(context.Background()); r.OK || r.Error != "not listening" {
		t.Fatalf("listener off: %+v", r)
	}
}

// FuzzParseMeminfo: /proc/meminfo's text never panics the parser.
func FuzzParseMeminfo(f *testing.F) {
	f.Add([]byte("MemTotal: 100 kB\nMemAvailable: 50 kB\n"))
	f.Add([]byte("MemTotal:\nMemAvailable: x kB"))
	f.Add([]byte(":::\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		total, _, err := probes.ParseMeminfo(b)
		if err == nil && total == 0 {
			t.Fatal("no error without a total")
		}
	})
}
