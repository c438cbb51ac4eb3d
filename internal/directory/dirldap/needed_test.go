// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/directory/ldapd"
)

// wholeEntries hides from the view which attributes a search needs, so
// that it emits whole entries.
type wholeEntries struct{ benchDir }

func (d wholeEntries) Search(ctx context.Context, req *ldapd.SearchRequest, emit func(*ldapd.Entry) bool) error {
	return d.benchDir.Search(ctx, &ldapd.SearchRequest{BaseDN: req.BaseDN, Scope: req.Scope, DerefAliases: req.DerefAliases,
		SizeLimit: req.SizeLimit, TimeLimit: req.TimeLimit, TypesOnly: req.TypesOnly, Filter: req.Filter,
		Attributes: req.Attributes, Controls: req.Controls, Paged: req.Paged}, emit)
}

// The view copies into a search's entries only the attributes the search
// selects or its filter tests (SearchRequest.NeededAttributes): the
// answers are the same as with whole entries, whatever names, aliases,
// OIDs, cases and filters the client uses.
// CARINE: INF-ANN-2
func TestSearchCopiesOnlyNeededAttributes(t *testing.T) {
	l := dirldap.NewLoader(&benchSource{sample()}, "dc=preau", core.SystemClock{}, nil)
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := benchDir{dirldap.NewDirectory(l, nil, nil, nil, nil), []string{"e1", "e2"}}
	connect := func(d ldapd.Directory) *ldap.Conn {
		srv, err := ldapd.New(ldapd.Config{BaseDN: "dc=preau", AllowPlainBindRemote: true}, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
		client, server := net.Pipe()
		ln.conns <- server
		c := ldap.NewConn(client, false)
		c.Start()
		t.Cleanup(func() { c.Close() })
		if err := c.Bind("cn=reader", "x"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	trimmed, whole := connect(dir), connect(wholeEntries{dir})
	classDN := "cn=4B,ou=groups,ou=0999001W,dc=preau"
	cases := []struct {
		filter string
		attrs  []string
	}{
		{"(uid=zoe.martin)", []string{"cn"}},
		{"(memberOf=" + classDN + ")", []string{"commonName", "2.5.4.4", "MAIL"}},
		{"(sn=Martin)", []string{"uid"}}, // the filter's attribute is not returned
		{"(&(objectClass=posixAccount)(memberOf=" + classDN + "))", []string{"uid", "givenName"}},
		{"(|(givenName=Zo*)(!(2.5.4.4=Durand)))", []string{"1.1"}},
		{"(:caseIgnoreMatch:=Martin)", []string{"uid"}}, // every attribute is tested
		{"(objectClass=*)", []string{"*"}},
		{"(objectClass=*)", []string{"+"}},
		{"(objectClass=*)", nil},
		{"(uidNumber>=10001)", []string{"uidnumber", "entryDN", "unknownAttr"}},
		{"(description=*)", []string{"member"}},
		// odd names from a client: options, a name longer than the view
		// looks up (every attribute then), one the schema does not know
		{"(objectClass=*)", []string{"CN;lang-fr", strings.Repeat("x", 70)}},
		{"(|(uid=zoe.martin)(" + strings.Repeat("y", 70) + "=1))", []string{"uid"}},
		{"(&(uid=zoe.martin)(!(nosuchattr=1)))", []string{"nosuchattr", "sn"}},
	}
	for _, tc := range cases {
		for _, typesOnly := range []bool{false, true} {
			req := ldap.NewSearchRequest("dc=preau", ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, typesOnly,
				tc.filter, tc.attrs, nil)
			a, errA := trimmed.Search(req)
			b, errB := whole.Search(req)
			if errA != nil || errB != nil {
				t.Fatalf("%s %v: %v / %v", tc.filter, tc.attrs, errA, errB)
			}
			got, want := renderResult(a), renderResult(b)
			if got != want {
				t.Errorf("%s %v typesOnly=%v:\n%s\nwith whole entries:\n%s", tc.filter, tc.attrs, typesOnly, got, want)
			}
			if len(b.Entries) == 0 {
				t.Errorf("%s %v finds nothing: the case proves nothing", tc.filter, tc.attrs)
			}
		}
	}
}

// renderResult writes a search's entries as text.
func renderResult(r *ldap.SearchResult) string {
	var b strings.Builder
	for _, e := range r.Entries {
		b.WriteString(e.DN)
		for _, a := range e.Attributes {
			fmt.Fprintf(&b, "|%s=%s", a.Name, strings.Join(a.Values, ";"))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
