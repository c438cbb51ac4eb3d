// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

func TestParseFilter(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"(uid=zoe)", "(uid=zoe)"},
		{"uid=zoe", "(uid=zoe)"},
		{"  (uid=zoe) ", "(uid=zoe)"},
		{"(&(a=1)(b=2))", "(&(a=1)(b=2))"},
		{"(& (a=1) (b=2))", "(&(a=1)(b=2))"},
		{"(|(a=1)(!(b=2)))", "(|(a=1)(!(b=2)))"},
		{"(cn=a*b*c)", "(cn=a*b*c)"},
		{"(cn=*b*)", "(cn=*b*)"},
		{"(cn=a*)", "(cn=a*)"},
		{"(cn=*a)", "(cn=*a)"},
		{"(cn=*)", "(cn=*)"},
		{"(cn=\\2A)", "(cn=\\2a)"},
		{"(cn=\\28x\\29\\5c)", "(cn=\\28x\\29\\5c)"},
		{"(cn=\\c3\\a9)", "(cn=é)"},
		{"(cn=\\00)", "(cn=\\00)"},
		{"(cn=\\ff)", "(cn=\\ff)"},
		{"(cn>=a)", "(cn>=a)"},
		{"(cn<=a)", "(cn<=a)"},
		{"(cn~=a)", "(cn~=a)"},
		{"(cn;lang-fr=a)", "(cn;lang-fr=a)"},
		{"(2.5.4.3=a)", "(2.5.4.3=a)"},
		{"(cn:dn:2.5.13.5:=x)", "(cn:dn:2.5.13.5:=x)"},
		{"(cn:DN:caseExactMatch:=x)", "(cn:dn:caseExactMatch:=x)"},
		{"(:caseExactMatch:=x)", "(:caseExactMatch:=x)"},
		{"(:dn:2.5.13.5:=x)", "(:dn:2.5.13.5:=x)"},
		{"(cn:=x)", "(cn:=x)"},
		{"(cn:dn:=x)", "(cn:dn:=x)"},
		{"(cn=a:b=c)", "(cn=a:b=c)"},
		{"(&)", "(&)"},
		{"(|)", "(|)"},
		{"(!(&))", "(!(&))"},
	}
	for _, tc := range cases {
		f, err := ldapd.ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if got := f.String(); got != tc.want {
			t.Errorf("ParseFilter(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
	bad := []string{"", "(", ")", "(cn=x", "(cn=x))", "((cn=x))", "(cn=a**b)", "(cn=x(y)", "(c n=x)",
		"(cn=\\zz)", "(cn=\\2)", "(:=x)", "(!(a=1)(b=2))", "(cn)", "(=x)", "(cn:x y:=z)", "(cn>=a*)",
		"(cn=x)(cn=y)", strings.Repeat("(!", 100) + "(a=b)" + strings.Repeat(")", 100)}
	for _, in := range bad {
		if f, err := ldapd.ParseFilter(in); err == nil || core.KindOf(err) != core.Invalid {
			t.Errorf("ParseFilter(%q) = %v, %v; want an Invalid error", in, f, err)
		}
	}
}

func TestEqualityTerms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []ldapd.Term
	}{
		{"(uid=zoe)", []ldapd.Term{{Attr: "uid", Value: "zoe"}}},
		{"(&(objectClass=person)(&(uid=zoe)(cn=z*)))", []ldapd.Term{{Attr: "objectClass", Value: "person"}, {Attr: "uid", Value: "zoe"}}},
		{"(|(uid=zoe)(uid=lea))", nil},
		{"(!(uid=zoe))", nil},
		{"(cn=z*)", nil},
	}
	for _, tc := range cases {
		f, err := ldapd.ParseFilter(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.EqualityTerms(); !slices.Equal(got, tc.want) {
			t.Errorf("EqualityTerms(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	schema := &ldapd.Schema{
		AttributeTypes: []string{"( 1.2.3.1 NAME ( 'level' 'niveau' ) EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 )",
			"( 1.2.3.2 NAME 'code' SUP name EQUALITY caseExactMatch )",
			"( 1.2.3.3 NAME 'active' SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 )"},
		Attributes: map[string]ldapd.AttrSyntax{"photo": ldapd.OctetString},
	}
	e := &ldapd.Entry{DN: "uid=zoe,ou=people,dc=preau,dc=example", Attrs: []ldapd.Attr{
		{Name: "objectClass", Values: []string{"top", "person"}},
		{Name: "level", Values: []string{"12"}},
		{Name: "code", Values: []string{"AbC"}},
		{Name: "active", Values: []string{"TRUE"}},
		{Name: "photo", Values: []string{"\x00\x01binary"}},
		{Name: "cn", Values: []string{"Zoé   Martin"}},
		{Name: "empty"},
	}}
	cases := []struct {
		filter string
		want   bool
	}{
		{"(niveau=012)", true},
		{"(level>=9)", true},
		{"(level>=100000000000000000000000000000)", false},
		{"(level<=-1)", false},
		{"(level=x)", false},
		{"(!(level=x))", false},
		{"(!(!(level=x)))", false},
		{"(|(level=x)(!(level=x)))", false},
		{"(&(level=x)(cn=nobody))", false},
		{"(!(&(level=x)(cn=nobody)))", true}, // FALSE and Undefined is FALSE
		{"(code=AbC)", true},
		{"(code=abc)", false},
		{"(code=A*)", true},
		{"(code=a*)", false},
		{"(active=true)", true},
		{"(active>=TRUE)", false},
		{"(photo=\\00\\01binary)", true},
		{"(photo=*binary)", false},
		{"(photo>=\\00)", true},
		{"(cn=zoé martin)", true},
		{"(cn=ZOÉ*)", true},
		{"(cn<=zz)", true},
		{"(empty=*)", false},
		{"(uid:dn:=ZOE)", true},
		{"(:dn:caseIgnoreMatch:=people)", true},
		{"(uid:=zoe)", false},
		{"(cn:2.5.13.14:=1)", false},
		{"(level:1.2.840.113556.1.4.804:=4)", true},
		{"(level:1.2.840.113556.1.4.803:=5)", false},
		{"(&)", true},
		{"(|)", false},
		{"(entryDN:distinguishedNameMatch:=UID=Zoe,OU=People,DC=Preau,DC=Example)", true},
	}
	for _, tc := range cases {
		f, err := ldapd.ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := f.Match(e, schema); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.filter, got, tc.want)
		}
	}
	// Hand-built nonsense never panics and never matches.
	for _, f := range []*ldapd.Filter{{Kind: ldapd.FilterNot}, {Kind: 99, Attr: "cn"}, {Kind: ldapd.FilterPresent},
		{Kind: ldapd.FilterExtensible, Value: "x"}, {Kind: ldapd.FilterSubstrings, Attr: "cn"}} {
		if f.Kind != ldapd.FilterSubstrings && f.Match(e, nil) {
			t.Errorf("%+v matched", f)
		}
		_ = f.String()
	}
}
