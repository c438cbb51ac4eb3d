// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/preau/preau/internal/web/webtest"
)

// TestFilesBandwidthSettings: an administrator sets transfer limits on the
// console's storage page (a wrong rate is refused with its message and
// changes nothing; the change is journaled), with a limit of its own for
// the wifi zone, and a user on the wifi then sees in the file manager the
// wifi's download limit, the establishment's upload limit, the hours and the
// matching rclone --bwlimit; both pages pass axe-core in French and English.
// CARINE: UTI-ESF-5
func TestFilesBandwidthSettings(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	// The test client (127.0.0.1) is in the establishment's wifi zone.
	_, zpage := n.get("/admin/zones")
	zm := csrfRE.FindStringSubmatch(zpage)
	if r, _ := n.post("/admin/zones", url.Values{"csrf": {zm[1]}, "name": {"wifi"}, "cidrs": {"127.0.0.0/8"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding the wifi zone: %d", r.StatusCode)
	}
	r, page := n.get("/admin/files")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `id="bandwidth"`) {
		t.Fatalf("storage page without the bandwidth form: %d", r.StatusCode)
	}
	m := csrfRE.FindStringSubmatch(page)
	est := regexp1(page, `name="est" value="([^"]*)"`)
	post := func(kv ...string) string {
		t.Helper()
		v := url.Values{"csrf": {m[1]}, "est": {est}, "action": {"bandwidth"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		r, _ := n.post("/admin/files", v)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST bandwidth %v: %d", kv, r.StatusCode)
		}
		return r.Header.Get("Location")
	}
	if loc := post("down", "vingt"); !strings.Contains(loc, "error=") {
		t.Fatalf("a wrong rate was accepted: %s", loc)
	}
	if !strings.Contains(page, `name="zone-down-wifi"`) {
		t.Fatal("the bandwidth form has no row for the wifi zone")
	}
	if loc := post("down", "20", "up", "2,5", "from", "08:00", "to", "17:30", "zone", "wifi",
		"zone-down-wifi", "4"); !strings.Contains(loc, "done=bandwidth") {
		t.Fatalf("saving the limits: %s", loc)
	}
	if _, page := n.get("/admin/files?done=bandwidth"); !strings.Contains(page, `value="20"`) || !strings.Contains(page, `value="2.5"`) {
		t.Fatalf("the form does not show the saved limits:\n%.4000s", page)
	}
	changes := 0
	for _, line := range strings.Split(n.cli("journal", "export"), "\n") {
		if strings.Contains(line, `"action":"settings.put"`) && strings.Contains(line, "/files.bandwidth") &&
			strings.Contains(line, `"actor_login":"tech"`) {
			changes++
		}
	}
	if changes != 1 { // the refused form wrote nothing
		t.Fatalf("%d journaled bandwidth changes, want 1", changes)
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/files", "/admin/files?lang=en")

	n.client.Jar, _ = cookiejar.New(nil)
	if r := n.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	_, page = n.get("/files?path=/home")
	// The wifi's own download limit, the establishment's upload limit.
	if !strings.Contains(page, "data-sync-limited") || !strings.Contains(page, "Téléchargements limités à 4 Mbit/s") ||
		!strings.Contains(page, "« wifi »") ||
		!strings.Contains(page, "de 08:00 à 17:30") || !strings.Contains(page, "2,5 Mbit/s") || !strings.Contains(page, `--bwlimit "Mon-08:00,305K:488K`) {
		t.Fatalf("the file manager does not tell the limits:\n%s", between(page, "sync-guide", "</details>"))
	}
	if _, page = n.get("/files?path=/home&lang=en"); !strings.Contains(page, "Downloads are limited to 4 Mbit/s") {
		t.Fatalf("English guidance missing:\n%s", between(page, "sync-guide", "</details>"))
	}
	front = proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/files?path=/home", "/files?path=/home&lang=en")
}

func regexp1(s, re string) string {
	if m := regexpMust(re).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return "(no " + from + ")"
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		s = s[:j]
	}
	return s
}

var regexpMust = regexp.MustCompile
