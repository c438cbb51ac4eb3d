// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"reflect"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

func TestParseDN(t *testing.T) {
	t.Parallel()
	type R = ldapd.RDN
	type A = ldapd.AVA
	cases := []struct {
		in   string
		want ldapd.RDNSequence
		str  string
	}{
		{"", nil, ""},
		{"uid=zoe,ou=people,dc=x", ldapd.RDNSequence{R{A{"uid", "zoe"}}, R{A{"ou", "people"}}, R{A{"dc", "x"}}}, "uid=zoe,ou=people,dc=x"},
		{" cn = Doe\\, John , dc = x ", ldapd.RDNSequence{R{A{"cn", "Doe, John"}}, R{A{"dc", "x"}}}, "cn=Doe\\, John,dc=x"},
		{"cn=Doe\\2C John;dc=x", ldapd.RDNSequence{R{A{"cn", "Doe, John"}}, R{A{"dc", "x"}}}, "cn=Doe\\, John,dc=x"},
		{"cn=#04024869,dc=x", ldapd.RDNSequence{R{A{"cn", "Hi"}}, R{A{"dc", "x"}}}, "cn=Hi,dc=x"},
		{"cn=a+sn=b,dc=x", ldapd.RDNSequence{R{A{"cn", "a"}, A{"sn", "b"}}, R{A{"dc", "x"}}}, "cn=a+sn=b,dc=x"},
		{"OID.2.5.4.3=x", ldapd.RDNSequence{R{A{"2.5.4.3", "x"}}}, "2.5.4.3=x"},
		{"cn=\\ lead\\ ", ldapd.RDNSequence{R{A{"cn", " lead "}}}, "cn=\\ lead\\ "},
		{"cn=\\#x", ldapd.RDNSequence{R{A{"cn", "#x"}}}, "cn=\\#x"},
		{"cn=\\c3\\a9l\\C3\\A8ve", ldapd.RDNSequence{R{A{"cn", "élève"}}}, "cn=élève"},
		{"cn=a\\00b", ldapd.RDNSequence{R{A{"cn", "a\x00b"}}}, "cn=a\\00b"},
		{"cn=", ldapd.RDNSequence{R{A{"cn", ""}}}, "cn="},
		{"cn=a=b", ldapd.RDNSequence{R{A{"cn", "a=b"}}}, "cn=a\\=b"},
	}
	for _, tc := range cases {
		got, err := ldapd.ParseDN(tc.in)
		if err != nil {
			t.Errorf("ParseDN(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseDN(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseDN(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
	for _, in := range []string{"cn", "=x", "cn=x,", "cn=x,,dc=y", "cn=\\q", "cn=a\"b", ",", "cn=x+", "1cn=x",
		"cn=#zz", "cn=#", "cn=x\\"} {
		if d, err := ldapd.ParseDN(in); err == nil || core.KindOf(err) != core.Invalid {
			t.Errorf("ParseDN(%q) = %v, %v; want an Invalid error", in, d, err)
		}
	}
}

func TestNormalizeDN(t *testing.T) {
	t.Parallel()
	s := ldaptest.StandardSchema()
	cases := []struct{ in, want string }{
		{"UID=Zoe, OU=People,DC=Preau", "uid=zoe,ou=people,dc=preau"},
		{"commonName=  Zoé   MARTIN ,dc=x", "cn=zoé martin,dc=x"},
		{"2.5.4.3=X,dc=x", "cn=x,dc=x"},
		{"employeeNumber=AbC,dc=x", "employeenumber=AbC,dc=x"},
		{"sn=B+cn=A,dc=x", "cn=a+sn=b,dc=x"},
		{"cn=Doe\\2c John,dc=x", "cn=doe\\, john,dc=x"},
		{"cn=\\ x,dc=x", "cn=x,dc=x"},
		{"", ""},
	}
	for _, tc := range cases {
		got, err := ldapd.NormalizeDN(tc.in, s)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeDN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if !ldapd.EqualDN("uid=Zoe,dc=X", "UID=zoe , DC=x", s) || ldapd.EqualDN("uid=zoe", "uid=lea", s) ||
		ldapd.EqualDN("bad", "bad", s) {
		t.Error("EqualDN")
	}
}

func TestInScopeAndParentOf(t *testing.T) {
	t.Parallel()
	const b = "ou=people,dc=x"
	cases := []struct {
		dn    string
		scope ldapd.Scope
		want  bool
	}{
		{"OU=People, DC=X", ldapd.ScopeBase, true},
		{"uid=a,ou=people,dc=x", ldapd.ScopeBase, false},
		{"uid=a,ou=people,dc=x", ldapd.ScopeOne, true},
		{"uid=a,uid=b,ou=people,dc=x", ldapd.ScopeOne, false},
		{"uid=a,uid=b,ou=people,dc=x", ldapd.ScopeSub, true},
		{"ou=people,dc=x", ldapd.ScopeSub, true},
		{"ou=people,dc=x", ldapd.ScopeChildren, false},
		{"uid=a,ou=people,dc=x", ldapd.ScopeChildren, true},
		{"uid=a,ou=staff,dc=x", ldapd.ScopeSub, false},
		{"uid=a\\,ou=people,dc=x", ldapd.ScopeSub, false},
		{"cn=xou=people,dc=x", ldapd.ScopeSub, false},
		{"dc=x", ldapd.ScopeSub, false},
		{"not a dn", ldapd.ScopeSub, false},
	}
	for _, tc := range cases {
		if got := ldapd.InScope(b, tc.dn, tc.scope, nil); got != tc.want {
			t.Errorf("InScope(%q, %q, %s) = %v", b, tc.dn, tc.scope, got)
		}
	}
	if !ldapd.InScope("", "dc=x", ldapd.ScopeSub, nil) || !ldapd.InScope("", "dc=x", ldapd.ScopeOne, nil) ||
		ldapd.InScope("", "ou=a,dc=x", ldapd.ScopeOne, nil) {
		t.Error("InScope from the root")
	}
	parents := map[string]string{"uid=a,ou=people,dc=x": "ou=people,dc=x", "cn=a+sn=b, dc=x": "dc=x",
		"cn=a\\,b,dc=x": "dc=x", "dc=x": "", "": "", "bad": ""}
	for in, want := range parents {
		if got := ldapd.ParentOf(in); got != want {
			t.Errorf("ParentOf(%q) = %q, want %q", in, got, want)
		}
	}
}
