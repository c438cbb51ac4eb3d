// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/logs"
)

var paris, _ = time.LoadLocation("Europe/Paris")
var now = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// CARINE: MCO-JAL-1
func TestParseRealDevices(t *testing.T) {
	cases := []struct {
		name, in              string
		format                Format
		fac, sev              uint8
		host, app, proc, text string
		year                  int
		badPRI                bool
	}{
		{"rfc3164", "<34>Oct  3 22:14:15 srv-scribe sshd[4721]: Accepted password for admin from 10.1.2.3 port 51522 ssh2",
			RFC3164, 4, 2, "srv-scribe", "sshd", "4721", "Accepted password for admin from 10.1.2.3 port 51522 ssh2", 2025, false},
		{"rfc5424", `<165>1 2025-09-02T08:15:02.123456+02:00 fw01.college.example filterlog 6012 - [meta sequenceId="11"] 5,,,1000000103,igb1,match,block`,
			RFC5424, 20, 5, "fw01.college.example", "filterlog", "6012", "5,,,1000000103,igb1,match,block", 2025, false},
		{"cisco ios seq", "<189>123: *Mar  1 00:01:23.456 CET: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
			RFC3164, 23, 5, "", "", "", "%LINK-3-UPDOWN: Interface Gi0/1, changed state to up", 2025, false},
		{"nx-os year", "<189>sw1: 2025 Sep  2 08:15:02 CEST: %ETHPORT-5-IF_UP: up", RFC3164, 23, 5, "sw1", "", "", "%ETHPORT-5-IF_UP: up", 2025, false},
		{"asa no header", "<166>%ASA-6-302013: Built outbound TCP connection", Raw, 20, 6, "", "", "", "%ASA-6-302013: Built outbound TCP connection", 0, false},
		{"rsyslog hybrid", "<13>2025-09-02T08:15:02.1+02:00 host tag: msg", RFC3164, 1, 5, "host", "tag", "", "msg", 2025, false},
		{"bad pri", "<999>Oct  3 22:14:15 h app: x", RFC3164, 1, 5, "h", "app", "", "x", 2025, true},
		{"no pri", "Oct  3 22:14:15 h app: x", RFC3164, 1, 5, "h", "app", "", "x", 2025, true},
		{"nul bytes", "<13>Oct  3 22:14:15 h app: a\x00b\x00", RFC3164, 1, 5, "h", "app", "", "ab", 2025, false},
		{"latin1", "<13>Oct  3 22:14:15 h app: caf\xe9", RFC3164, 1, 5, "h", "app", "", "café", 2025, false},
		{"new year", "<13>Dec 31 23:59:59 h app: x", RFC3164, 1, 5, "h", "app", "", "x", 2025, false},
		{"jan this year", "<13>Jan  2 09:00:00 h app: x", RFC3164, 1, 5, "h", "app", "", "x", 2026, false},
		{"host with spaces kept raw", "<13>Oct  3 22:14:15 my switch: port up", RFC3164, 1, 5, "my", "switch", "", "port up", 2025, false},
		{"garbage", "hello world", Raw, 1, 5, "", "", "", "hello world", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Parse([]byte(c.in), now, paris)
			if m.Format != c.format || m.Facility != c.fac || m.Severity != c.sev || m.Hostname != c.host ||
				m.AppName != c.app || m.ProcID != c.proc || m.Text != c.text || m.BadPRI != c.badPRI {
				t.Fatalf("got %+v", m)
			}
			if c.year != 0 && m.Time.Year() != c.year {
				t.Fatalf("year %d, want %d (%v)", m.Time.Year(), c.year, m.Time)
			}
		})
	}
	m := Parse([]byte(`<165>1 2025-09-02T08:15:02Z h a - ID47 [x@1 a="q\"b\]" b="2"][y@2 c="3"] BOM`), now, paris)
	if m.SD["sd.x@1.a"] != `q"b]` || m.SD["sd.y@2.c"] != "3" || m.MsgID != "ID47" || m.Text != "BOM" {
		t.Fatalf("structured data: %+v", m)
	}
	long := Parse(bytes.Repeat([]byte("a"), MaxMessage+100), now, paris)
	if len(long.Text) != MaxMessage {
		t.Fatalf("over-long message kept %d bytes", len(long.Text))
	}
}

