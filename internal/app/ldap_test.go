// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// needLDAPUtils skips the test when Debian's ldap-utils (tool, one of its
// commands) is missing, or fails it under PREAU_TEST_STRICT=1.
func needLDAPUtils(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("ldap-utils is not installed (PREAU_TEST_STRICT=1)")
		}
		t.Skip("ldap-utils is not installed: apt-get install ldap-utils")
	}
}

// ldapNode is a node with a teacher and two pupils who can log in.
func ldapNode(t *testing.T) (*node, *x509.CertPool) {
	n := startNode(t)
	for _, u := range [][]string{
		{"paul.durand", "teacher", "Paul", "Durand", "Paul-Durand-2026"},
		{"zoe.martin", "pupil", "Zoé", "Martin", "Zoe-Martin-2026"},
		{"leo.petit", "pupil", "Léo", "Petit", "Leo-Petit-2026"},
		{"tech", "admin", "Sam", "Tech", "Un-Mot-De-Passe-Solide"},
	} {
		n.cli("user", "add", u[0], "--uai", "0999001W", "--profile", u[1], "--given", u[2], "--family", u[3],
			"--password", u[4], "--must-change=false")
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(n.data + "/tls/ca.crt")
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("CA: %v", err)
	}
	return n, pool
}

func dial(t *testing.T, n *node) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL("ldap://" + n.app.Addr("ldap"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// CARINE: INF-ANN-2 — standard LDAPv3 queries over the directory, results
// filtered by the caller's rights; INF-ANN-4 — a refused LDAP write is
// journaled with its attribute names; INF-AUT-13 — LDAP binds are traced.
func TestLDAPDirectory_INF_ANN_2(t *testing.T) {
	n, pool := ldapNode(t)
	c := dial(t, n)
	if _, err := c.Search(ldap.NewSearchRequest("dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false, "(uid=*)", nil, nil)); err == nil {
		t.Fatal("an anonymous search was answered")
	}
	if err := c.Bind("zoe.martin", "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	// A bare login binds, as Active Directory accepts a user principal name.
	if err := c.Bind("paul.durand", "Paul-Durand-2026"); err != nil {
		t.Fatal(err)
	}
	who, err := c.WhoAmI(nil)
	if err != nil || who.AuthzID != "dn:uid=paul.durand,ou=people,ou=0999001W,dc=preau" {
		t.Fatalf("whoami: %v %+v", err, who)
	}
	res, err := c.SearchWithPaging(ldap.NewSearchRequest("ou=0999001W,dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(&(objectClass=ENTEleve)(uid=*))", []string{"uid", "ENTEleveINE", "uidNumber"}, nil), 1)
	if err != nil || len(res.Entries) != 2 {
		t.Fatalf("paged search of pupils: %v, %d entries", err, len(res.Entries))
	}
	for _, e := range res.Entries {
		if e.GetAttributeValue("uidNumber") == "" {
			t.Errorf("%s has no uidNumber", e.DN)
		}
	}
	// A teacher may not change a pupil: refused, and journaled with the attribute.
	mod := ldap.NewModifyRequest("uid=zoe.martin,ou=people,ou=0999001W,dc=preau", nil)
	mod.Replace("sn", []string{"Autre"})
	err = c.Modify(mod)
	var le *ldap.Error
	if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultInsufficientAccessRights {
		t.Fatalf("teacher write: %v", err)
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, `"actor_login":"paul.durand","channel":"ldap"`) ||
		!strings.Contains(out, `"attributes":["familyName"],"result":"refused"`) {
		t.Fatalf("the refused LDAP write is not journaled:\n%s", out)
	}
	// The admin may, over StartTLS, and a reader sees it (the view reloads).
	admin := dial(t, n)
	if err := admin.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := admin.Bind("uid=tech,ou=people,ou=0999001W,dc=preau", "Un-Mot-De-Passe-Solide"); err != nil {
		t.Fatal(err)
	}
	if err := admin.Modify(mod); err != nil {
		t.Fatalf("admin write: %v", err)
	}
	res, err = c.Search(ldap.NewSearchRequest("dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(uid=zoe.martin)", []string{"sn"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("sn") != "Autre" {
		t.Fatalf("change not visible: %v %+v", err, res)
	}
	// LDAPS on its own port.
	s, err := ldap.DialURL("ldaps://"+n.app.Addr("ldaps"), ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind("leo.petit", "Leo-Petit-2026"); err != nil {
		t.Fatalf("LDAPS bind: %v", err)
	}
	// A service account (an application) binds and reads its allow-list, and
	// cannot log in on the web.
	n.cli("user", "add", "svc-moodle", "--uai", "0999001W", "--profile", "staff", "--given", "Moodle", "--family", "Service",
		"--password", "Moodle-Service-Secret-2026", "--service")
	m := dial(t, n)
	if err := m.Bind("svc-moodle", "Moodle-Service-Secret-2026"); err != nil {
		t.Fatalf("service bind: %v", err)
	}
	res, err = m.Search(ldap.NewSearchRequest("dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(uid=zoe.martin)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("uid") != "zoe.martin" ||
		res.Entries[0].GetAttributeValue("ENTPersonJointure") != "" {
		t.Fatalf("service view: %v %+v", err, res)
	}
	if r := n.login("svc-moodle", "Moodle-Service-Secret-2026"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a service account logged in on the web: %d", r.StatusCode)
	}
	// A pupil does not read another pupil's national identifiers.
	res, err = s.Search(ldap.NewSearchRequest("dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(uid=zoe.martin)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("ENTPersonJointure") != "" {
		t.Fatalf("pupil view: %v %+v", err, res)
	}
}

// TestLDAPPasswordChangeWithLDAPUtils drives the server with Debian's
// ldap-utils: ldapwhoami, ldappasswd (Password Modify), ldapsearch.
func TestLDAPPasswordChangeWithLDAPUtils(t *testing.T) {
	needLDAPUtils(t, "ldapsearch")
	n, _ := ldapNode(t)
	url := "ldap://" + n.app.Addr("ldap")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	if out := run("ldapwhoami", "-x", "-H", url, "-D", "leo.petit", "-w", "Leo-Petit-2026"); !strings.Contains(out, "uid=leo.petit,") {
		t.Fatalf("ldapwhoami: %s", out)
	}
	run("ldappasswd", "-x", "-H", url, "-D", "leo.petit", "-w", "Leo-Petit-2026", "-a", "Leo-Petit-2026", "-s", "Une phrase nouvelle 2026")
	if out, err := exec.Command("ldapwhoami", "-x", "-H", url, "-D", "leo.petit", "-w", "Leo-Petit-2026").CombinedOutput(); err == nil {
		t.Fatalf("the old password still binds: %s", out)
	}
	out := run("ldapsearch", "-x", "-LLL", "-H", url, "-D", "leo.petit", "-w", "Une phrase nouvelle 2026",
		"-b", "dc=preau", "-E", "pr=2/noprompt", "(objectClass=posixAccount)", "uid")
	if strings.Count(out, "uid: ") != 6 {
		t.Fatalf("ldapsearch paged: %s", out)
	}
}
