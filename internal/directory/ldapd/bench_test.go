// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

// benchPeople is the size of the benchmark directory (plus one class per
// ldaptest.ClassSize people).
const benchPeople = 20000

// benchTarget returns the URL, bind DN and password of the server to
// measure: the in-process server over ldaptest.Population(benchPeople), or
// the server named by PREAU_LDAP_BENCH_URL (with PREAU_LDAP_BENCH_BINDDN and
// PREAU_LDAP_BENCH_PASSWORD), loaded with the same population, to compare
// with slapd under the same client.
func benchTarget(b *testing.B) (url, bindDN, password string) {
	if url := os.Getenv("PREAU_LDAP_BENCH_URL"); url != "" {
		return url, os.Getenv("PREAU_LDAP_BENCH_BINDDN"), os.Getenv("PREAU_LDAP_BENCH_PASSWORD")
	}
	e := newEnv(b, ldapd.Config{}, benchDirectory())
	return "ldap://" + e.addr, ldaptest.PersonDN(0), zoePW
}

// benchDirectory returns the benchmark population, user00000 bound by zoePW.
func benchDirectory() *ldaptest.MemDirectory {
	dir := ldaptest.NewMemDirectory(ldaptest.Population(benchPeople), []ldaptest.User{
		{Login: "user00000", DN: ldaptest.PersonDN(0), Password: zoePW}})
	dir.NoSearchRecord = true
	return dir
}