func TestFrameReader(t *testing.T) {
	in := "12 <13>1 - a b\n<13>lf framed\r\n<13>nul framed\x00" + "5 hello" + "<13>no newline at end"
	fr := NewFrameReader(strings.NewReader(in), 1024)
	var got []string
	for {
		m, _, err := fr.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		got = append(got, string(m))
	}
	want := []string{"<13>1 - a b\n", "<13>lf framed", "<13>nul framed", "hello", "<13>no newline at end"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q want %q", got, want)
	}
	// Truncation at max, in both framings; the next frame still reads.
	fr = NewFrameReader(strings.NewReader("10 0123456789"+strings.Repeat("x", 20)+"\nnext\n"), 4)
	m, tr, _ := fr.Next()
	m2, tr2, _ := fr.Next()
	m3, _, _ := fr.Next()
	if string(m) != "0123" || !tr || string(m2) != "xxxx" || !tr2 || string(m3) != "next" {
		t.Fatalf("%q %v %q %v %q", m, tr, m2, tr2, m3)
	}
	// A count without its message is a bad frame.
	if _, _, err := NewFrameReader(strings.NewReader("99 short"), 1024).Next(); err == nil {
		t.Fatal("short octet frame accepted")
	}
}

type memSink struct {
	mu   sync.Mutex
	recs []logs.Record
}

func (m *memSink) Append(r logs.Record) { m.mu.Lock(); m.recs = append(m.recs, r); m.mu.Unlock() }

type mapAll string

func (m mapAll) EstablishmentOf(netip.Addr) string { return string(m) }

// startStore opens a real sealed log store in a temporary folder.
func startStore(t testing.TB) *logs.Store {
	dir := t.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "b")})
	st, err := logs.Open(context.Background(), logs.Config{Blobs: bs, Key: ed25519.NewKeyFromSeed(make([]byte, 32)),
		Spool: filepath.Join(dir, "s")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func startServer(t *testing.T, sink logs.Sink, tlsCfg *tls.Config) (srv *Server, udp, tcp, tlsAddr string) {
	srv = New(Config{Sink: sink, Mapper: mapAll("0750001A")})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.ServePacket(pc)
	go srv.Serve(ln)
	if tlsCfg != nil {
		tl, _ := net.Listen("tcp", "127.0.0.1:0")
		go srv.Serve(tls.NewListener(tl, tlsCfg))
		tlsAddr = tl.Addr().String()
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv, pc.LocalAddr().String(), ln.Addr().String(), tlsAddr
}

func waitFor(t *testing.T, st *logs.Store, q logs.Query, n int) []logs.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st.Flush(context.Background())
		res, err := st.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Records) >= n || time.Now().After(deadline) {
			return res.Records
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CARINE: MCO-JAL-1, MCO-JAL-8
func TestLoggerToSearch(t *testing.T) {
	if _, err := exec.LookPath("logger"); err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("logger (Debian bsdutils) is required")
		}
		t.Skip("logger (Debian bsdutils) not installed")
	}
	st := startStore(t)
	_, udp, tcp, _ := startServer(t, st, nil)
	run := func(args ...string) {
		out, err := exec.Command("logger", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	uh, up, _ := net.SplitHostPort(udp)
	th, tp, _ := net.SplitHostPort(tcp)
	run("-n", uh, "-P", up, "-d", "--rfc3164", "-t", "myapp", "udp-3164 message")
	run("-n", uh, "-P", up, "-d", "--rfc5424", "-t", "myapp", "udp-5424 message")
	run("-n", th, "-P", tp, "-T", "--rfc5424", "--octet-count", "-t", "myapp", "--sd-id", "zoo@32473", "--sd-param", `tiger="hungry"`, "tcp-octet message")
	run("-n", th, "-P", tp, "-T", "--rfc3164", "-t", "myapp", "tcp-lf message")
	run("-n", th, "-P", tp, "-T", "-p", "authpriv.warning", "--rfc5424", "-t", "sshd", "tcp auth message")
	recs := waitFor(t, st, logs.Query{Text: "message", Limit: 100}, 5)
	got := map[string]logs.Record{}
	for _, r := range recs {
		got[r.Message] = r
	}
	for _, m := range []string{"udp-3164 message", "udp-5424 message", "tcp-octet message", "tcp-lf message", "tcp auth message"} {
		r, ok := got[m]
		if !ok {
			t.Fatalf("%q not found by search; got %v", m, recs)
		}
		if r.Establishment != "0750001A" || r.Service == "" {
			t.Fatalf("%q: %+v", m, r)
		}
	}
	if got["tcp-octet message"].Fields["sd.zoo@32473.tiger"] != "hungry" || got["tcp-octet message"].Fields["transport"] != "tcp" {
		t.Fatalf("structured data lost: %+v", got["tcp-octet message"].Fields)
	}
	if got["tcp auth message"].Class != logs.ClassSecurity {
		t.Fatalf("authpriv is a security event: %+v", got["tcp auth message"])
	}
}

func selfSigned(t *testing.T) *tls.Config {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "preau"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}}, MinVersion: tls.VersionTLS12}
}

