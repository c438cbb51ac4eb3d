// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/logs"
)

var encSeeds = []string{
	`<134>1 2026-11-02T01:02:03.000123Z proxy01.college.example squid 1042 - [preau@32473 user="user42" cat="education"] GET https://site1.example/page/1 200 512`,
	`<165>1 2025-09-02T08:15:02.123456+02:00 fw01.college.example filterlog 6012 - [meta sequenceId="11"] 5,,,1000000103,igb1,match,block`,
	`<165>1 2025-09-02T08:15:02Z h a - ID47 [x@1 a="q\"b\]" b="2"][y@2 c="3"][x@1 a="dup"] BOM`,
	`<34>Oct  3 22:14:15 srv-scribe sshd[4721]: Accepted password for admin from 10.1.2.3 port 51522 ssh2`,
	"<189>123: *Mar  1 00:01:23.456 CET: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
	"<189>sw1: 2025 Sep  2 08:15:02 CEST: %ETHPORT-5-IF_UP: up",
	"<166>%ASA-6-302013: Built outbound TCP connection",
	"<13>2025-09-02T08:15:02.1+02:00 host tag: msg",
	"<999>Oct  3 22:14:15 h app: x", "Oct  3 22:14:15 h app: x", "<13>Oct  3 22:14:15 h app: a\x00b\x00",
	"<13>Oct  3 22:14:15 h app: caf\xe9\x01\x7f", "<13>Dec 31 23:59:59 h app: x", "hello world\nsecond\tline",
	`<13>1 2026-01-02T09:00:00.5-05:30 h a p m - tab	and "quotes" <html> & é ` + "\u2028",
	`<13>1 2030-01-02T09:00:00Z h a p m - far future`, `<13>1 1999-02-29T09:00:00Z h a p m - bad day`,
	`<+13>1 - - - - - -`, `<-0>x`, "<13>Jan  2 -1:00:00 h a: neg hour",
}

// FuzzParseMatchesReference holds the view-based parser to the parser it
// replaced (parse_ref_test.go): same message for every input.
// CARINE: MCO-JAL-1
func FuzzParseMatchesReference(f *testing.F) {
	for _, s := range encSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := Parse(b, now, paris), refParse(b, now, paris)
		if !got.Time.Equal(want.Time) || got.Time.Format(time.RFC3339Nano) != want.Time.Format(time.RFC3339Nano) {
			t.Fatalf("time %v, reference %v", got.Time, want.Time)
		}
		got.Time, want.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parse %q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

// FuzzEncoderMatchesRecordPath holds the receivers' fast path to the
// record path: the stored line is exactly EncodeJSON(ToRecord(Parse(…))).
// CARINE: MCO-JAL-1
func FuzzEncoderMatchesRecordPath(f *testing.F) {
	for _, s := range encSeeds {
		f.Add([]byte(s), "0750001A", true)
	}
	f.Add([]byte("x"), "", false)
	f.Fuzz(func(t *testing.T, b []byte, est string, withPeer bool) {
		src := netip.Addr{}
		if withPeer {
			src = netip.MustParseAddr("10.1.2.3")
		}
		e := newEncoder(src, "tcp")
		for i := 0; i < 2; i++ { // the second run reuses the warm buffers
			line, ut, class, host := e.encode(nil, b, est, now, paris)
			r := ToRecord(Parse(b, now, paris), src, est, "tcp", now)
			if want := logs.EncodeJSON(&r); !bytes.Equal(line, want) {
				t.Fatalf("input %q:\n got %s\nwant %s", b, line, want)
			}
			if !ut.Equal(r.Time) || ut.Location() != time.UTC || class != r.Class || host != r.Source {
				t.Fatalf("index fields %v %s %q, record %v %s %q", ut, class, host, r.Time, r.Class, r.Source)
			}
		}
	})
}

// TestEncoderControlCharactersEscaped: control characters are kept as
// rsyslog's #ooo escapes, in the message and in structured data, and the
// stored line stays one line (gap 5 of issue 8).
// CARINE: MCO-JAL-1
func TestEncoderControlCharactersEscaped(t *testing.T) {
	e := newEncoder(netip.MustParseAddr("10.0.0.1"), "tcp")
	line, _, _, _ := e.encode(nil, []byte("<13>1 - h a - - [x@1 v=\"a\x1bb\"] one\ntwo\r\x07end\ttab"), "", now, paris)
	for _, want := range []string{`"message":"one#012two#015#007end\ttab"`, `"sd.x@1.v":"a#033b"`} {
		if !bytes.Contains(line, []byte(want)) {
			t.Fatalf("%s not in %s", want, line)
		}
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		t.Fatalf("newline in the stored line: %q", line)
	}
}

// TestEncodeAllocations: parsing and encoding a typical message allocate
// nothing once the encoder is warm (the ingestion hot path, issue 8).
func TestEncodeAllocations(t *testing.T) {
	e := newEncoder(netip.MustParseAddr("10.0.0.1"), "tcp")
	msg := []byte(encSeeds[0])
	buf := make([]byte, 0, 4096)
	e.encode(buf, msg, "0750001A", now, paris)
	if n := testing.AllocsPerRun(100, func() { e.encode(buf[:0], msg, "0750001A", now, paris) }); n != 0 {
		t.Fatalf("%v allocations per message", n)
	}
}

func BenchmarkEncode(b *testing.B) {
	e := newEncoder(netip.MustParseAddr("10.0.0.1"), "tcp")
	msg := []byte(encSeeds[0])
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		buf, _, _, _ = e.encode(buf[:0], msg, "0750001A", now, paris)
	}
}

