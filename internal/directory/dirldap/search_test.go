// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap_test

import (
	"context"
	"slices"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/directory/ldapd"
)

// Search builds the entries it emits from the flat view without
// allocating, applying the read scope and the attribute allow-lists
// itself: what every principal reads must be exactly what VisibleTo and
// ViewFor say of the whole entry.
// CARINE: INF-ANN-6 INF-ANN-8
func TestSearchEmitsWhatViewForShows(t *testing.T) {
	d := sample()
	svc := &directory.Person{ID: "s1", Login: "svc-ent", Profile: core.ProfileStaff, State: directory.Active, Service: true,
		Establishments: []string{"e1"}, UIDNumber: 10009}
	svc2 := &directory.Person{ID: "s2", Login: "svc-all", Profile: core.ProfileAdmin, State: directory.Active, Service: true,
		Establishments: []string{"e1", "e2"}, UIDNumber: 10010}
	d.People = append(d.People, svc, svc2)
	d.Scopes = map[string]directory.ServiceScope{"s1": {Attrs: []string{"uid", "entpersonjointure"},
		Profiles: []core.Profile{core.ProfileTeacher}}}
	l := dirldap.NewLoader(&benchSource{d}, "dc=preau", core.SystemClock{}, nil)
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := dirldap.NewDirectory(l, nil, nil, nil, nil)
	s := l.Snapshot()
	principals := map[string]core.Principal{
		"pupil":    {PersonID: "p1", Login: "zoe.martin", Profile: core.ProfilePupil, Establishments: []string{"e1"}},
		"other":    {PersonID: "p3", Login: "ana.lopez", Profile: core.ProfilePupil, Establishments: []string{"e2"}},
		"teacher":  {PersonID: "p2", Login: "paul.durand", Profile: core.ProfileTeacher, Establishments: []string{"e1"}},
		"admin":    {PersonID: "p9", Login: "admin", Profile: core.ProfileAdmin, Establishments: []string{"e1"}},
		"scoped":   {PersonID: "s1", Login: "svc-ent", Profile: core.ProfileStaff, Service: true, Establishments: []string{"e1"}},
		"service":  {PersonID: "s2", Login: "svc-all", Profile: core.ProfileAdmin, Service: true, Establishments: []string{"e1", "e2"}},
		"operator": {PersonID: "o1", Login: "op", Grants: []core.Grant{{Right: core.RightOperator}}},
		"system":   {Login: "system:test", System: true},
	}
	filter, err := ldapd.ParseFilter("(objectClass=*)")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range principals {
		var want []string
		for _, e := range s.Entries() {
			if s.VisibleTo(p, e) {
				want = append(want, render(s.ViewFor(p, e)))
			}
		}
		var got []string
		ctx := core.ContextWithPrincipal(context.Background(), p)
		err := dir.Search(ctx, &ldapd.SearchRequest{BaseDN: "dc=preau", Scope: ldapd.ScopeSub, Filter: filter},
			func(e *ldapd.Entry) bool {
				got = append(got, render(&dirldap.Entry{DN: e.DN, Attrs: e.Attrs}))
				return true
			})
		if err != nil && name != "other" { // ana's establishment is not the base's
			t.Fatalf("%s: %v", name, err)
		}
		if err == nil && !slices.Equal(got, want) {
			t.Errorf("%s reads by search:\n%v\nbut ViewFor shows:\n%v", name, got, want)
		}
		if len(want) == 0 {
			t.Errorf("%s sees nothing: the test proves nothing", name)
		}
	}
	// the uid index finds the entry in any case, and only it
	ctx := core.ContextWithPrincipal(context.Background(), principals["admin"])
	f, _ := ldapd.ParseFilter("(uid=ZOE.Martin)")
	n := 0
	dir.Search(ctx, &ldapd.SearchRequest{BaseDN: "dc=preau", Scope: ldapd.ScopeSub, Filter: f}, func(e *ldapd.Entry) bool {
		n++
		if e.DN != "uid=zoe.martin,ou=people,ou=0999001W,dc=preau" {
			t.Errorf("uid candidate %s", e.DN)
		}
		return true
	})
	if n != 1 {
		t.Fatalf("(uid=ZOE.Martin): %d candidates", n)
	}
}

// render writes an entry as text: DN, then name=values in order.
func render(e *dirldap.Entry) string {
	out := e.DN
	for _, a := range e.Attrs {
		out += "|" + a.Name + "="
		for _, v := range a.Values {
			out += v + ";"
		}
	}
	return out
}

// Concurrent searches each make their entries in their own pooled buffers:
// what one emits is never overwritten by another (run with -race).
func TestConcurrentSearchesKeepTheirEntries(t *testing.T) {
	l := dirldap.NewLoader(&benchSource{sample()}, "dc=preau", core.SystemClock{}, nil)
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := dirldap.NewDirectory(l, nil, nil, nil, nil)
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{Login: "system:test", System: true})
	search := func(filter string) []string {
		f, err := ldapd.ParseFilter(filter)
		if err != nil {
			t.Error(err)
			return nil
		}
		var out []string
		dir.Search(ctx, &ldapd.SearchRequest{BaseDN: "dc=preau", Scope: ldapd.ScopeSub, Filter: f}, func(e *ldapd.Entry) bool {
			out = append(out, render(&dirldap.Entry{DN: e.DN, Attrs: e.Attrs}))
			return true
		})
		return out
	}
	filters := []string{"(uid=zoe.martin)", "(uid=paul.durand)", "(objectClass=*)", "(memberOf=cn=4B,ou=groups,ou=0999001W,dc=preau)"}
	want := make([][]string, len(filters))
	for i, f := range filters {
		if want[i] = search(f); len(want[i]) == 0 {
			t.Fatalf("%s finds nothing", f)
		}
	}
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for k := range 200 {
				i := (g + k) % len(filters)
				if got := search(filters[i]); !slices.Equal(got, want[i]) {
					t.Errorf("%s: %v, want %v", filters[i], got, want[i])
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
}
