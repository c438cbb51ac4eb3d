// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

// seedFilters exercise every filter form, in go-ldap's and our syntax.
var seedFilters = []string{
	"(uid=zoe)", "(&(objectClass=person)(|(uid=zoe)(!(cn=a*b*c))))", "(cn=*)", "(cn=*x)", "(cn=x*)",
	"(uidNumber>=10)", "(uidNumber<=10)", "(cn~=zoe)", "(cn:dn:2.5.13.5:=x)", "(:caseExactMatch:=x)",
	"(cn:=x)", "(cn=\\28\\29\\2a\\5c\\00)", "(cn=élève)", "(memberOf=cn=6A,ou=groups,dc=preau,dc=example)",
	"(uidNumber:1.2.840.113556.1.4.803:=5)", "(createTimestamp>=20260101000000Z)",
}

// captureMessages runs a go-ldap session against a recording server and
// returns each LDAPMessage the client sent.
func captureMessages(t testing.TB) [][]byte {
	rec := &recorder{}
	e := newEnv(t, ldapd.Config{}, nil, func(o *envOptions) { o.tee = rec })
	c := e.dial(t)
	_, _ = c.SimpleBind(&ldap.SimpleBindRequest{Username: "uid=admin,ou=people," + base, Password: adminPW,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}})
	for _, f := range seedFilters {
		_, _ = c.Search(ldap.NewSearchRequest(base, 2, 0, 10, 5, false, f, []string{"cn", "+", "1.1"}, nil))
	}
	_, _ = c.SearchWithPaging(ldap.NewSearchRequest(base, 2, 0, 0, 0, true, "(objectClass=*)", nil, nil), 3)
	_, _ = c.Compare("uid=zoe,ou=people,"+base, "cn", "Zoé Martin")
	add := ldap.NewAddRequest("uid=new,ou=people,"+base, nil)
	add.Attribute("objectClass", []string{"top", "person"})
	add.Attribute("cn", []string{"New"})
	_ = c.Add(add)
	m := ldap.NewModifyRequest("uid=new,ou=people,"+base, nil)
	m.Add("description", []string{"a", "b"})
	m.Replace("cn", []string{"Renamed"})
	m.Delete("description", []string{"a"})
	m.Increment("uidNumber", "1")
	_ = c.Modify(m)
	_ = c.ModifyDN(ldap.NewModifyDNRequest("uid=new,ou=people,"+base, "uid=newer", true, "ou=groups,"+base))
	_ = c.Del(ldap.NewDelRequest("uid=newer,ou=groups,"+base, []ldap.Control{ldap.NewControlManageDsaIT(true)}))
	_, _ = c.WhoAmI(nil)
	_, _ = c.PasswordModify(ldap.NewPasswordModifyRequest("lea", "old-password", "new-password"))
	_, _ = c.Extended(ldap.NewExtendedRequest("1.2.3.4", ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "v", "")))
	_ = c.Unbind()
	poll(t, "the unbind to be recorded", func() bool {
		return bytes.HasSuffix(rec.bytes(), []byte{0x42, 0x00}) // UnbindRequest, no controls
	})
	return splitFrames(rec.bytes())
}

// splitFrames splits a byte stream into whole BER elements.
func splitFrames(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n, hdr := int(b[1]), 2
		if n&0x80 != 0 {
			k := n & 0x7f
			if len(b) < 2+k {
				break
			}
			n = 0
			for _, c := range b[2 : 2+k] {
				n = n<<8 | int(c)
			}
			hdr += k
		}
		if len(b) < hdr+n {
			break
		}
		out = append(out, b[:hdr+n])
		b = b[hdr+n:]
	}
	return out
}

var fuzzEntry = &ldapd.Entry{DN: "uid=zoe,ou=people,dc=preau,dc=example", Attrs: []ldapd.Attr{
	{Name: "objectClass", Values: []string{"top", "person"}}, {Name: "cn", Values: []string{"Zoé Martin"}},
	{Name: "uidNumber", Values: []string{"1001"}}, {Name: "member", Values: []string{"uid=a,dc=x"}},
	{Name: "createTimestamp", Values: []string{"20260901080000Z"}}, {Name: "userPassword", Values: []string{"x"}},
}}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range captureMessages(f) {
		f.Add(m)
	}
	for _, s := range [][]byte{{}, {0x30}, {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, {0x30, 0x80, 0, 0},
		{0x30, 0x03, 0x02, 0x01, 0x01}, {0x30, 0x05, 0x02, 0x01, 0x01, 0x42, 0x00},
		{0x30, 0x06, 0x02, 0x01, 0x01, 0x50, 0x01, 0x07}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ldapd.DecodeRequest(b)
		if err != nil || req == nil {
			return
		}
		s := req.Filter.String()
		g, err := ldapd.ParseFilter(s)
		if err != nil {
			t.Fatalf("the decoded filter %q does not parse: %v", s, err)
		}
		if g.String() != s {
			t.Fatalf("%q reparses as %q", s, g.String())
		}
		req.Filter.Match(fuzzEntry, ldaptest.StandardSchema())
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range append(seedFilters, "", "(", "uid=zoe", "(&)", "(|)", "(!(&))", "(cn=a**b)",
		"(cn:dn:dn:=x)", "(:dn:=x)", "(&(a=b)", strings.Repeat("(&", 70)+"(a=b)"+strings.Repeat(")", 70),
		"(cn=\\zz)", "(cn=\\ff\\fe)", "(cn=*\\2a*)", "(cn>=*)", "(a;b=c)", "(2.5.4.3:2.5.13.2:=x)") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ldapd.ParseFilter(s)
		if err != nil {
			return
		}
		s2 := flt.String()
		g, err := ldapd.ParseFilter(s2)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, s2, err)
		}
		if g.String() != s2 {
			t.Fatalf("%q → %q → %q", s, s2, g.String())
		}
		flt.Match(fuzzEntry, ldaptest.StandardSchema())
		flt.Match(fuzzEntry, nil)
		flt.EqualityTerms()
	})
}

func FuzzParseDN(f *testing.F) {
	for _, s := range []string{"", "uid=zoe,ou=people,dc=preau,dc=example", "cn=Doe\\, John;dc=x", "cn=#04024869",
		"cn=a+sn=b", "OID.2.5.4.3=x", " cn = x ", "cn=\\ x\\ ", "cn=\\c3\\a9", "cn=\\ff", "cn=", "cn=x,", "=",
		"cn=#zz", "UID=Zoe, OU=People", "cn=a=b+c=d"} {
		f.Add(s)
	}
	schema := ldaptest.StandardSchema()
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ldapd.ParseDN(s)
		if err != nil {
			_ = ldapd.ParentOf(s) // must not panic
			return
		}
		s2 := d.String()
		d2, err := ldapd.ParseDN(s2)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, s2, err)
		}
		if !reflect.DeepEqual(d, d2) && !(len(d) == 0 && len(d2) == 0) {
			t.Fatalf("%q → %#v → %q → %#v", s, d, s2, d2)
		}
		n, err := ldapd.NormalizeDN(s, schema)
		if err != nil {
			t.Fatalf("%q parses but does not normalise: %v", s, err)
		}
		if n2, err := ldapd.NormalizeDN(n, schema); err != nil || n2 != n {
			t.Fatalf("normalisation is not idempotent: %q → %q → %q (%v)", s, n, n2, err)
		}
		if !ldapd.InScope(ldapd.ParentOf(s), s, ldapd.ScopeSub, schema) {
			t.Fatalf("%q is not under its parent %q", s, ldapd.ParentOf(s))
		}
	})
}
