// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/directory/ldapd"
)

// benchSource is a Source over fixed Data: 10 establishments, 20,000
// people, classes of 25 pupils, as bench/ldap generates.
type benchSource struct{ d *dirldap.Data }

// benchSource's methods take a pointer receiver so that the benchmark can
// drop the data once loaded, as the server does (the store is the source).

func (s *benchSource) FindEstablishments(context.Context, []string, int) ([]*directory.EstablishmentSummary, error) {
	var out []*directory.EstablishmentSummary
	for _, e := range s.d.Establishments {
		out = append(out, &directory.EstablishmentSummary{Establishment: *e})
	}
	return out, nil
}

func (s *benchSource) FindPeople(_ context.Context, f directory.PersonFilter) ([]*directory.Person, int, error) {
	lo := min(f.Offset, len(s.d.People))
	hi := min(lo+f.Limit, len(s.d.People))
	return s.d.People[lo:hi], len(s.d.People), nil
}

func (s *benchSource) FindGroups(context.Context, directory.GroupFilter) ([]*directory.Group, error) {
	return s.d.Groups, nil
}

func (s *benchSource) AllMemberships(context.Context) ([]directory.Membership, error) {
	return s.d.Memberships, nil
}

func (s *benchSource) ServiceScopes(context.Context) (map[string]directory.ServiceScope, error) {
	return nil, nil
}

func (s *benchSource) DirectoryVersion(context.Context) (int64, error) { return 1, nil }

const benchPeople, benchClassSize = 20000, 25

func benchData() *dirldap.Data {
	d := &dirldap.Data{SchoolYear: 2026}
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range 10 {
		d.Establishments = append(d.Establishments, &directory.Establishment{ID: fmt.Sprintf("e%d", i),
			UAI: fmt.Sprintf("09990%02dW", i), Type: directory.College, Name: fmt.Sprintf("Collège %d", i)})
	}
	for i := range benchPeople {
		est := fmt.Sprintf("e%d", i%10)
		p := &directory.Person{ID: fmt.Sprintf("p%05d", i), Login: fmt.Sprintf("user%05d", i),
			GivenName: "Zoé", FamilyName: fmt.Sprintf("Martin%d", i), DisplayName: fmt.Sprintf("Zoé Martin%d", i),
			Mail: fmt.Sprintf("user%05d@example.org", i), Profile: core.ProfilePupil, State: directory.Active,
			Establishments: []string{est}, UIDNumber: int64(10000 + i), CreatedAt: at, UpdatedAt: at,
			ExternalIDs: map[string]string{"ine": fmt.Sprintf("07%09dAB", i), "siecle_eleve_id": fmt.Sprint(i)}}
		d.People = append(d.People, p)
		if i%benchClassSize == 0 {
			d.Groups = append(d.Groups, &directory.Group{ID: fmt.Sprintf("g%d", i/benchClassSize), Establishment: est,
				Code: fmt.Sprintf("C%d", i/benchClassSize), Name: "Classe", Kind: directory.Class, SchoolYear: 2026,
				GIDNumber: int64(20000 + i/benchClassSize)})
		}
	}
	// class c holds people c*25 … c*25+24, all of the same establishment
	// only when they are; attach each person to its class's establishment.
	for i, p := range d.People {
		g := d.Groups[i/benchClassSize]
		p.Establishments = []string{g.Establishment}
		d.Memberships = append(d.Memberships, directory.Membership{GroupID: g.ID, PersonID: p.ID, Role: directory.RoleMember})
	}
	return d
}

// benchDir is the LDAP face of the view, with binds replaced: every bind is
// bench/ldap's reader, a service account of profile admin attached to every
// establishment (it reads serviceAttrs of people).
type benchDir struct {
	*dirldap.Directory
	ests []string
}

func (d benchDir) Bind(context.Context, string, string) (ldapd.BindResult, error) {
	return ldapd.BindResult{Principal: core.Principal{PersonID: "reader", Login: "reader",
		Profile: core.ProfileAdmin, Service: true, Establishments: d.ests}}, nil
}

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

// tlv appends a BER element.
func tlv(b []byte, tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	b = append(b, tag)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	for _, c := range content {
		b = append(b, c...)
	}
	return b
}

func octets(s string) []byte { return tlv(nil, 0x04, []byte(s)) }

