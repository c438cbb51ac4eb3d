// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

func TestAdd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "admin", adminPW)
	add := func(dn string) *ldap.AddRequest {
		r := ldap.NewAddRequest(dn, nil)
		r.Attribute("objectClass", []string{"top", "person", "inetOrgPerson"})
		r.Attribute("uid", []string{"noe"})
		r.Attribute("cn", []string{"Noé Bernard"})
		r.Attribute("sn", []string{"Bernard"})
		return r
	}
	dn := "uid=noe,ou=people," + base
	if err := c.Add(add(dn)); err != nil {
		t.Fatal(err)
	}
	got, ok := e.dir.Entry(dn)
	if !ok || !slices.Equal(got.Get("cn"), []string{"Noé Bernard"}) {
		t.Fatalf("added entry %+v", got)
	}
	if p := e.dir.Calls("Add")[0].Principal; p.Login != "admin" {
		t.Errorf("Add ran as %+v", p)
	}
	if dns, _ := search(t, c, base, ldap.ScopeWholeSubtree, "(cn=noé*)"); len(dns) != 1 {
		t.Errorf("the new entry is not found: %v", dns)
	}
	wantCode(t, c.Add(add(dn)), ldap.LDAPResultEntryAlreadyExists)
	err := c.Add(add("uid=noe,ou=nowhere," + base))
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
	var le *ldap.Error
	if !errors.As(err, &le) || le.MatchedDN != base {
		t.Errorf("matchedDN: %v", err)
	}
	wantCode(t, c.Add(add("not a DN")), ldap.LDAPResultInvalidDNSyntax)
	wantCode(t, e.bind(t, "lea", "lea-secret-1").Add(add("uid=x,ou=people,"+base)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, e.dial(t).Add(add("uid=y,ou=people,"+base)), ldap.LDAPResultInsufficientAccessRights)
	wantCode(t, e.bind(t, "hugo", hugoPW).Add(add("uid=z,ou=people,"+base)), ldap.LDAPResultUnwillingToPerform)
}

func TestModify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "admin", adminPW)
	dn := "uid=zoe,ou=people," + base
	m := ldap.NewModifyRequest(dn, nil)
	m.Replace("mail", []string{"zoe.martin@preau.example"})
	m.Add("description", []string{"déléguée", "6A"})
	m.Delete("employeeNumber", nil)
	m.Increment("uidNumber", "1")
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	got, _ := e.dir.Entry(dn)
	if got.Get("mail")[0] != "zoe.martin@preau.example" || len(got.Get("description")) != 2 ||
		got.Get("employeeNumber") != nil || got.Get("uidNumber")[0] != "1002" {
		t.Fatalf("modified entry %+v", got)
	}
	m = ldap.NewModifyRequest(dn, nil)
	m.Add("description", []string{"6A"})
	wantCode(t, c.Modify(m), ldap.LDAPResultAttributeOrValueExists)
	m = ldap.NewModifyRequest(dn, nil)
	m.Delete("title", nil)
	wantCode(t, c.Modify(m), ldap.LDAPResultNoSuchAttribute)
	m = ldap.NewModifyRequest("uid=nobody,ou=people,"+base, nil)
	m.Replace("mail", []string{"x@y"})
	wantCode(t, c.Modify(m), ldap.LDAPResultNoSuchObject)
}

func TestModifyMappedErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "admin", adminPW)
	cases := []struct {
		err     error
		code    uint16
		msgPart string
	}{
		{core.E("x", core.Invalid, "mail is not an address"), ldap.LDAPResultConstraintViolation, "mail is not an address"},
		{core.E("x", core.Conflict, "the import is running"), ldap.LDAPResultUnwillingToPerform, "the import is running"},
		{core.E("x", core.Exists, ""), ldap.LDAPResultEntryAlreadyExists, "already exists"},
		{core.E("x", core.Permission, ""), ldap.LDAPResultInsufficientAccessRights, "insufficient access"},
		{core.E("x", core.Unavailable, ""), ldap.LDAPResultUnavailable, "unavailable"},
		{core.E("x", core.TooMany, ""), ldap.LDAPResultBusy, "busy"},
		{ldapd.WithCode(core.E("x", core.Invalid, "birthDate is forbidden (INF-ANN-8)"), ldapd.ResultObjectClassViolation),
			ldap.LDAPResultObjectClassViolation, "INF-ANN-8"},
		{core.Wrap("x", core.Internal, errors.New("secret detail")), ldap.LDAPResultOther, "incident"},
	}
	for _, tc := range cases {
		e.dir.FailNext("Modify", tc.err)
		m := ldap.NewModifyRequest("uid=zoe,ou=people,"+base, nil)
		m.Replace("mail", []string{"x@preau.example"})
		err := c.Modify(m)
		wantCode(t, err, tc.code)
		if !strings.Contains(err.Error(), tc.msgPart) || strings.Contains(err.Error(), "secret detail") {
			t.Errorf("%v: message %q", tc.err, err)
		}
	}
}

func TestDeleteAndModifyDN(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "admin", adminPW)
	wantCode(t, c.Del(ldap.NewDelRequest("ou=people,"+base, nil)), ldap.LDAPResultNotAllowedOnNonLeaf)
	wantCode(t, c.Del(ldap.NewDelRequest("uid=nobody,ou=people,"+base, nil)), ldap.LDAPResultNoSuchObject)
	if err := c.Del(ldap.NewDelRequest("cn=profs,ou=groups,"+base, nil)); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.dir.Entry("cn=profs,ou=groups," + base); ok {
		t.Error("the entry is still there")
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest("uid=lea,ou=people,"+base, "uid=lea.petit", true, "")); err != nil {
		t.Fatal(err)
	}
	got, ok := e.dir.Entry("uid=lea.petit,ou=people," + base)
	if !ok || !slices.Equal(got.Get("uid"), []string{"lea.petit"}) {
		t.Fatalf("renamed entry %+v", got)
	}
	err := c.ModifyDN(ldap.NewModifyDNRequest("uid=lea.petit,ou=people,"+base, "uid=lea", false, "ou=groups,"+base))
	if err != nil {
		t.Fatal(err)
	}
	if call := e.dir.Calls("ModifyDN")[1]; !slices.Equal(call.Args, []string{"uid=lea.petit,ou=people," + base,
		"uid=lea", "false", "ou=groups," + base}) {
		t.Errorf("ModifyDN args %v", call.Args)
	}
	wantCode(t, c.ModifyDN(ldap.NewModifyDNRequest("uid=zoe,ou=people,"+base, "uid=a,uid=b", true, "")),
		ldap.LDAPResultInvalidDNSyntax)
}

func TestCompare(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	dn := "uid=zoe,ou=people," + base
	if ok, err := c.Compare(dn, "cn", "ZOÉ  MARTIN"); err != nil || !ok {
		t.Errorf("compare true: %v %v", ok, err)
	}
	if ok, err := c.Compare(dn, "uidNumber", "1002"); err != nil || ok {
		t.Errorf("compare false: %v %v", ok, err)
	}
	_, err := c.Compare(dn, "title", "x")
	wantCode(t, err, ldap.LDAPResultNoSuchAttribute)
	_, err = c.Compare("uid=nobody,ou=people,"+base, "cn", "x")
	wantCode(t, err, ldap.LDAPResultNoSuchObject)
}
