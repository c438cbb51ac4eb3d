// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/url"
	"path/filepath"
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
	n.cli("backup", "init", "--key-out", filepath.Join(t.TempDir(), "key.txt"))
	n.cli("backup", "policy", "set", "--repo", repo, "--schedule", "daily 02:30")
	resp, page := n.get("/admin/backup")
	m := csrfRE.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(page, "Sauvegarder maintenant") {
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
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/backup", "/admin/backup?lang=en", "/admin/backup/progress")
}
