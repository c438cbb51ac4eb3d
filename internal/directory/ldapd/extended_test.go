// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/directory/ldapd"
)

func TestWhoAmI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.dial(t)
	if who, err := c.WhoAmI(nil); err != nil || who.AuthzID != "" {
		t.Fatalf("anonymous WhoAmI: %v %v", who, err)
	}
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Fatal(err)
	}
	if who, err := c.WhoAmI(nil); err != nil || who.AuthzID != "dn:uid=zoe,ou=people,"+base {
		t.Fatalf("WhoAmI: %v %v", who, err)
	}
}

func TestPasswordModify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	if _, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", zoePW, "zoe-new-secret")); err != nil {
		t.Fatal(err)
	}
	if err := e.dial(t).Bind("zoe", "zoe-new-secret"); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
	res, err := c.PasswordModify(ldap.NewPasswordModifyRequest("uid=zoe,ou=people,"+base, "", ""))
	if err != nil || res.GeneratedPassword != "generated-1" {
		t.Fatalf("generated: %+v %v", res, err)
	}
	_, err = c.PasswordModify(ldap.NewPasswordModifyRequest("", "generated-1", "short"))
	wantCode(t, err, ldap.LDAPResultConstraintViolation)
	if !strings.Contains(err.Error(), "too short") {
		t.Errorf("message %v", err)
	}
	_, err = c.PasswordModify(ldap.NewPasswordModifyRequest("", "wrong-old", "long-enough-1"))
	wantCode(t, err, ldap.LDAPResultInvalidCredentials)
	_, err = c.PasswordModify(ldap.NewPasswordModifyRequest("lea", "", "long-enough-1"))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
	_, err = e.dial(t).PasswordModify(ldap.NewPasswordModifyRequest("zoe", "", "long-enough-1"))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
	admin := e.bind(t, "admin", adminPW)
	if _, err := admin.PasswordModify(ldap.NewPasswordModifyRequest("lea", "", "reset-by-admin")); err != nil {
		t.Fatal(err)
	}
	if got := e.dir.Password("lea"); got != "reset-by-admin" {
		t.Errorf("lea's password %q", got)
	}
	if args := e.dir.Calls("PasswordModify")[0].Args; args[0] != "" {
		t.Errorf("userIdentity %q", args[0])
	}
}

func TestUnknownExtendedOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	_, err := c.Extended(ldap.NewExtendedRequest("1.2.3.4.5.6", nil))
	wantCode(t, err, ldap.LDAPResultProtocolError)
	if !strings.Contains(err.Error(), "1.2.3.4.5.6") {
		t.Errorf("message does not name the operation: %v", err)
	}
	// The session goes on.
	if _, err := c.WhoAmI(nil); err != nil {
		t.Fatal(err)
	}
}

func TestStartTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.dial(t)
	if err := c.StartTLS(e.clientTLS()); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Fatal(err)
	}
	if dns, _ := search(t, c, base, ldap.ScopeWholeSubtree, "(uid=zoe)"); len(dns) != 1 {
		t.Fatalf("search over TLS: %v", dns)
	}
	_, err := c.Extended(ldap.NewExtendedRequest("1.3.6.1.4.1.1466.20037", nil))
	wantCode(t, err, ldap.LDAPResultOperationsError)

	off := newEnv(t, ldapd.Config{}, nil, withoutTLS)
	err = off.dial(t).StartTLS(off.clientTLS())
	wantCode(t, err, ldap.LDAPResultUnavailable)
	_, res := search(t, off.dial(t), "", ldap.ScopeBaseObject, "(objectClass=*)", "supportedExtension")
	for _, ext := range res.Entries[0].GetAttributeValues("supportedExtension") {
		if ext == "1.3.6.1.4.1.1466.20037" {
			t.Error("StartTLS advertised without TLS")
		}
	}
}

func TestLDAPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil, withLDAPS, remote)
	c, err := ldap.DialURL("ldaps://"+e.addr, ldap.DialWithTLSConfig(e.clientTLS()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Fatalf("bind over LDAPS from a remote address: %v", err)
	}
	_, err = c.Extended(ldap.NewExtendedRequest("1.3.6.1.4.1.1466.20037", nil))
	wantCode(t, err, ldap.LDAPResultOperationsError)
	if who, err := c.WhoAmI(nil); err != nil || who.AuthzID != "dn:uid=zoe,ou=people,"+base {
		t.Fatalf("WhoAmI: %v %v", who, err)
	}
}