// CARINE: MCO-JAL-8
func TestTLSClientToSearch(t *testing.T) {
	st := startStore(t)
	_, _, _, addr := startServer(t, st, selfSigned(t))
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("<38>1 2026-01-02T09:00:0%dZ wlc01 hostapd - - - client aa:bb:cc:0%d associated\nsecond line", i, i)
		fmt.Fprintf(c, "%d %s", len(msg), msg)
	}
	c.Close()
	recs := waitFor(t, st, logs.Query{Host: "wlc01", Limit: 10}, 3)
	if len(recs) != 3 || recs[0].Fields["transport"] != "tls" || !strings.Contains(recs[0].Message, "second line") {
		t.Fatalf("got %+v", recs)
	}
}

// CARINE: MCO-JAL-2
func TestRateLimitPerSource(t *testing.T) {
	sink := &memSink{}
	clock := &fixedClock{now}
	srv := New(Config{Sink: sink, RatePerSource: 10, Clock: clock})
	src := netip.MustParseAddr("10.0.0.9")
	for i := 0; i < 100; i++ {
		srv.handle([]byte("<13>x"), src, "udp")
	}
	if st := srv.Stats(); st.Received != 20 || st.RateLimited != 80 {
		t.Fatalf("stats %+v", st)
	}
	// Another source is not limited by the first.
	srv.handle([]byte("<13>y"), netip.MustParseAddr("10.0.0.10"), "udp")
	clock.t = clock.t.Add(time.Second)
	srv.handle([]byte("<13>z"), src, "udp")
	last := sink.recs[len(sink.recs)-2]
	if last.Action != "rate-limit" || last.Fields["dropped"] != "80" {
		t.Fatalf("no rate-limit summary: %+v", last)
	}
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

func FuzzParse5424(f *testing.F) {
	for _, s := range []string{`<165>1 2025-09-02T08:15:02.123456+02:00 fw01 filterlog 6012 - [meta sequenceId="11"] 5,,,`,
		`<1>1 - - - - - -`, `<1>1 - - - - - [a b="\"\]"][c d=""] m`, `<1>1 2025-01-01T00:00:00Z h a p m [x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v view
		v.parse5424(b)
		Parse(append([]byte("<13>1 "), b...), now, paris)
	})
}

func FuzzParse3164(f *testing.F) {
	for _, s := range []string{"<34>Oct  3 22:14:15 srv sshd[4721]: Accepted", "<189>123: *Mar  1 00:01:23.456 CET: %LINK-3",
		"<13>2025 Sep  2 08:15:02 h t: m", "Sep 02 2025 08:15:02 fw-asa : %ASA-6", "<999>", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v view
		v.parse3164(b, now, paris)
		Parse(b, now, paris)
	})
}

func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{"12 <13>1 - a b\n<13>x\n", "5 hello\x00<13>y", "999999999 x", "0 \n", "1 a2 bb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := NewFrameReader(bytes.NewReader(b), 64)
		for i := 0; i < 10000; i++ {
			m, _, err := fr.Next()
			if err != nil {
				return
			}
			if len(m) > 64 {
				t.Fatalf("frame of %d bytes over the 64 max", len(m))
			}
		}
		t.Fatal("frame reader does not end")
	})
}

// FuzzFrameReaderBuffering: the frames read do not depend on how the
// stream arrives (all at once or one byte per read) nor on whether whole
// octet-counted frames are cut straight from the buffer.
func FuzzFrameReaderBuffering(f *testing.F) {
	for _, s := range []string{"12 <13>1 - a b\n<13>x\n", "5 hello\x00<13>y", "3 abc4 defg", "70 " + strings.Repeat("x", 70),
		"1234567890 x", "2 ab\n\n3 abc", "9 short"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		read := func(r io.Reader, fast bool) (out []string) {
			fr := NewFrameReader(r, 64)
			fr.noFastPath = !fast
			for i := 0; i < 10000; i++ {
				m, tr, err := fr.Next()
				if err != nil {
					return append(out, fmt.Sprintf("error frame=%v", errors.Is(err, ErrFrame)))
				}
				out = append(out, fmt.Sprintf("%q %v", m, tr))
			}
			return out
		}
		want := read(iotest.OneByteReader(bytes.NewReader(b)), false)
		for _, fast := range []bool{false, true} {
			if got := read(bytes.NewReader(b), fast); !reflect.DeepEqual(got, want) {
				t.Fatalf("%q (fast path %v):\n got       %q\n bytewise  %q", b, fast, got, want)
			}
		}
	})
}

// TestTCPOverRateIsSlowedNotDropped: a TCP sender over its rate is
// throttled and every message is kept (TCP has flow control; UDP has not).
// CARINE: MCO-JAL-2
func TestTCPOverRateIsSlowedNotDropped(t *testing.T) {
	st := startStore(t)
	srv := New(Config{Sink: st, RatePerSource: 200})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 600; i++ {
		fmt.Fprintf(c, "<13>Jan  2 09:00:00 burst app: n%d\n", i)
	}
	c.Close()
	recs := waitFor(t, st, logs.Query{Host: "burst", Limit: 1000}, 600)
	if len(recs) != 600 || srv.Stats().RateLimited == 0 {
		t.Fatalf("%d records kept, stats %+v", len(recs), srv.Stats())
	}
}

// TestRFC5424ExportParsesBack: a record exported as RFC 5424 (octet
// counted) reads back through this receiver's framing and parser with its
// standard fields in structured data.
// CARINE: MCO-JAL-1
func TestRFC5424ExportParsesBack(t *testing.T) {
	r := logs.Record{Time: time.Date(2026, 11, 2, 8, 0, 0, 123000000, time.UTC), Establishment: "E1", Class: logs.ClassConnection,
		Source: "proxy01", Facility: 16, Severity: 6, Service: "proxy", User: `jean "jd" dupont`, Action: "block",
		Object: "https://x.example/]", Result: "refused", Message: "line one\nline two", Fields: map[string]string{"category": "games"}}
	var buf bytes.Buffer
	if err := logs.WriteRFC5424(&buf, []logs.Record{r, r}); err != nil {
		t.Fatal(err)
	}
	fr := NewFrameReader(&buf, MaxMessage)
	for i := 0; i < 2; i++ {
		raw, _, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		m := Parse(raw, now, paris)
		if m.Format != RFC5424 || m.Facility != 16 || m.Severity != 6 || m.Hostname != "proxy01" || m.AppName != "proxy" ||
			m.MsgID != "block" || !m.Time.Equal(r.Time) || m.SD["sd.preau@32473.user"] != r.User ||
			m.SD["sd.preau@32473.object"] != r.Object || m.SD["sd.fields@32473.category"] != "games" || m.Text != "line one#012line two" {
			t.Fatalf("round trip: %+v", m)
		}
	}
	var jl bytes.Buffer
	logs.WriteJSONLines(&jl, []logs.Record{r})
	if !strings.HasPrefix(jl.String(), `{"time":"2026-11-02T08:00:00.123Z","establishment":"E1","class":"connection"`) || strings.Count(jl.String(), "\n") != 1 {
		t.Fatalf("JSON lines: %s", jl.String())
	}
}
