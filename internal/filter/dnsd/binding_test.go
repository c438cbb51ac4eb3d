// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/dnsd"
)

// TestBoundAddressPolicy: the DNS filter applies the policy of the person
// a portal login bound to the client's address (a teacher's: gambling not
// blocked), and the address's zone profile (pupil) otherwise; the record
// names the bound user.
// CARINE: INF-AUT-1, INF-SEC-1
func TestBoundAddressPolicy_INF_AUT_1(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gambling"), 0o755)
	os.WriteFile(filepath.Join(dir, "gambling", "domains"), []byte("casino.example\n"), 0o644)
	lists, err := filter.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng := filter.NewEngine()
	eng.SetLists(lists)
	st := filter.DefaultSettings()
	st.Profiles[1].BlockCategories = []string{"malware"} // adults: gambling open
	eng.SetSettings("est1", st)
	up, _ := stub(t)
	bound := map[string]filter.Identity{"10.0.0.5": {Login: "prof.dns", Establishment: "est1", Profile: core.ProfileTeacher}}
	b := filter.NewBindings(func(_ context.Context, ip string) (filter.Identity, bool, error) {
		id, ok := bound[ip]
		return id, ok, nil
	}, time.Minute, nil, nil)
	sk := &sink{}
	srv := dnsd.New(dnsd.Config{Engine: eng, Upstreams: []string{up}, BlockA: net.ParseIP("198.51.100.7"), Sink: sk,
		Client: func(string) (string, string) { return "est1", "" }, Bindings: b}, nil)
	q := new(dns.Msg)
	q.SetQuestion("www.casino.example.", dns.TypeA)
	a := srv.Answer(q, "10.0.0.5")
	if len(a.Answer) != 1 || a.Answer[0].(*dns.A).A.String() != "192.0.2.1" {
		t.Fatalf("bound teacher: %v", a)
	}
	a = srv.Answer(q, "10.0.0.6")
	if len(a.Answer) != 1 || a.Answer[0].(*dns.A).A.String() != "198.51.100.7" {
		t.Fatalf("unbound address (pupil profile): %v", a)
	}
	bound["10.0.0.7"] = filter.Identity{Login: "zoe.dns", Establishment: "est1", Profile: core.ProfilePupil}
	a = srv.Answer(q, "10.0.0.7")
	if len(a.Answer) != 1 || a.Answer[0].(*dns.A).A.String() != "198.51.100.7" {
		t.Fatalf("bound pupil: %v", a)
	}
	sk.mu.Lock()
	last := sk.recs[len(sk.recs)-1]
	sk.mu.Unlock()
	if last.User != "zoe.dns" || last.Action != "block" {
		t.Fatalf("record %+v", last)
	}
}
