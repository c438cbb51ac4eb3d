// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestFilesDAVProxyAndCharter: on a node behind a trusted reverse proxy,
// WebDAV journals the client address the proxy names (X-Forwarded-For),
// not the proxy's; once the head publishes a charter, a pupil who has not
// accepted it gets 403 over WebDAV naming it and the portal page, and her
// files once she accepted it on the portal.
// CARINE: UTI-ESF-1, INF-AUT-5, MCO-JAL-1
func TestFilesDAVProxyAndCharter(t *testing.T) {
	n := startNode(t, trustLoopback)
	n.cli("user", "add", "h.chef", "--uai", "0999001W", "--profile", "head", "--given", "Hélène", "--family", "Chef",
		"--password", "Chef-Etablissement-2026", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	dav := func(method, path, pw, from string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, n.base+path, nil)
		req.SetBasicAuth("zoe.martin", pw)
		req.Header.Set("X-Forwarded-For", from)
		res, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := dav("PROPFIND", "/dav/home/", "faux", "203.0.113.7"); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("h.chef", "Chef-Etablissement-2026")
	n.publishCharter("Charte du collège", "## Règles\n\nRespecter les autres.", 1)
	st, b := dav("GET", "/dav/home/", "Bonjour-Zoe-2026", "198.51.100.9")
	if st != http.StatusForbidden || !strings.Contains(b, "Charte du collège") || !strings.Contains(b, "/charter/accept") {
		t.Fatalf("WebDAV before accepting the charter: %d %q", st, b)
	}
	var refused, verified bool
	for _, line := range strings.Split(n.cli("journal", "export"), "\n") {
		if !strings.Contains(line, `"action":"auth.login"`) || !strings.Contains(line, `"channel":"dav"`) {
			continue
		}
		refused = refused || strings.Contains(line, "203.0.113.7") && strings.Contains(line, "refused")
		verified = verified || strings.Contains(line, "198.51.100.9")
		if strings.Contains(line, "127.0.0.1") {
			t.Fatalf("a WebDAV login journaled with the proxy's address: %s", line)
		}
	}
	if !refused || !verified {
		t.Fatalf("WebDAV logins journaled without the forwarded client address (refused %v, verified %v)", refused, verified)
	}
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	n.accept("/")
	if st, b := dav("PROPFIND", "/dav/home/", "Bonjour-Zoe-2026", "198.51.100.9"); st != http.StatusMultiStatus {
		t.Fatalf("WebDAV once the charter is accepted: %d %.300s", st, b)
	}
}