// BenchmarkIngestTCP sends a realistic RFC 5424 stream (octet counting,
// two connections) through the real listener into a real sealed store,
// and counts until every record is sealed: the path bench/logs measures.
func BenchmarkIngestTCP(b *testing.B) {
	st := startStore(b)
	srv := New(Config{Sink: st, RatePerSource: 1 << 30})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	msgs := make([][]byte, 4096)
	for i := range msgs {
		m := fmt.Sprintf("<134>1 2026-11-02T%02d:%02d:%02d.%06dZ proxy01.college.example squid %d - [preau@32473 user=\"user%d\" cat=\"education\"] GET https://site%d.example/page/%d 200 %d",
			(i/3600)%24, (i/60)%60, i%60, i, 1000+i%50, i%2500, i%997, i, 500+i%20000)
		msgs[i] = []byte(strconv.Itoa(len(m)) + " " + m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	const conns = 2
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		go func(c int) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			w := bufio.NewWriterSize(conn, 256<<10)
			for i := c; i < b.N; i += conns {
				w.Write(msgs[i%len(msgs)])
			}
			w.Flush()
			errs <- conn.Close()
		}(c)
	}
	for c := 0; c < conns; c++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	for st.Stats().Appended < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	if err := st.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	// CPU time of the whole process (the sender's share included) per
	// message: steadier than the wall clock on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg")
}