// TestServeBench serves the benchmark population on PREAU_LDAP_BENCH_SERVE
// (e.g. 127.0.0.1:3891) until the process is stopped, so that the
// benchmarks can run in another process through PREAU_LDAP_BENCH_URL, as
// they do against slapd. Run it with -timeout 0.
func TestServeBench(t *testing.T) {
	addr := os.Getenv("PREAU_LDAP_BENCH_SERVE")
	if addr == "" {
		t.Skip("set PREAU_LDAP_BENCH_SERVE to serve the benchmark population")
	}
	srv, err := ldapd.New(ldapd.Config{BaseDN: ldaptest.Base}, benchDirectory(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal(srv.Serve(ln))
}

// benchSearch measures searches from 1, 8 and 32 clients, each with its own
// bound connection, and reports throughput and the 99th percentile latency.
func benchSearch(b *testing.B, want int, request func(i int) *ldap.SearchRequest) {
	url, bindDN, password := benchTarget(b)
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			conns := make([]*ldap.Conn, clients)
			for i := range conns {
				c, err := ldap.DialURL(url)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				if err := c.Bind(bindDN, password); err != nil {
					b.Fatal(err)
				}
				conns[i] = c
			}
			lat := make([][]time.Duration, clients)
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Value
			b.ResetTimer()
			start := time.Now()
			for w := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						t0 := time.Now()
						res, err := conns[w].Search(request(i))
						lat[w] = append(lat[w], time.Since(t0))
						if err == nil && len(res.Entries) != want {
							err = fmt.Errorf("search %d: %d entries, want %d", i, len(res.Entries), want)
						}
						if err != nil {
							failed.Store(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// The workloads are those of bench/ldap (the comparison with slapd).
var (
	benchUIDAttrs   = []string{"cn", "uidNumber", "mail"}
	benchClassAttrs = []string{"uid", "cn", "sn", "givenName", "mail"}
)

func benchUIDFilter(i int) string {
	return fmt.Sprintf("(uid=user%05d)", (i*7919)%benchPeople)
}

func benchClassFilter(i int) string {
	return "(&(objectClass=posixAccount)(memberOf=" + ldaptest.ClassDN((i*31)%(benchPeople/ldaptest.ClassSize)) + "))"
}

// BenchmarkSearchUID looks people up by uid, as a mail server, a RADIUS or
// an LMS does at login: one entry, three attributes.
func BenchmarkSearchUID(b *testing.B) {
	benchSearch(b, 1, func(i int) *ldap.SearchRequest {
		return ldap.NewSearchRequest(ldaptest.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			benchUIDFilter(i), benchUIDAttrs, nil)
	})
}

// BenchmarkSearchSubtreeClass lists the pupils of a class (25 entries, five
// attributes), as an LMS syncing classes does.
func BenchmarkSearchSubtreeClass(b *testing.B) {
	benchSearch(b, ldaptest.ClassSize, func(i int) *ldap.SearchRequest {
		return ldap.NewSearchRequest(ldaptest.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			benchClassFilter(i), benchClassAttrs, nil)
	})
}

// TestWriteBenchLDIF writes the benchmark population to the file named by
// PREAU_LDAP_BENCH_LDIF, to load it into slapd (slapadd) for a comparison
// through PREAU_LDAP_BENCH_URL. user00000 gets the password of the
// benchmark's bind.
func TestWriteBenchLDIF(t *testing.T) {
	path := os.Getenv("PREAU_LDAP_BENCH_LDIF")
	if path == "" {
		t.Skip("set PREAU_LDAP_BENCH_LDIF to write the benchmark population as LDIF")
	}
	entries := ldaptest.Population(benchPeople)
	for i := range entries {
		if entries[i].DN == ldaptest.PersonDN(0) {
			entries[i].Attrs = append(entries[i].Attrs, ldapd.Attr{Name: "userPassword", Values: []string{zoePW}})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ldaptest.WriteLDIF(f, entries); err != nil {
		t.Fatal(err)
	}
}

// pipeListener hands out the server ends of in-memory connections.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// BenchmarkServerOnly measures the server's own cost per search (time and
// allocations, the in-memory directory's included), without TCP and with a
// client that only skips responses.
func BenchmarkServerOnly(b *testing.B) {
	srv, err := ldapd.New(ldapd.Config{BaseDN: base, AllowPlainBindRemote: true}, benchDirectory(), nil)
	if err != nil {
		b.Fatal(err)
	}
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	cases := []struct {
		name, filter string
		attrs        []string
		entries      int
	}{
		{"uid", benchUIDFilter(1234), benchUIDAttrs, 1},
		{"class", benchClassFilter(42), benchClassAttrs, ldaptest.ClassSize},
		{"class-all-attributes", benchClassFilter(42), nil, ldaptest.ClassSize},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			client, server := net.Pipe()
			defer client.Close()
			ln.conns <- server
			r := &rawConn{t: b, nc: client}
			r.bind(1, "user00000", zoePW)
			msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
			msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(2), ""))
			msg.AppendChild(searchOp(b, base, compile(b, tc.filter), tc.attrs...))
			req := msg.Bytes()
			br := bufio.NewReaderSize(client, 64<<10)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := client.Write(req); err != nil {
					b.Fatal(err)
				}
				for n := 0; ; n++ {
					tag, err := skipMessage(br)
					if err != nil {
						b.Fatal(err)
					}
					if tag == 0x65 { // SearchResultDone
						if n != tc.entries {
							b.Fatalf("%d entries", n)
						}
						break
					}
				}
			}
		})
	}
}

// skipMessage reads one LDAPMessage and returns its protocolOp tag.
func skipMessage(r *bufio.Reader) (byte, error) {
	readLen := func() (int, error) {
		l, err := r.ReadByte()
		if err != nil || l < 0x80 {
			return int(l), err
		}
		n := 0
		for range int(l & 0x7f) {
			c, err := r.ReadByte()
			if err != nil {
				return 0, err
			}
			n = n<<8 | int(c)
		}
		return n, nil
	}
	if _, err := r.ReadByte(); err != nil { // SEQUENCE
		return 0, err
	}
	total, err := readLen()
	if err != nil {
		return 0, err
	}
	hdr, err := r.Peek(min(total, 16))
	if err != nil {
		return 0, err
	}
	tag := hdr[2+int(hdr[1])] // after the messageID INTEGER
	_, err = r.Discard(total)
	return tag, err
}
