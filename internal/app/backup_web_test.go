// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/web/webtest"
)

// The console's backup page: state, history with sizes, growth chart, a
// backup started from the page with its progress over SSE; accessible.
// CARINE: MCO-SVG-13, MCO-SVG-8
func TestBackupConsolePage(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	if _, page := n.get("/admin/backup"); !strings.Contains(page, "Aucune clé de secours") {
		t.Fatalf("no alert before set-up:\n%s", page)
	}
	repo := filepath.Join(t.TempDir(), "repo")
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	n.cli("backup", "init", "--key-out", keyFile)
	n.cli("backup", "policy", "set", "--repo", repo, "--schedule", "daily 02:30", "--window", "22:00-06:00", "--limit-rate", "50m",
		"--modified-since", "2020-01-01")
	resp, page := n.get("/admin/backup")
	m := csrfRE.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, "Sauvegarder maintenant") ||
		!strings.Contains(page, "démarrage entre 22:00-06:00") || !strings.Contains(page, "par seconde") || !strings.Contains(page, "modifiés depuis") {
		t.Fatalf("backup page: %d\n%s", resp.StatusCode, page)
	}
	if r, _ := n.post("/admin/backup/run", url.Values{"csrf": {m[1]}}); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/admin/backup/progress" {
		t.Fatalf("start: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	// The events stream ends with "done" once the backup is over.
	resp, events := n.get("/admin/backup/events")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || !strings.Contains(events, "event: done") {
		t.Fatalf("events: %s\n%s", resp.Header.Get("Content-Type"), events)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, page = n.get("/admin/backup")
		if strings.Contains(page, "<td>sauvegarde</td>") && strings.Contains(page, "<td>réussi</td>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful backup in the history:\n%s", page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(page, "tech") || !strings.Contains(page, "<svg") {
		t.Fatalf("history lacks the actor or the growth chart:\n%s", page)
	}
	// Browse the snapshot with the recovery key (MCO-SVG-1, -3): the key is
	// required, never echoed, and the look is journaled.
	_, page = n.get("/admin/backup/browse")
	m = csrfRE.FindStringSubmatch(page)
	snapRE := regexp.MustCompile(`<option value="([0-9a-f]{64})"`)
	sm := snapRE.FindStringSubmatch(page)
	if m == nil || sm == nil {
		t.Fatalf("browse page lacks the form or the snapshot:\n%s", page)
	}
	kb, _ := os.ReadFile(keyFile)
	key := regexp.MustCompile(`AGE-SECRET-KEY-1[0-9A-Z]+`).FindString(string(kb))
	if r, page := n.post("/admin/backup/browse", url.Values{"csrf": {m[1]}, "snapshot": {sm[1]}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "Clé de secours") {
		t.Fatalf("browse without a key: %d", r.StatusCode)
	}
	r, page := n.post("/admin/backup/browse", url.Values{"csrf": {m[1]}, "snapshot": {sm[1]}, "path": {"db"}, "key": {key}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "preau.db") || strings.Contains(page, key) {
		t.Fatalf("browse with the key: %d\n%s", r.StatusCode, page)
	}
	r, page = n.post("/admin/backup/browse", url.Values{"csrf": {m[1]}, "snapshot": {sm[1]}, "against": {sm[1]}, "key": {"AGE-SECRET-KEY-1QQQQ"}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("browse with a wrong key: %d", r.StatusCode)
	}
	if _, page = n.get("/admin/backup"); !strings.Contains(page, "<td>consultation</td>") {
		t.Fatal("the browse is not in the history")
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/backup", "/admin/backup?lang=en", "/admin/backup/progress", "/admin/backup/browse")
}
