// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/notify/notifytest"
)

// TestMonitorIncidentsFromFailures stops one of Préau's listeners (LDAP)
// and makes a declared local target fail: an incident opens for each
// within the check interval, alerts reach a local SMTP sink and a local
// webhook receiver, and the declared target's incident resolves itself
// when it comes back, with its timeline; the changes are journaled. The
// console needs a second factor first.
// CARINE: MCO-SEI-1, MCO-SEI-2, MCO-SEI-10
func TestMonitorIncidentsFromFailures(t *testing.T) {
	sink, err := notifytest.NewSink(notifytest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var mu sync.Mutex
	var hooks []map[string]any
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		hooks = append(hooks, m)
		mu.Unlock()
	}))
	defer hookSrv.Close()
	n := startNode(t, func(c *config.File) {
		c.Mail.Relay, c.Mail.From, c.Mail.TLS = sink.Addr(), "preau@clg.demo.test", "none"
		c.Monitor.SelfInterval = time.Second
	})
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	// Supervision data needs strong authentication (the default
	// auth.strong_for = ["admin"]): a password alone is not enough.
	n.login("tech", "Un-Mot-De-Passe-Solide")
	if r, _ := n.get("/admin/monitor"); r.StatusCode == http.StatusOK {
		t.Fatal("the supervision console opened on a password alone (MCO-SEI-10)")
	}
	n.enrolTOTP()
	_, page := n.get("/admin/monitor/settings")
	csrf := csrfRE.FindStringSubmatch(page)[1]
	if r, body := n.post("/admin/monitor/settings", url.Values{"csrf": {csrf}, "oncall": {"astreinte@clg.demo.test"},
		"webhook_url": {hookSrv.URL}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d\n%s", r.StatusCode, body)
	}
	// A local target (a switch, say) that answers, then stops.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go accept(ln)
	_, page = n.get("/admin/monitor/targets/new")
	est := regexp.MustCompile(`<option value="([0-9a-f-]{36})"`).FindStringSubmatch(page)
	if est == nil {
		t.Fatalf("no establishment to choose:\n%s", page)
	}
	if r, body := n.post("/admin/monitor/targets", url.Values{"csrf": {csrf}, "establishment": {est[1]}, "name": {"Commutateur CDI"},
		"kind": {"tcp"}, "address": {addr}, "service": {"reseau"}, "interval": {"1"}, "timeout": {"1"}, "retries": {"0"},
		"restore": {"4"}, "enabled": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("declaring a target: %d\n%s", r.StatusCode, body)
	}
	waitFor(t, "the target up and the self-checks run", func() bool {
		_, home := n.get("/admin/monitor")
		return strings.Count(home, "badge-ok") >= 3 && strings.Contains(home, "Commutateur CDI")
	})
	ln.Close()
	if err := n.app.StopListener("ldap"); err != nil {
		t.Fatal(err)
	}
	var incidents string
	waitFor(t, "two incidents", func() bool {
		_, incidents = n.get("/admin/monitor/incidents?state=open")
		return strings.Contains(incidents, "Commutateur CDI ne répond plus") && strings.Contains(incidents, "ldap ne répond plus")
	})
	msgs, err := sink.WaitFor(2, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].To[0] != "astreinte@clg.demo.test" {
		t.Fatalf("alert to %v", msgs[0].To)
	}
	waitFor(t, "two webhook alerts", func() bool { mu.Lock(); defer mu.Unlock(); return len(hooks) >= 2 })
	// The switch comes back: its incident resolves itself.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	go accept(ln2)
	id := regexp.MustCompile(`href="/admin/monitor/incidents/([0-9a-f-]{36})">Commutateur CDI`).FindStringSubmatch(incidents)
	if id == nil {
		t.Fatalf("no link to the incident:\n%s", incidents)
	}
	var detail string
	waitFor(t, "the incident resolved", func() bool {
		_, detail = n.get("/admin/monitor/incidents/" + id[1])
		return strings.Contains(detail, "Rétabli (constaté par le contrôle)")
	})
	for _, step := range []string{"Détecté", "Alerte envoyée", "Résolu le"} {
		if !strings.Contains(detail, step) {
			t.Fatalf("timeline lacks %q:\n%s", step, detail)
		}
	}
	waitFor(t, "the resolution alert", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range hooks {
			if h["event"] == "incident.resolved" && h["target"] == "Commutateur CDI" && h["establishment"] == "0999001W" {
				return true
			}
		}
		return false
	})
	_, home := n.get("/admin/monitor")
	tid := regexp.MustCompile(`href="/admin/monitor/targets/([0-9a-f-]{36})">Commutateur CDI`).FindStringSubmatch(home)
	if tid == nil {
		t.Fatalf("no link to the target:\n%s", home)
	}
	if r, page := n.get("/admin/monitor/targets/" + tid[1]); r.StatusCode != 200 || !strings.Contains(page, "Historique") ||
		!strings.Contains(page, `value="Commutateur CDI"`) {
		t.Fatalf("target page: %d\n%s", r.StatusCode, page)
	}
	out := n.cli("journal", "export")
	for _, a := range []string{`"action":"monitor.target.create"`, `"action":"monitor.incident.open"`, `"action":"monitor.incident.recovered"`} {
		if !strings.Contains(out, a) {
			t.Fatalf("journal lacks %s", a)
		}
	}
}

func accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMonitorAggregatesAndMetrics: a pupil files a request; the head's
// dashboard, its CSV export and the Prometheus scrape count it without any
// per-person data (no login, name, ID, subject or device). /metrics
// refuses a request without the bearer token, and with the token made in
// the data folder serves the Prometheus text format carrying the
// documented preau_ series.
// CARINE: MCO-SEI-1, MCO-SEI-5, MCO-SEI-6, MCO-SEI-8, MCO-SEI-9
func TestMonitorAggregatesAndMetrics(t *testing.T) {
	n := startNode(t, noStrongAuth, func(c *config.File) { c.Monitor.SelfInterval = time.Second })
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martinez",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.login("zoe.martin", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/requests")
	csrf := csrfRE.FindStringSubmatch(page)[1]
	r, body := n.post("/requests", url.Values{"csrf": {csrf}, "category": {"account"}, "subject": {"Mot de passe de Zoé Martinez"},
		"device": {"PC-SALLE-12"}, "description": {"Je n'arrive plus à me connecter."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("filing: %d\n%s", r.StatusCode, body)
	}
	personal := []string{"zoe.martin", "Zoé", "Martinez", "PC-SALLE-12", "Mot de passe de"}
	// A teacher holds no monitor.read: refused, the refusal names the right.
	n.client.Jar, _ = cookiejar.New(nil)
	n.login("lou.petit", "Un-Mot-De-Passe-Solide")
	if r, body := n.get("/admin/monitor/dashboard"); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "Consulter la supervision") {
		t.Fatalf("teacher: %d\n%s", r.StatusCode, body)
	}
	// The head reads the dashboard and its export: counts, no person.
	n.client.Jar, _ = cookiejar.New(nil)
	n.cli("user", "add", "cheffe", "--uai", "0999001W", "--profile", "head", "--given", "Anne", "--family", "Chef",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.login("cheffe", "Un-Mot-De-Passe-Solide")
	r, dash := n.get("/admin/monitor/dashboard")
	if r.StatusCode != 200 || !strings.Contains(dash, "Compte et mot de passe") || !strings.Contains(dash, "Stockage du serveur") ||
		!strings.Contains(dash, "database") {
		t.Fatalf("dashboard: %d\n%s", r.StatusCode, dash)
	}
	r, csvText := n.get("/admin/monitor/dashboard.csv")
	if r.StatusCode != 200 || !strings.HasPrefix(csvText, "uai,name,period_days,availability_pct") ||
		!strings.Contains(csvText, "0999001W,Collège Jean Moulin,30,") {
		t.Fatalf("CSV: %d\n%s", r.StatusCode, csvText)
	}
	for _, s := range personal {
		if strings.Contains(dash, s) || strings.Contains(csvText, s) {
			t.Fatalf("the dashboard or its export shows %q", s)
		}
	}
	if _, body := n.get("/admin/monitor/requests"); !strings.Contains(body, "Zoé Martinez") {
		t.Fatal("the head's triage list (not a dashboard) lacks the request")
	}
	b, err := os.ReadFile(filepath.Join(n.data, app.MetricsTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	if token != n.app.MetricsToken() || !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("token %q is not 32 URL-safe bytes", token)
	}
	if r, _ := n.get("/metrics"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without token: %d", r.StatusCode)
	}
	var scrapeText string
	scrape := func() map[string]bool {
		req, _ := http.NewRequest("GET", n.base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("scrape: %d %s", resp.StatusCode, body)
		}
		scrapeText = string(body)
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("not the Prometheus text format: %v\n%s", err, body)
		}
		got := map[string]bool{}
		for name, f := range fams {
			for _, m := range f.Metric {
				for _, l := range m.Label {
					if l.GetName() == "target" {
						got[name+"{"+l.GetValue()+"}"] = true
					}
				}
			}
			got[name] = true
		}
		return got
	}
	var got map[string]bool
	waitFor(t, "the self-checks in the metrics", func() bool { got = scrape(); return got["preau_check_up{https}"] })
	if got["preau_requests_open"] != true {
		t.Error("the scrape lacks preau_requests_open")
	}
	for _, s := range personal {
		if strings.Contains(scrapeText, s) {
			t.Fatalf("the scrape shows %q", s)
		}
	}
	promtool(t, scrapeText)
	for _, s := range []string{"preau_build_info", "preau_check_up", "preau_check_latency_seconds", "preau_checks_total",
		"preau_check_failures_total", "preau_accounts", "preau_disk_bytes", "preau_data_bytes",
		"preau_certificate_expiry_timestamp_seconds", "preau_check_up{ldap}", "go_goroutines"} {
		if !got[s] {
			t.Errorf("the scrape lacks %s", s)
		}
	}
}

// promtool lints a scrape with Debian's promtool (package prometheus) when
// it is installed; PREAU_TEST_STRICT=1 makes it required.
func promtool(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("promtool (Debian package prometheus) is required with PREAU_TEST_STRICT=1")
		}
		t.Log("promtool not installed (Debian package prometheus): the lint of /metrics is skipped")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
