// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/directory/ldapd"
)

func TestAnonymousAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{Vendor: "Préau/1.2.3"}, nil)
	c := e.dial(t)
	_, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, nil))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
	if !strings.Contains(err.Error(), "bind first") {
		t.Errorf("message %v", err)
	}
	_, err = c.Compare("uid=zoe,ou=people,"+base, "uid", "zoe")
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)

	// The rootDSE: objectClass for "*", the rest is operational.
	_, res := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)")
	if got := res.Entries[0].Attributes; len(got) != 1 || got[0].Name != "objectClass" {
		t.Errorf("rootDSE with no attribute list: %v", got)
	}
	_, res = search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)", "+")
	dse := res.Entries[0]
	checks := map[string]string{"namingContexts": base, "supportedLDAPVersion": "3",
		"subschemaSubentry": "cn=Subschema", "vendorName": "Préau", "vendorVersion": "1.2.3"}
	for name, want := range checks {
		if got := dse.GetAttributeValue(name); got != want {
			t.Errorf("rootDSE %s = %q, want %q", name, got, want)
		}
	}
	for _, want := range []string{ldap.ControlTypePaging, ldap.ControlTypeBeheraPasswordPolicy} {
		if !slices.Contains(dse.GetAttributeValues("supportedControl"), want) {
			t.Errorf("supportedControl lacks %s", want)
		}
	}
	for _, want := range []string{"1.3.6.1.4.1.1466.20037", "1.3.6.1.4.1.4203.1.11.3", "1.3.6.1.4.1.4203.1.11.1"} {
		if !slices.Contains(dse.GetAttributeValues("supportedExtension"), want) {
			t.Errorf("supportedExtension lacks %s", want)
		}
	}
	if len(dse.GetAttributeValues("supportedSASLMechanisms")) != 0 {
		t.Error("SASL mechanisms advertised")
	}

	// The subschema entry.
	_, res = search(t, c, "cn=Subschema", ldap.ScopeBaseObject, "(objectClass=subschema)",
		"objectClasses", "attributeTypes")
	if len(res.Entries) != 1 || len(res.Entries[0].GetAttributeValues("attributeTypes")) < 10 ||
		!slices.ContainsFunc(res.Entries[0].GetAttributeValues("objectClasses"), func(s string) bool {
			return strings.Contains(s, "'inetOrgPerson'")
		}) {
		t.Errorf("subschema: %+v", res.Entries)
	}

	open := newEnv(t, ldapd.Config{AllowAnonymous: true}, nil)
	if got, _ := search(t, open.dial(t), base, ldap.ScopeWholeSubtree, "(uid=zoe)"); len(got) != 1 {
		t.Errorf("AllowAnonymous: %v", got)
	}
}

func TestSearchFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	groups := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, "cn="+n+",ou=groups,"+base)
		}
		return out
	}
	with := func(a []string, b ...string) []string {
		out := append(append([]string{}, a...), b...)
		slices.Sort(out)
		return out
	}
	cases := []struct {
		filter string
		want   []string
	}{
		{"(uid=zoe)", uids("zoe")},
		{"(UID=ZOE)", uids("zoe")},
		{"(commonName=zoé martin)", uids("zoe")},
		{"(cn=  hugo   dubois )", uids("hugo")},
		{"(uid~=ZOE)", uids("zoe")},
		{"(cn=Zo*)", uids("zoe")},
		{"(cn=*petit)", uids("lea")},
		{"(cn=*o*)", with(uids("zoe", "hugo"), groups("profs")...)},
		{"(cn=z*m*n)", uids("zoe")},
		{"(cn=z*m*n*x)", nil},
		{"(uidNumber>=1002)", uids("hugo", "lea")},
		{"(uidNumber<=1001)", uids("zoe", "admin")},
		{"(uidNumber=01001)", uids("zoe")},
		{"(uidNumber=abc)", nil},
		{"(!(uidNumber=abc))", nil}, // NOT of Undefined is Undefined
		{"(|(uidNumber=abc)(uid=zoe))", uids("zoe")},
		{"(&(objectClass=inetOrgPerson)(!(uid=zoe)))", uids("hugo", "lea", "admin")},
		{"(|(uid=zoe)(uid=lea))", uids("zoe", "lea")},
		{"(&(objectClass=person)(gidNumber=500))", uids("zoe", "hugo")},
		{"(mail=*)", uids("zoe", "hugo", "lea")},
		{"(employeeNumber=e-17)", nil},
		{"(employeeNumber=E-17)", uids("zoe")},
		{"(memberOf=CN=6a, ou=Groups,dc=preau,dc=example)", uids("zoe", "hugo")},
		{"(member=uid=hugo,ou=people,dc=preau,dc=example)", groups("6A")},
		{"(createTimestamp>=20260901000000Z)", uids("zoe", "hugo")},
		{"(createTimestamp<=20250101010000+0100)", uids("lea")},
		{"(createTimestamp=202609011000+0200)", uids("zoe")},
		{"(cn:caseExactMatch:=Zoé Martin)", uids("zoe")},
		{"(cn:2.5.13.5:=zoé martin)", nil},
		{"(cn:2.5.13.2:=ZOÉ MARTIN)", uids("zoe")},
		{"(uidNumber:2.5.13.14:=2000)", uids("lea")},
		{"(uidNumber:integerMatch:=02000)", uids("lea")},
		{"(cn:1.2.3.4.5:=Zoé Martin)", nil},
		{"(!(cn:1.2.3.4.5:=x))", nil},
		{"(:caseExactMatch:=Martin)", uids("zoe")},
		{"(ou:dn:=people)", with(uids("zoe", "hugo", "lea", "admin"), "ou=people,"+base)},
		{"(uidNumber:1.2.840.113556.1.4.803:=1001)", uids("zoe")},
		{"(userPassword=*)", uids("zoe")},
		{"(userPassword=*zoe)", nil}, // no substrings on octet strings
		{"(entryDN=uid=ZOE,ou=people,dc=preau,dc=example)", uids("zoe")},
		{"(objectClass=groupOfNames)", groups("6A", "profs")},
		{"(cn=\\2a)", nil},
		{"(sn=Martin\\00)", nil},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			t.Parallel()
			got, _ := search(t, c, base, ldap.ScopeWholeSubtree, tc.filter, "1.1")
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestSearchScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	people := "ou=people," + base
	all := uids("zoe", "hugo", "lea", "admin")
	cases := []struct {
		base  string
		scope int
		want  []string
	}{
		{people, ldap.ScopeBaseObject, []string{people}},
		{"OU=People,DC=Preau,DC=Example", ldap.ScopeBaseObject, []string{people}},
		{people, ldap.ScopeSingleLevel, all},
		{people, ldap.ScopeWholeSubtree, append([]string{people}, all...)},
		{people, ldap.ScopeChildren, all},
		{"", ldap.ScopeSingleLevel, []string{base}},
	}
	for _, tc := range cases {
		got, _ := search(t, c, tc.base, tc.scope, "(objectClass=*)", "1.1")
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q scope %d: got %v, want %v", tc.base, tc.scope, got, tc.want)
		}
	}
	if got, _ := search(t, c, "", ldap.ScopeWholeSubtree, "(objectClass=*)", "1.1"); len(got) != 9 {
		t.Errorf("subtree of the root: %d entries", len(got))
	}
	_, err := c.Search(ldap.NewSearchRequest("ou=nowhere,"+base, 2, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	var le *ldap.Error
	if !errorAs(err, &le) || le.MatchedDN != base {
		t.Errorf("matchedDN of %v", err)
	}
	_, err = c.Search(ldap.NewSearchRequest("dc=elsewhere", 2, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	_, err = c.Search(ldap.NewSearchRequest("this is no DN", 2, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	wantCode(t, err, ldap.LDAPResultInvalidDNSyntax)
}

func TestAttributeSelection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	user := []string{"objectClass", "uid", "cn", "sn", "homeDirectory", "givenName", "mail", "uidNumber",
		"gidNumber", "employeeNumber", "ENTPersonProfils", "userPassword"}
	oper := []string{"memberOf", "createTimestamp", "entryDN", "subschemaSubentry"}
	cases := []struct {
		attrs []string
		want  []string
	}{
		{nil, user},
		{[]string{"*"}, user},
		{[]string{"+"}, oper},
		{[]string{"*", "+"}, append(append([]string{}, user...), oper...)},
		{[]string{"1.1"}, nil},
		{[]string{"cn", "MEMBEROF"}, []string{"cn", "memberOf"}},
		{[]string{"commonName"}, []string{"cn"}},
		{[]string{"1.1", "uid"}, []string{"uid"}},
		{[]string{"*", "entryDN"}, append(append([]string{}, user...), "entryDN")},
		{[]string{"nosuchattr"}, nil},
	}
	for _, tc := range cases {
		_, res := search(t, c, base, ldap.ScopeWholeSubtree, "(uid=zoe)", tc.attrs...)
		var got []string
		for _, a := range res.Entries[0].Attributes {
			got = append(got, a.Name)
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.attrs, got, tc.want)
		}
	}
	_, res := search(t, c, base, ldap.ScopeWholeSubtree, "(uid=zoe)", "+")
	if got := res.Entries[0].GetAttributeValue("entryDN"); got != "uid=zoe,ou=people,"+base {
		t.Errorf("entryDN %q", got)
	}
	res, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, true, "(uid=zoe)", []string{"cn", "mail"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Entries[0].Attributes {
		if len(a.Values) != 0 {
			t.Errorf("typesOnly returned values for %s", a.Name)
		}
	}
	if len(res.Entries[0].Attributes) != 2 {
		t.Errorf("typesOnly: %d attributes", len(res.Entries[0].Attributes))
	}
}