// cpuTime returns the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// TestUDPBatchesToStore: datagrams go through the UDP fast path into a real
// store: every one allowed is found by search, with its control characters
// escaped, and those over the rate are dropped, counted and summarised.
// CARINE: MCO-JAL-1, MCO-JAL-2
func TestUDPBatchesToStore(t *testing.T) {
	st := startStore(t)
	srv := New(Config{Sink: st, Mapper: mapAll("0750001A"), RatePerSource: 50})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServePacket(pc)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 150; i++ {
		fmt.Fprintf(c, "<14>1 2026-01-02T09:00:00Z ap-cdi wlan - - - client %d roamed\nto ap-2", i)
		time.Sleep(100 * time.Microsecond) // the kernel's socket buffer is small
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().Received+srv.Stats().RateLimited < 150 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s := srv.Stats()
	if s.RateLimited == 0 || s.Received+s.RateLimited != 150 {
		t.Fatalf("stats %+v", s)
	}
	recs := waitFor(t, st, logs.Query{Host: "ap-cdi", Limit: 1000}, int(s.Received))
	if len(recs) != int(s.Received) || recs[0].Establishment != "0750001A" || recs[0].Fields["transport"] != "udp" ||
		!strings.Contains(recs[0].Message, "roamed#012to ap-2") {
		t.Fatalf("%d records, first %+v", len(recs), recs[0])
	}
	// Summaries (the last once the source calms down) say how many were
	// dropped, all told.
	time.Sleep(1100 * time.Millisecond)
	fmt.Fprintf(c, "<14>1 2026-01-02T09:00:01Z ap-cdi wlan - - - calm")
	waitFor(t, st, logs.Query{Host: "ap-cdi", Text: "calm", Limit: 10}, 1)
	sums := waitFor(t, st, logs.Query{Service: "syslog", Text: "rate limit", Limit: 100}, 1)
	total := int64(0)
	for _, r := range sums {
		n, _ := strconv.ParseInt(r.Fields["dropped"], 10, 64)
		total += n
	}
	if total != s.RateLimited {
		t.Fatalf("summaries count %d dropped, the server %d: %+v", total, s.RateLimited, sums)
	}
}

// TestAppendTimeMatchesRFC3339Nano: the hand-written time formatter writes
// what time.RFC3339Nano writes, for UTC times of any year.
func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	var e encoder
	base := time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)
	for i, ns := range []int{0, 1, 10, 100000, 123456789, 999999999, 500000000} {
		for _, tt := range []time.Time{base.Add(time.Duration(ns)), time.Date(999, 1, 1, 0, 0, 0, ns, time.UTC),
			time.Date(10000, 1, 1, 0, 0, 0, ns, time.UTC), base.AddDate(0, -i*5, i).Add(time.Duration(i) * time.Hour)} {
			if got, want := string(e.appendTime(nil, tt)), tt.Format(time.RFC3339Nano); got != want {
				t.Fatalf("%v: got %s want %s", tt, got, want)
			}
		}
	}
}

// BenchmarkEncodeStream encodes bench/logs' stream (RFC 5424 proxy lines,
// times within the trust window): the receivers' per-message work.
func BenchmarkEncodeStream(b *testing.B) {
	e := newEncoder(netip.MustParseAddr("127.0.0.1"), "tcp")
	msgs := make([][]byte, 1024)
	for i := range msgs {
		msgs[i] = fmt.Appendf(nil, "<134>1 2026-11-02T%02d:%02d:%02d.%06dZ proxy01.college.example squid %d - [preau@32473 user=\"user%d\" cat=\"education\"] GET https://site%d.example/page/%d 200 %d",
			(i/3600)%24, (i/60)%60, i%60, i, 1000+i%50, i%2500, i%997, i, 500+i%20000)
	}
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf, _, _, _ = e.encode(buf[:0], msgs[i%len(msgs)], "", at, time.UTC)
		i++
	}
}

// TestInWindowMatchesToRecord: the encoder's integer test of the device-time
// window gives ToRecord's answer (at most a day ahead, at most a year
// behind), at the bounds to the nanosecond, for reception times with
// sub-second parts and in a zone with summer time.
// CARINE: MCO-JAL-1
func TestInWindowMatchesToRecord(t *testing.T) {
	e := newEncoder(netip.Addr{}, "tcp")
	base := time.Date(2026, 3, 29, 0, 59, 59, 0, paris) // a summer-time change
	for i := 0; i < 2000; i++ {
		at := base.Add(time.Duration(i) * 999_999_937 * time.Nanosecond)
		lo, hi := at.AddDate(-1, 0, 0), at.Add(24*time.Hour)
		for _, d := range []time.Duration{-time.Second, -1, 0, 1, time.Second} {
			for _, dev := range []time.Time{lo.Add(d), hi.Add(d), at.Add(d)} {
				want := !(dev.After(hi) || dev.Before(lo))
				if got := e.inWindow(dev, at); got != want {
					t.Fatalf("device time %v at %v: in window %v, ToRecord says %v", dev, at, got, want)
				}
			}
		}
	}
}

