// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

func TestBind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	cases := []struct {
		name, user, password string
		code                 uint16
		msgPart              string
	}{
		{"by DN", "uid=zoe,ou=people," + base, zoePW, 0, ""},
		{"by DN in another case", "UID=Zoe, OU=People, DC=Preau, DC=Example", zoePW, 0, ""},
		{"by bare login", "zoe", zoePW, 0, ""},
		{"wrong password", "zoe", "nope", ldap.LDAPResultInvalidCredentials, "invalid credentials"},
		{"unknown user", "nobody", "nope", ldap.LDAPResultInvalidCredentials, "invalid credentials"},
		{"disabled account", "ghost", "ghost-secret-1", ldap.LDAPResultInvalidCredentials, "account disabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := e.dial(t)
			err := c.Bind(tc.user, tc.password)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msgPart) {
				t.Errorf("message %q lacks %q", err, tc.msgPart)
			}
		})
	}
	t.Run("anonymous bind", func(t *testing.T) {
		t.Parallel()
		if err := e.dial(t).UnauthenticatedBind(""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("name without password", func(t *testing.T) {
		t.Parallel()
		wantCode(t, e.dial(t).UnauthenticatedBind("zoe"), ldap.LDAPResultUnwillingToPerform)
	})
}

func TestBindMappedErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.dial(t)
	e.dir.FailNext("Bind", core.E("test", core.TooMany, "too many attempts: retry in 5 minutes"))
	err := c.Bind("zoe", zoePW)
	wantCode(t, err, ldap.LDAPResultInvalidCredentials)
	if !strings.Contains(err.Error(), "retry in 5 minutes") {
		t.Errorf("throttling message lost: %v", err)
	}
	e.dir.FailNext("Bind", core.E("test", core.Unavailable, "the store is down"))
	wantCode(t, c.Bind("zoe", zoePW), ldap.LDAPResultUnavailable)
	// A failed bind leaves the connection anonymous.
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.Bind("zoe", "wrong"), ldap.LDAPResultInvalidCredentials)
	_, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, nil))
	wantCode(t, err, ldap.LDAPResultInsufficientAccessRights)
}

func TestBindSASLAndVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	r := e.raw(t)
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	sasl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
	sasl.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "GSSAPI", ""))
	op.AppendChild(sasl)
	r.send(1, op)
	if _, tag, code, msg := resultOf(r.read()); tag != ldap.ApplicationBindResponse ||
		code != ldap.LDAPResultAuthMethodNotSupported || !strings.Contains(msg, "SASL") {
		t.Fatalf("SASL bind: tag %d code %d %q", tag, code, msg)
	}
	op = ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 2, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "zoe", ""))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, zoePW, ""))
	r.send(2, op)
	if _, _, code, _ := resultOf(r.read()); code != ldap.LDAPResultProtocolError {
		t.Fatalf("LDAPv2 bind: code %d", code)
	}
}

func TestPrincipalInContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{AllowAnonymous: true}, nil)
	c := e.dial(t)
	search(t, c, base, ldap.ScopeBaseObject, "(objectClass=*)")
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Fatal(err)
	}
	search(t, c, base, ldap.ScopeBaseObject, "(objectClass=*)")
	calls := e.dir.Calls("Search")
	if len(calls) != 2 {
		t.Fatalf("%d searches", len(calls))
	}
	anon, zoe := calls[0].Principal, calls[1].Principal
	if !anon.Anonymous() || anon.Channel != core.ChannelLDAP || anon.Source != "127.0.0.1" {
		t.Errorf("anonymous principal %+v", anon)
	}
	if zoe.Login != "zoe" || zoe.Channel != core.ChannelLDAP || zoe.Source != "127.0.0.1" || zoe.Profile != core.ProfilePupil {
		t.Errorf("bound principal %+v", zoe)
	}
	if bind := e.dir.Calls("Bind")[0].Principal; bind.Source != "127.0.0.1" || !bind.Anonymous() {
		t.Errorf("Bind ran as %+v", bind)
	}
}

func TestPlainBindRemote(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil, remote)
	c := e.dial(t)
	err := c.Bind("zoe", zoePW)
	wantCode(t, err, ldap.LDAPResultConfidentialityRequired)
	if !strings.Contains(err.Error(), "INF-ANN-5") {
		t.Errorf("message does not name INF-ANN-5: %v", err)
	}
	if len(e.dir.Calls("Bind")) != 0 {
		t.Error("the password reached the directory")
	}
	if err := c.UnauthenticatedBind(""); err != nil {
		t.Errorf("anonymous bind refused: %v", err)
	}
	if err := c.StartTLS(e.clientTLS()); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind("zoe", zoePW); err != nil {
		t.Errorf("bind after StartTLS: %v", err)
	}

	allowed := newEnv(t, ldapd.Config{AllowPlainBindRemote: true}, nil, remote)
	if err := allowed.dial(t).Bind("zoe", zoePW); err != nil {
		t.Errorf("AllowPlainBindRemote: %v", err)
	}
}

func TestMustChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.dial(t)
	res, err := c.SimpleBind(&ldap.SimpleBindRequest{Username: "hugo", Password: hugoPW,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	pp, ok := ldap.FindControl(res.Controls, ldap.ControlTypeBeheraPasswordPolicy).(*ldap.ControlBeheraPasswordPolicy)
	if !ok || pp.Error != 2 {
		t.Fatalf("ppolicy control %v, want changeAfterReset", res.Controls)
	}
	_, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, nil))
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
	if !strings.Contains(err.Error(), "portal") {
		t.Errorf("message does not point to the portal: %v", err)
	}
	_, err = c.Compare("uid=zoe,ou=people,"+base, "uid", "zoe")
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
	wantCode(t, c.Del(ldap.NewDelRequest("uid=zoe,ou=people,"+base, nil)), ldap.LDAPResultUnwillingToPerform)
	if who, err := c.WhoAmI(nil); err != nil || who.AuthzID != "dn:uid=hugo,ou=people,"+base {
		t.Fatalf("WhoAmI %v %v", who, err)
	}
	if dns, _ := search(t, c, "", ldap.ScopeBaseObject, "(objectClass=*)"); len(dns) != 1 {
		t.Fatal("the rootDSE is not readable")
	}
	if _, err := c.PasswordModify(ldap.NewPasswordModifyRequest("", hugoPW, "hugo-new-pass")); err != nil {
		t.Fatal(err)
	}
	// The change lifts the restriction on this connection.
	if dns, _ := search(t, c, base, ldap.ScopeWholeSubtree, "(uid=zoe)"); len(dns) != 1 {
		t.Fatalf("after the change: %v", dns)
	}
	if got := e.dir.Password("hugo"); got != "hugo-new-pass" {
		t.Fatalf("password %q", got)
	}

	// A normal account gets an empty ppolicy response, as OpenLDAP sends.
	res, err = e.dial(t).SimpleBind(&ldap.SimpleBindRequest{Username: "zoe", Password: zoePW,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	if pp, ok := ldap.FindControl(res.Controls, ldap.ControlTypeBeheraPasswordPolicy).(*ldap.ControlBeheraPasswordPolicy); !ok || pp.Error != -1 {
		t.Fatalf("ppolicy control %v", res.Controls)
	}
}

func TestMustChangeOtherUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "hugo", hugoPW)
	_, err := c.PasswordModify(ldap.NewPasswordModifyRequest("zoe", "", "another-pass"))
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
}
