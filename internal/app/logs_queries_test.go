// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/web/webtest"
)

// TestLogQueriesCLIAndPages: a saved query with a declared purpose and an
// audience is saved and run from the command line (refused and journaled
// without a justification when it may identify people, answered and
// journaled with one), refused to a teacher without logs.read and to an
// administrator outside its audience; in the console a technical admin
// saves one (a weekly report on connection data is refused without a
// justification it carries), runs it page by page, and the pages pass axe
// in French and English.
// CARINE: MCO-JAL-5, MCO-JAL-3
func TestLogQueriesCLIAndPages(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	est := ""
	for _, l := range strings.Split(n.cli("journal", "export"), "\n") {
		if strings.Contains(l, `"target_name":"0999001W"`) {
			var e struct{ Chain string }
			json.Unmarshal([]byte(l), &e)
			est = e.Chain
		}
	}
	n.app.LogSink().Append(logs.Record{Establishment: est, Class: logs.ClassConnection, Service: "proxy", User: "jdupont", Source: "10.1.2.3",
		Action: "block", Object: "https://jeux.example/", Result: "refused", Message: "category games"})
	if err := n.app.LogStore().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Command line: save, refuse without justification, answer with one.
	out := n.cli("logs", "query", "save", "--name", "Blocages", "--purpose", "suivre les blocages du filtrage web",
		"--audience", "head", "--establishment", "0999001W", "--service", "proxy", "--class", "connection", "--window", "7d")
	if !strings.Contains(out, "saved query") {
		t.Fatalf("save: %s", out)
	}
	if out, err := n.cliErr("logs", "query", "run", "Blocages"); !core.IsKind(err, core.Permission) || !strings.Contains(err.Error(), "justification") {
		t.Fatalf("unjustified run answered: %v %s", err, out)
	}
	if out := n.cli("logs", "query", "run", "Blocages", "--justification", "incident:INC-77"); !strings.Contains(out, "jdupont") ||
		!strings.Contains(out, "this run is journaled") {
		t.Fatalf("run: %s", out)
	}
	if out, err := n.cliErr("logs", "query", "run", "Blocages", "--justification", "incident:INC-77", "--as", "lou.petit"); !core.IsKind(err, core.Permission) {
		t.Fatalf("a teacher without logs.read ran a saved query: %v %s", err, out)
	}
	if out, err := n.cliErr("logs", "query", "run", "Blocages", "--justification", "incident:INC-77", "--as", "tech"); !core.IsKind(err, core.Permission) ||
		!strings.Contains(err.Error(), "audience") {
		t.Fatalf("an admin outside the audience ran the query: %v %s", err, out)
	}
	if out := n.cli("logs", "query", "list", "--as", "tech"); strings.Contains(out, "Blocages") {
		t.Fatalf("a query listed outside its audience: %s", out)
	}
	j := n.cli("journal", "export")
	if !strings.Contains(j, `"action":"logs.query.create"`) ||
		!strings.Contains(j, `"action":"logs.query.run","target_type":"logs","target_name":"since=`) ||
		!strings.Contains(j, `"reason":"incident:INC-77 query=\"Blocages\" records=1"`) ||
		!strings.Contains(j, `"result":"refused","reason":"no justification for a search on personal data"`) {
		t.Fatalf("journal:\n%s", j)
	}
	// Console.
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	resp, body := n.get("/admin/logs/queries")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Requêtes enregistrées") || strings.Contains(body, "Blocages") {
		t.Fatalf("queries page: %d\n%s", resp.StatusCode, body)
	}
	tok := n.csrf("/admin/logs/queries")
	form := url.Values{"csrf": {tok}, "name": {"Authentifications"}, "purpose": {"vérifier les connexions refusées chaque semaine"},
		"est": {est}, "class": {"connection"}, "service": {"proxy"}, "aud_admin": {"1"}, "schedule": {"weekly"}, "keep": {"30"}}
	resp, body = n.post("/admin/logs/queries", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "un rapport planifié doit porter son motif") {
		t.Fatalf("a scheduled report on connection data without justification: %d\n%s", resp.StatusCode, body)
	}
	form.Set("basis", "incident")
	form.Set("reference", "INC-2026-12")
	resp, _ = n.post("/admin/logs/queries", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/logs/queries/") {
		t.Fatalf("save: %d %s", resp.StatusCode, loc)
	}
	resp, body = n.get(loc + "?go=1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "jeux.example") || !strings.Contains(body, "incident:INC-2026-12") ||
		!strings.Contains(body, "Hebdomadaire") {
		t.Fatalf("run page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = n.get(loc + "/export?since=7d")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "time,establishment") || !strings.Contains(body, "jeux.example") {
		t.Fatalf("export of a saved query: %d\n%s", resp.StatusCode, body)
	}
	if j := n.cli("journal", "export"); !strings.Contains(j, `"action":"logs.query.export"`) {
		t.Fatal("the export of a saved query is not journaled")
	}
	if _, body := n.get("/admin/logs?go=1&class=system"); !strings.Contains(body, "Enregistrer cette recherche") {
		t.Fatal("no 'save this search' link on the search page")
	}
	if j := n.cli("journal", "export"); !strings.Contains(j, `"actor_login":"tech"`) || !strings.Contains(j, `query=\"Authentifications\"`) {
		t.Fatalf("the console run is not journaled:\n%s", j)
	}
	if testing.Short() {
		return
	}
	front := proxyWithCookies(t, n)
	defer front.Close()
	webtest.Axe(t, front.URL, "/admin/logs/queries", "/admin/logs/queries?lang=en", loc+"?go=1", loc+"?go=1&lang=en")
}

// TestLogReportAnnouncedAndDownloaded: a daily report of a saved query is
// made by the node's scheduler once its period ended (the test's clock),
// announced on the portal of its audience, listed on the query's page with
// its counts, and its CSV downloaded (journaled); a teacher cannot fetch it.
// CARINE: MCO-JAL-5
func TestLogReportAnnouncedAndDownloaded(t *testing.T) {
	start := time.Now()
	clock := core.NewFakeClock(start)
	n := startClockNode(t, clock)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	est := ""
	for _, l := range strings.Split(n.cli("journal", "export"), "\n") {
		if strings.Contains(l, `"target_name":"0999001W"`) {
			var e struct{ Chain string }
			json.Unmarshal([]byte(l), &e)
			est = e.Chain
		}
	}
	n.app.LogSink().Append(logs.Record{Time: clock.Now(), Establishment: est, Class: logs.ClassSystem, Service: "switch", Source: "sw-cdi",
		Result: "down", Message: "port 3 down"})
	if err := n.app.LogStore().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := n.cli("logs", "query", "save", "--name", "Équipements", "--purpose", "suivre les pannes des équipements réseau",
		"--audience", "admin", "--establishment", "0999001W", "--class", "system", "--schedule", "daily", "--keep", "10")
	if !strings.Contains(out, "daily report, next due") {
		t.Fatalf("save: %s", out)
	}
	archDir := t.TempDir()
	if out := n.cli("logs", "archive-schedule", "--every", "monthly", "--to", archDir); !strings.Contains(out, "monthly archive to "+archDir) {
		t.Fatalf("archive-schedule: %s", out)
	}
	clock.Advance(48 * time.Hour)
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:logs-schedule", core.ChannelJob))
	n.app.LogScheduler().Tick(ctx)
	clock.Set(start) // back to the time of the authenticator app, to log in
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	if _, body := n.get("/"); !strings.Contains(body, "Rapport de journaux : Équipements") {
		t.Fatalf("no notice of the report on the audience's portal:\n%s", body)
	}
	out = n.cli("logs", "query", "reports", "Équipements")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("reports: %s", out)
	}
	id := strings.Fields(lines[1])[0]
	_, body := n.get("/admin/logs/queries")
	qid := ""
	if i := strings.Index(body, `/admin/logs/queries/`); i >= 0 {
		qid = strings.SplitN(body[i+len(`/admin/logs/queries/`):], `"`, 2)[0]
	}
	resp, body := n.get("/admin/logs/queries/" + qid)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/admin/logs/reports/") || !strings.Contains(body, "Télécharger le CSV") {
		t.Fatalf("query page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = n.get("/admin/logs/reports/" + id + ".csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "time,establishment") ||
		!strings.Contains(body, "port 3 down") || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("download: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	j := n.cli("journal", "export")
	if !strings.Contains(j, `"action":"logs.report.download","target_type":"log_report","target_id":"`+id+`"`) ||
		!strings.Contains(j, `"action":"logs.report.create"`) || !strings.Contains(j, `"action":"logs.report.run"`) {
		t.Fatalf("journal:\n%s", j)
	}
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	if out, err := n.cliErr("logs", "query", "report", id, "--out", t.TempDir()+"/r.csv", "--as", "lou.petit"); !core.IsKind(err, core.Permission) {
		t.Fatalf("a teacher downloaded a report: %v %s", err, out)
	}
	// CARINE: MCO-JAL-3 — the scheduled archive of the previous month
	// verifies offline, its result is on the logs page; a failure is
	// notified to the technical admins.
	// (The first tick, two days after start, archived the month before
	// too when it crossed the end of a month.)
	later := start.AddDate(0, 1, 2)
	clock.Set(later)
	n.app.LogScheduler().Tick(ctx)
	clock.Set(start)
	first := time.Date(later.Year(), later.Month(), 1, 0, 0, 0, 0, later.Location())
	name := "preau-logs-" + first.AddDate(0, 0, -1).Format("2006-01") + ".tar"
	ents, _ := os.ReadDir(archDir)
	if len(ents) == 0 || len(ents) > 2 || !slices.ContainsFunc(ents, func(e os.DirEntry) bool { return e.Name() == name }) {
		t.Fatalf("archive folder: %v, want %s", ents, name)
	}
	if out, err := n.cliErr("logs", "verify", "--archive", filepath.Join(archDir, name)); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify the scheduled archive: %v %s", err, out)
	}
	if _, body := n.get("/admin/logs"); !strings.Contains(body, "Dernière archive le") || !strings.Contains(body, name) {
		t.Fatalf("no archive result on the logs page:\n%s", body)
	}
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	n.cli("logs", "archive-schedule", "--every", "weekly", "--to", blocker)
	clock.Set(start.AddDate(0, 1, 20))
	n.app.LogScheduler().Tick(ctx)
	clock.Set(start)
	if _, body := n.get("/admin/logs"); !strings.Contains(body, "a échoué") {
		t.Fatalf("the archive failure is not shown:\n%s", body)
	}
	if _, body := n.get("/"); !strings.Contains(body, "Archive des journaux en échec") {
		t.Fatal("the technical admin was not told of the failed archive")
	}
}