// TestAppendTimeMatchesFormat: the encoder's record times (digits cached
// per hour) are what time.RFC3339Nano writes, for times in sequence and
// out of order, across hours, days and years, before 1970 and after 9999.
func TestAppendTimeMatchesFormat(t *testing.T) {
	e := newEncoder(netip.Addr{}, "tcp")
	ts := []time.Time{time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC), time.Unix(0, 0).UTC(),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}
	at := time.Date(2026, 12, 31, 22, 58, 1, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		ts = append(ts, at.Add(time.Duration(i)*1_234_567_891*time.Nanosecond), at.Add(-time.Duration(i)*time.Minute))
	}
	for _, tm := range ts {
		if got, want := string(e.appendTime(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("appendTime %s, want %s", got, want)
		}
	}
}

// TestParseTimeCacheMatchesDate: RFC 3339 times read through the hour
// cache are the instants, zones and offsets time.Parse gives.
func TestParseTimeCacheMatchesDate(t *testing.T) {
	var c hourCache
	for i := 0; i < 3000; i++ {
		tm := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1_234_567_891 * time.Nanosecond)
		for _, loc := range []*time.Location{time.UTC, zone(3600), zone(-5*3600 - 1800)} {
			s := tm.In(loc).Format(time.RFC3339Nano)
			got, ok := parseRFC3339Cached([]byte(s), &c)
			want, _ := time.Parse(time.RFC3339Nano, s)
			if !ok || !got.Equal(want) || got.Format(time.RFC3339Nano) != s {
				t.Fatalf("%s: got %v (%v)", s, got, ok)
			}
		}
	}
}

// TestEncoderSequenceMatchesRecordPath: one encoder (one connection) fed
// messages whose structured data changes from one to the next (same key
// bytes split differently, more or fewer keys, duplicates, escapes) writes
// each line as the record path does: what it keeps from one message to the
// next (key order, host, hour) never leaks into the next line.
// CARINE: MCO-JAL-1
func TestEncoderSequenceMatchesRecordPath(t *testing.T) {
	msgs := append([]string{
		`<13>1 2026-01-02T09:00:00Z h a p m [x a.b="1"][sd c="2"] one`,
		`<13>1 2026-01-02T09:00:01Z h a p m [x a.bsd.sd.c="1"] two`,
		`<13>1 2026-01-02T09:00:02Z h a p m [x a.b="1"][sd c="2"] three`,
		`<13>1 2026-01-02T09:00:03Z h a p m [x b="1" a="2"] four`,
		`<13>1 2026-01-02T09:00:03Z h a p m [x a="1"][qsd z.c="2"] same key bytes`,
		`<13>1 2026-01-02T09:00:03Z h a p m [x asd.q="1"][z c="2"] split otherwise`,
		`<13>1 2026-01-02T09:00:04Z h2 a p m [x b="1" a="2" a="3"] five`,
		`<13>1 2026-01-02T10:00:04Z h2 a p m [x b="q\"1" a="<2>"] six`,
		`<13>1 2026-01-02T10:00:05.5+01:00 h a p m - seven`,
	}, encSeeds...)
	src := netip.MustParseAddr("10.1.2.3")
	e := newEncoder(src, "tcp")
	for round := 0; round < 3; round++ {
		for i := range msgs {
			b := []byte(msgs[(i*(round+1))%len(msgs)])
			line, _, _, _ := e.encode(nil, b, "0750001A", now, paris)
			r := ToRecord(Parse(b, now, paris), src, "0750001A", "tcp", now)
			if want := logs.EncodeJSON(&r); !bytes.Equal(line, want) {
				t.Fatalf("input %q:\n got %s\nwant %s", b, line, want)
			}
		}
	}
}
