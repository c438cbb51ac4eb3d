// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// CARINE: INF-ANN-6 — a service account reads only what its application
// needs: a Wi-Fi controller given the attributes uid and mail and the
// teacher profile sees, through Debian's ldapsearch, the teachers' uid and
// mail and nothing else — no pupil, no name, no filter on a hidden
// attribute — until an administrator gives it the default scope back.
// Bad scopes are refused with the reason; every change is journaled.
func TestServiceAccountScope_INF_ANN_6(t *testing.T) {
	needLDAPUtils(t, "ldapsearch")
	n, _ := ldapNode(t)
	out := n.cli("user", "add", "svc-wifi", "--uai", "0999001W", "--profile", "staff", "--given", "Borne", "--family", "Wifi",
		"--password", "Wifi-Service-Secret-2026", "--service", "--ldap-attrs", "uid,rfc822Mailbox", "--ldap-profiles", "teacher")
	if !strings.Contains(out, "LDAP scope of svc-wifi: attributes objectclass,uid,mail; profiles teacher") {
		t.Fatalf("user add --ldap-attrs: %s", out)
	}
	search := func(filter string, attrs ...string) string {
		t.Helper()
		args := append([]string{"-x", "-LLL", "-H", "ldap://" + n.app.Addr("ldap"), "-D", "svc-wifi", "-w", "Wifi-Service-Secret-2026",
			"-b", "dc=preau", filter}, attrs...)
		b, err := exec.Command("ldapsearch", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ldapsearch %s: %v\n%s", filter, err, b)
		}
		return string(b)
	}
	got := search("(objectClass=posixAccount)", "*")
	if !strings.Contains(got, "uid: paul.durand") || strings.Contains(got, "zoe.martin") || strings.Contains(got, "leo.petit") {
		t.Fatalf("the scoped account's people:\n%s", got)
	}
	for _, hidden := range []string{"cn:", "sn:", "givenName:", "uidNumber:", "homeDirectory:", "ENTPersonProfils:"} {
		if strings.Contains(got, "\n"+hidden) {
			t.Fatalf("the scoped account reads %s\n%s", hidden, got)
		}
	}
	if got := search("(sn=Durand)", "uid"); strings.Contains(got, "paul.durand") {
		t.Fatalf("a filter on a hidden attribute matched:\n%s", got)
	}
	for _, bad := range [][]string{
		{"--ldap-attrs", "userPassword"},
		{"--ldap-attrs", "dateNaissance"},
		{"--ldap-profiles", "parent"},
	} {
		if _, err := preau(t, n.data, append([]string{"user", "scope", "svc-wifi"}, bad...)...); err == nil {
			t.Fatalf("scope %v accepted", bad)
		}
	}
	if _, err := preau(t, n.data, "user", "scope", "paul.durand", "--ldap-attrs", "uid"); err == nil ||
		!strings.Contains(err.Error(), "not a service account") {
		t.Fatalf("scope on a person: %v", err)
	}
	if out := n.cli("user", "scope", "svc-wifi", "--default"); !strings.Contains(out, "attributes default") {
		t.Fatalf("scope --default: %s", out)
	}
	if got := search("(uid=zoe.martin)", "uid", "cn"); !strings.Contains(got, "cn: Zoé Martin") && !strings.Contains(got, "cn:: ") {
		t.Fatalf("after the default scope came back:\n%s", got)
	}
	if out := n.cli("journal", "export"); strings.Count(out, `"action":"directory.service.scope"`) != 2 {
		t.Fatalf("scope changes in the journal:\n%s", out)
	}
	// A reset demands no change of an application account: it reads on.
	out = n.cli("user", "reset-password", "svc-wifi", "--password", "Radius-Controleur-Cle-2027")
	if !strings.Contains(out, "an application account") || strings.Contains(out, "next login") {
		t.Fatalf("reset-password of an application account: %s", out)
	}
	b, err := exec.Command("ldapsearch", "-x", "-LLL", "-H", "ldap://"+n.app.Addr("ldap"), "-D", "svc-wifi",
		"-w", "Radius-Controleur-Cle-2027", "-b", "dc=preau", "(uid=paul.durand)", "uid").CombinedOutput()
	if err != nil || !strings.Contains(string(b), "uid: paul.durand") {
		t.Fatalf("after the reset: %v\n%s", err, b)
	}
}
