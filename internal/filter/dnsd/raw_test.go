// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func packedAnswer(t testing.TB, ttlA, ttlNS uint32, edns bool) []byte {
	m := new(dns.Msg)
	m.SetQuestion("www.example.org.", dns.TypeA)
	m.Response = true
	m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "www.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttlA},
		A: net.ParseIP("192.0.2.1").To4()})
	m.Ns = append(m.Ns, &dns.NS{Hdr: dns.RR_Header{Name: "example.org.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttlNS},
		Ns: "ns.example.org."})
	if edns {
		m.SetEdns0(4096, true)
	}
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCacheAgesPackedAnswers: an answer is cached packed, for its smallest
// TTL; read back later its TTLs are aged in place (the OPT record's flags
// untouched) and it unpacks to the same records.
func TestCacheAgesPackedAnswers(t *testing.T) {
	raw := packedAnswer(t, 300, 100, true)
	offs, minTTL, found, ok := scanTTLs(raw, nil)
	if !ok || !found || minTTL != 100 || len(offs) != 2 {
		t.Fatalf("scan: %v %d %v %v", offs, minTTL, found, ok)
	}
	c := &cache{max: 10, m: map[cacheKey]cacheEntry{}}
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	k := cacheKey{name: "www.example.org.", qtype: dns.TypeA, qclass: dns.ClassINET}
	c.put(k, raw, t0)
	b, ok := c.get(k, t0.Add(30*time.Second), nil)
	if !ok {
		t.Fatal("not cached")
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatal(err)
	}
	if m.Answer[0].Header().Ttl != 270 || m.Ns[0].Header().Ttl != 70 || m.IsEdns0() == nil || !m.IsEdns0().Do() {
		t.Fatalf("aged answer %v", m)
	}
	if _, ok := c.get(k, t0.Add(100*time.Second), nil); ok {
		t.Fatal("served past its smallest TTL")
	}
	// A zero TTL is not cached; a malformed answer neither.
	k0, kt := k, k
	k0.qtype, kt.qtype = dns.TypeAAAA, dns.TypeMX
	c.put(k0, packedAnswer(t, 0, 100, false), t0)
	if _, ok := c.get(k0, t0, nil); ok {
		t.Fatal("zero TTL cached")
	}
	c.put(kt, raw[:len(raw)-3], t0)
	if _, ok := c.get(kt, t0, nil); ok {
		t.Fatal("truncated answer cached")
	}
}

// FuzzScanTTLs: the packed-answer walker never reads out of bounds, and
// what it accepts, miekg/dns reads with the same record count.
func FuzzScanTTLs(f *testing.F) {
	f.Add(packedAnswer(f, 300, 100, true))
	f.Add(packedAnswer(f, 1, 2, false))
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xC0, 0x0C})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		offs, _, _, ok := scanTTLs(b, nil)
		if !ok {
			return
		}
		for _, o := range offs {
			if int(o)+4 > len(b) {
				t.Fatalf("TTL offset %d out of a %d-byte message", o, len(b))
			}
			_ = binary.BigEndian.Uint32(b[o:])
		}
		if end, ok := questionEnd(b); ok && end > len(b) {
			t.Fatalf("question end %d past %d", end, len(b))
		}
	})
}

// TestUDPLoopAnswersGarbageWithFormErr: the UDP workers answer an
// unreadable query with FORMERR (its ID kept), ignore answers sent to
// them, and keep serving.
func TestUDPLoopAnswersGarbageWithFormErr(t *testing.T) {
	srv := New(Config{Engine: nil, NXDomain: true}, nil)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServePacket(pc)
	defer srv.Shutdown(t.Context())
	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write([]byte{0xAB, 0xCD, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0}) // an answer: ignored
	c.Write([]byte{0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0}) // one question announced, none there
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(b[:n]); err != nil || m.Id != 0x1234 || m.Rcode != dns.RcodeFormatError || !m.Response {
		t.Fatalf("reply %v %v", m, err)
	}
}
