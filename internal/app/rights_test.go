// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/config"
)

// trustLoopback makes the node believe X-Forwarded-For from 127.0.0.1, as
// behind a school's reverse proxy, so a test can speak from any address.
func trustLoopback(c *config.File) { c.Web.TrustedProxies = []string{"127.0.0.1/32"} }

// getFrom fetches path as if from addr (through the trusted proxy).
func (n *node) getFrom(path, addr string) (*http.Response, string) {
	n.t.Helper()
	req, _ := http.NewRequest("GET", n.base+path, nil)
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := n.client.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

type whoami struct {
	Zone      string            `json:"zone"`
	Rights    []string          `json:"rights"`
	ZoneBound map[string]string `json:"zone_bound"`
}

// The head defines the network zones and grants a staff member the right
// to manage people from the administrative zone only; the staff member
// holds it from an admin-zone address and not from a peda-zone one, where
// Préau names the zone needed; a technical admin cannot grant themself a
// right, and the refusal is journaled; the head sees why the person holds
// the right.
// CARINE: INF-ANN-4, INF-DIF-1, UTI-MSG-13
func TestHeadGrantsZoneBoundRight(t *testing.T) {
	n := startNode(t, trustLoopback)
	for _, u := range [][]string{{"chef", "head", "Claire", "Chef"}, {"tech", "admin", "Sam", "Tech"}, {"cpe", "staff", "Paul", "Cpe"}} {
		n.cli("user", "add", u[0], "--uai", "0999001W", "--profile", u[1], "--given", u[2], "--family", u[3],
			"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	}
	n.adminLogin("chef", "Un-Mot-De-Passe-Solide")
	csrf := n.csrf("/admin/zones")
	for name, cidrs := range map[string]string{"peda": "10.0.0.0/8", "admin": "10.1.0.0/24\nfd00:1::/64"} {
		if r, body := n.post("/admin/zones", url.Values{"csrf": {csrf}, "name": {name}, "cidrs": {cidrs}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("zone %s: %d\n%s", name, r.StatusCode, body)
		}
	}
	if r, body := n.post("/admin/zones", url.Values{"csrf": {csrf}, "name": {"wifi"}, "cidrs": {"10.300.0.0/16"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "10.300.0.0/16") {
		t.Fatalf("a bad range must be refused by name: %d", r.StatusCode)
	}
	if _, body := n.get("/admin/zones?test=10.1.0.9"); !strings.Contains(body, "10.1.0.9 est dans la zone « admin »") {
		t.Fatalf("zone tester:\n%s", body)
	}
	csrf = n.csrf("/admin/rights")
	r, body := n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"people.manage"}, "target": {"person"},
		"login": {"cpe"}, "zone": {"admin"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant: %d\n%s", r.StatusCode, body)
	}
	if r, body := n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"journal.read"}, "target": {"person"},
		"login": {"cpe"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant journal.read: %d\n%s", r.StatusCode, body)
	}
	r, body = n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"logs.read"}, "target": {"person"},
		"login": {"cpe"}, "zone": {"guest"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "guest") {
		t.Fatalf("a zone the establishment lacks must be refused: %d", r.StatusCode)
	}
	for _, bad := range []struct{ from, until, want string }{
		{"", "2026-13-45", "« 2026-13-45 » n’est pas une date"},
		{"2027-03-10", "2027-03-01", "la date de fin"},
	} {
		r, body := n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"monitor.read"}, "target": {"person"},
			"login": {"cpe"}, "from": {bad.from}, "until": {bad.until}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(strings.ToLower(body), strings.ToLower(bad.want)) {
			t.Fatalf("dates %q → %q: %d, want a message with %q", bad.from, bad.until, r.StatusCode, bad.want)
		}
	}
	if r, _ := n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"no.such"}, "target": {"person"},
		"login": {"cpe"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown right: %d", r.StatusCode)
	}
	if _, body := n.get("/admin/rights?person=cpe"); !strings.Contains(body, "attribué par chef") ||
		!strings.Contains(body, "uniquement depuis la zone « admin »") {
		t.Fatalf("effective rights are not explained:\n%s", body)
	}

	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	csrf = n.csrf("/admin/rights")
	if _, body := n.get("/admin/rights"); !strings.Contains(body, "Seul·e le ou la chef d’établissement attribue") {
		t.Fatal("a technical admin must be told that only the head grants")
	}
	if r, _ := n.post("/admin/rights/grant", url.Values{"csrf": {csrf}, "right": {"journal.read"}, "target": {"person"},
		"login": {"tech"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a technical admin granting themself a right: %d", r.StatusCode)
	}
	out := n.cli("journal", "export")
	if !strings.Contains(out, `"action":"directory.grant.create"`) || !strings.Contains(out, `"result":"refused"`) ||
		!strings.Contains(out, `"attributes":["people.manage","zone:admin"]`) {
		t.Fatalf("grants and refusals must be journaled:\n%s", out)
	}

	n.client.Jar, _ = cookiejar.New(nil)
	if r := n.login("cpe", "Un-Mot-De-Passe-Solide"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	from := func(addr string) whoami {
		_, body := n.getFrom("/api/v1/whoami", addr)
		var w whoami
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return w
	}
	admin, peda := from("10.1.0.7"), from("10.2.3.4")
	holds := func(w whoami, right string) bool {
		return slices.ContainsFunc(w.Rights, func(s string) bool { return strings.HasPrefix(s, right+" ") })
	}
	if admin.Zone != "admin" || !holds(admin, "people.manage") {
		t.Fatalf("from the admin zone the right holds: %+v", admin)
	}
	if peda.Zone != "peda" || holds(peda, "people.manage") || !holds(peda, "journal.read") || len(peda.ZoneBound) != 1 {
		t.Fatalf("from the peda zone the right must not hold, and say which zone it needs: %+v", peda)
	}
	for _, z := range peda.ZoneBound {
		if z != "admin" {
			t.Fatalf("zone needed: %q", z)
		}
	}
	if w := from("fd00:1::5"); w.Zone != "admin" {
		t.Fatalf("IPv6 admin range: %+v", w)
	}
	// journal.read, granted without a zone, opens the journal viewer to a
	// staff member who is no administrator.
	if r, body := n.get("/admin/journal?action=directory.grant."); r.StatusCode != 200 || !strings.Contains(body, "directory.grant.create") {
		t.Fatalf("journal for a journal.read holder: %d\n%.2000s", r.StatusCode, body)
	}
	if r, _ := n.get("/admin/rights"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("the rest of the console stays closed: %d", r.StatusCode)
	}
}

// Running preau init again on a deployment (to add network zones, say)
// keeps the accounts it made and attaches nobody twice.
func TestInitRunsAgain(t *testing.T) {
	n := startNode(t)
	out := n.cli("init", "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin", "--academie", "Démo",
		"--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie", "--head-family", "Dupont",
		"--admin", "admin", "--hosts", "localhost", "--zone", "admin=10.1.0.0/24")
	if !strings.Contains(out, "Account m.dupont exists: already attached") {
		t.Fatalf("second init:\n%s", out)
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, `"action":"directory.zone.put"`) {
		t.Fatalf("the second run should have added the zone:\n%s", out)
	}
}