// readTag reads one LDAPMessage and returns its protocolOp tag.
func readTag(r *bufio.Reader) (byte, error) {
	if _, err := r.ReadByte(); err != nil {
		return 0, err
	}
	l, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	n := int(l)
	if l >= 0x80 {
		n = 0
		for range int(l & 0x7f) {
			c, err := r.ReadByte()
			if err != nil {
				return 0, err
			}
			n = n<<8 | int(c)
		}
	}
	hdr, err := r.Peek(min(n, 16))
	if err != nil {
		return 0, err
	}
	tag := hdr[2+int(hdr[1])]
	_, err = r.Discard(n)
	return tag, err
}

// BenchmarkViewSearch measures a search through the LDAP server and the
// view, without TCP: CPU and allocations per request, the view's included
// (the workloads of bench/ldap). It also reports the heap the view keeps
// alive and how long a full collection takes with it (gc-ms): what every
// collection costs the server.
func BenchmarkViewSearch(b *testing.B) {
	d := benchData()
	src := &benchSource{d}
	l := dirldap.NewLoader(src, "dc=preau,dc=bench", core.SystemClock{}, nil)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	if err := l.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	var ests []string
	for _, e := range d.Establishments {
		ests = append(ests, e.ID)
	}
	d, src.d = nil, nil
	srv, err := ldapd.New(ldapd.Config{BaseDN: "dc=preau,dc=bench", AllowPlainBindRemote: true}, benchDir{dirldap.NewDirectory(l, nil, nil, nil, nil), ests}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	eq := func(a, v string) []byte { return tlv(nil, 0xa3, octets(a), octets(v)) }
	classDN := "cn=C42,ou=groups,ou=0999000W,dc=preau,dc=bench" // 42*25 % 10 = establishment 0
	cases := []struct {
		name    string
		filter  []byte
		attrs   []string
		entries int
	}{
		{"uid", eq("uid", "user01234"), []string{"cn", "uidNumber", "mail"}, 1},
		{"class", tlv(nil, 0xa0, eq("objectClass", "posixAccount"), eq("memberOf", classDN)),
			[]string{"uid", "cn", "sn", "givenName", "mail"}, benchClassSize},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			client, server := net.Pipe()
			defer client.Close()
			ln.conns <- server
			br := bufio.NewReaderSize(client, 64<<10)
			bind := tlv(nil, 0x30, []byte{2, 1, 1}, tlv(nil, 0x60, []byte{2, 1, 3}, octets("cn=reader"), tlv(nil, 0x80, []byte("x"))))
			if _, err := client.Write(bind); err != nil {
				b.Fatal(err)
			}
			if tag, err := readTag(br); err != nil || tag != 0x61 {
				b.Fatal("bind", tag, err)
			}
			var as []byte
			for _, a := range tc.attrs {
				as = append(as, octets(a)...)
			}
			req := tlv(nil, 0x30, []byte{2, 1, 2}, tlv(nil, 0x63, octets("dc=preau,dc=bench"), []byte{0x0a, 1, 2},
				[]byte{0x0a, 1, 0}, []byte{2, 1, 0}, []byte{2, 1, 0}, []byte{1, 1, 0}, tc.filter, tlv(nil, 0x30, as)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU() // server and client: steadier than ns/op on a shared machine
			defer func() { b.ReportMetric(float64(processCPU()-cpu)/1e3/float64(b.N), "cpu-µs/op") }()
			for range b.N {
				if _, err := client.Write(req); err != nil {
					b.Fatal(err)
				}
				for n := 0; ; n++ {
					tag, err := readTag(br)
					if err != nil {
						b.Fatal(err)
					}
					if tag == 0x65 {
						if n != tc.entries {
							b.Fatalf("%d entries, want %d", n, tc.entries)
						}
						break
					}
				}
			}
		})
	}
	b.Run("gc", func(b *testing.B) {
		// Ten full collections with the view alive, whatever -benchtime
		// says: the CPU each takes (mark and sweep, all threads), from
		// getrusage, which a busy machine does not inflate.
		before := processCPU()
		for range 10 {
			runtime.GC()
		}
		b.ReportMetric(float64(processCPU()-before)/10/1e6, "gc-cpu-ms")
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), "view-MiB")
		b.ReportMetric(float64(m1.HeapObjects-m0.HeapObjects), "view-objects")
	})
}

// processCPU returns the CPU time (user and system) of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBuild measures building the view of 20,000 people from loaded
// data (what a start and every refresh cost), in CPU time.
func BenchmarkBuild(b *testing.B) {
	d := benchData()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		dirldap.Build("dc=preau,dc=bench", d)
	}
	b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}
