// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// CARINE: INF-AUT-4 — a person sees their sessions (device, network,
// since when) and ends one from another device; /whoami and its API tell a
// shared workstation's banner who is logged in.
func TestSessionsPageAndWhoami_INF_AUT_4(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	if r, body := n.get("/api/v1/whoami"); r.StatusCode != 200 || !strings.Contains(body, `"anonymous":true`) {
		t.Fatalf("anonymous whoami: %d %s", r.StatusCode, body)
	}
	n.login("zoe.martin", "Bonjour-Zoe-2026")
	// A second device: another cookie jar.
	other := *n
	other.client = &http.Client{Transport: n.client.Transport, CheckRedirect: n.client.CheckRedirect}
	other.client.Jar, _ = cookiejar.New(nil)
	other.login("zoe.martin", "Bonjour-Zoe-2026")

	_, body := n.get("/whoami")
	if !strings.Contains(body, "Zoé Martin") || !strings.Contains(body, "Élève") {
		t.Fatalf("whoami page:\n%s", body)
	}
	_, body = n.get("/api/v1/whoami")
	var who map[string]any
	if err := json.Unmarshal([]byte(body), &who); err != nil || who["login"] != "zoe.martin" || who["strong"] != false {
		t.Fatalf("whoami API: %v %s", err, body)
	}
	_, page := n.get("/account/sessions")
	ends := regexp.MustCompile(`action="(/account/sessions/[0-9a-f]+/end)"`).FindAllStringSubmatch(page, -1)
	if len(ends) != 2 || !strings.Contains(page, "cette session") {
		t.Fatalf("sessions page lists %d sessions:\n%s", len(ends), page)
	}
	// End the session that is not this one.
	csrf := csrfRE.FindStringSubmatch(page)[1]
	var target string
	for _, row := range regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(page, -1) {
		if !strings.Contains(row, "cette session") && strings.Contains(row, "/end") {
			target = regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(row)[1]
		}
	}
	if r, _ := n.post(target, url.Values{"csrf": {csrf}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ending the other session: %d", r.StatusCode)
	}
	if r, _ := other.get("/"); !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("the ended session still works: %d", r.StatusCode)
	}
	if r, _ := n.get("/"); r.StatusCode != 200 {
		t.Fatalf("the current session ended too: %d", r.StatusCode)
	}
	if out := n.cli("journal", "export", "--format", "jsonl"); !strings.Contains(out, `"auth.session.end"`) {
		t.Fatal("ending a session is not journaled")
	}
}
