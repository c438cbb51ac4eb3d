// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web/webtest"
)

// preau runs a command on the data folder data and returns its output.
func preau(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := app.Run(context.Background(), append(args, "--data", data), app.Env{Getenv: func(string) string { return "" },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if err != nil {
		return errb.String(), err
	}
	return out.String(), nil
}

// complianceCSV runs `preau compliance --format csv` and returns the status
// and evidence of each requirement.
func complianceCSV(t *testing.T, data string, args ...string) map[string][2]string {
	t.Helper()
	out, err := preau(t, data, append([]string{"compliance", "--format", "csv"}, args...)...)
	if err != nil {
		t.Fatalf("preau compliance: %v\n%s", err, out)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "id,service,level_1d,level_2d,tag,status,evidence" || len(rows) != 184 {
		t.Fatalf("header %v, %d rows", rows[0], len(rows))
	}
	m := map[string][2]string{}
	for _, r := range rows[1:] {
		m[r[0]] = [2]string{r[5], r[6]}
	}
	return m
}

// TestComplianceCommand_INF_AUT_6 runs `preau compliance` on a data folder,
// changes settings the way an operator would (the config file, the password
// policies in the store, a tampered journal row) and sees the statuses move.
// CARINE: INF-AUT-6, INF-AUT-2, INF-ANN-4, INF-PDT-15, INF-AUT-7
func TestComplianceCommand_INF_AUT_6(t *testing.T) {
	data := t.TempDir()
	initArgs := []string{"init", "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin",
		"--academie", "Démo", "--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie",
		"--head-family", "Dupont", "--admin", "admin", "--hosts", "localhost"}
	if out, err := preau(t, data, append(initArgs, "--zone", "admin=10.1.0.0/24")...); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	m := complianceCSV(t, data)
	for id, want := range map[string]string{"INF-AUT-6": "met", "INF-AUT-2": "met", "INF-ANN-4": "met", "INF-AUT-7": "met",
		"INF-PDT-15": "not-met", "INF-SEC-8": "not-met", "MCO-SVG-8": "not-met", "INF-AUT-11": "organisational", "INF-SEC-2": "organisational"} {
		if m[id][0] != want {
			t.Errorf("%s: %s (%s), want %s", id, m[id][0], m[id][1], want)
		}
	}
	if !strings.Contains(m["INF-AUT-7"][1], "2 comptes doivent encore choisir") || !strings.Contains(m["INF-PDT-15"][1], "0999001W") {
		t.Fatalf("evidence: %q / %q", m["INF-AUT-7"][1], m["INF-PDT-15"][1])
	}
	if en := complianceCSV(t, data, "--lang", "en", "--uai", "0999001W"); !strings.Contains(en["INF-AUT-7"][1], "2 accounts must still choose") {
		t.Fatalf("English evidence: %q", en["INF-AUT-7"][1])
	}
	// The log and supervision services' live facts (CARINE: MCO-JAL-2,
	// MCO-SEI-1): the retention in force per class, then an establishment's
	// own setting; the checks and incidents counted.
	if !strings.Contains(m["MCO-JAL-2"][1], "connexion 365 j, système 183 j, sécurité 365 j (0999001W)") ||
		!strings.Contains(m["MCO-SEI-1"][1], "0 contrôle déclaré") || m["UTI-ESF-9"][0] != "not-met" {
		t.Fatalf("service facts: %q / %q / %v", m["MCO-JAL-2"][1], m["MCO-SEI-1"][1], m["UTI-ESF-9"])
	}
	if out, err := preau(t, data, "logs", "retention", "--establishment", "0999001W", "--class", "system", "--days", "300"); err != nil {
		t.Fatalf("logs retention: %v\n%s", err, out)
	}
	if m := complianceCSV(t, data); !strings.Contains(m["MCO-JAL-2"][1], "système 300 j") {
		t.Fatalf("retention setting not in the report: %q", m["MCO-JAL-2"][1])
	}

	// [auth] strong_for = [] in the config file turns strong authentication off.
	cfgPath := filepath.Join(data, "preau.toml")
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, append(cfg, []byte("\n[auth]\nstrong_for = []\n")...), 0o600)
	if m := complianceCSV(t, data); m["INF-AUT-2"][0] != "not-met" || !strings.Contains(m["INF-AUT-2"][1], "strong_for") {
		t.Fatalf("strong_for empty: %v", m["INF-AUT-2"])
	}

	// A pupil policy of 6 characters and one kind is below the floor.
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	db, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	ps := policy.Defaults()
	ps.Profiles[core.ProfilePupil] = policy.Policy{MinLength: 6, MinClasses: 1, RejectCommon: true}
	b, _ := json.Marshal(ps)
	if err := db.PutSetting(ctx, auth.SettingScope, auth.SettingPasswordPolicies, string(b)); err != nil {
		t.Fatal(err)
	}
	// A BYOD zone keeps personal devices apart.
	est, err := db.FindEstablishment(ctx, "0999001W")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutZone(ctx, &directory.Zone{Establishment: est.ID, Name: "byod",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}}); err != nil {
		t.Fatal(err)
	}
	// A journal row altered behind Préau's back breaks the chain.
	if err := db.ExecForTest(ctx, `UPDATE journal SET target_name = 'forged' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	m = complianceCSV(t, data)
	if m["INF-AUT-6"][0] != "partly" || !strings.Contains(m["INF-AUT-6"][1], "élèves 6 caractères, 1 types") {
		t.Errorf("weak pupil policy: %v", m["INF-AUT-6"])
	}
	if m["INF-PDT-15"][0] != "partly" || !strings.Contains(m["INF-PDT-15"][1], "byod") {
		t.Errorf("with a byod zone: %v", m["INF-PDT-15"])
	}
	if m["INF-ANN-4"][0] != "not-met" || !strings.Contains(m["INF-ANN-4"][1], "ne se vérifie pas") {
		t.Errorf("tampered journal: %v", m["INF-ANN-4"])
	}

	// Files are written whole, in each format.
	dir := t.TempDir()
	for _, f := range []string{"pdf", "html", "csv"} {
		path := filepath.Join(dir, "carine."+f)
		if out, err := preau(t, data, "compliance", "--format", f, "--out", path); err != nil {
			t.Fatalf("%s: %v %s", f, err, out)
		}
		got, _ := os.ReadFile(path)
		want := map[string]string{"pdf": "%PDF-", "html": "<!DOCTYPE html>", "csv": "id,service,"}[f]
		if !bytes.HasPrefix(got, []byte(want)) {
			t.Errorf("%s file starts with %q", f, got[:min(len(got), 20)])
		}
	}
	if _, err := preau(t, data, "compliance", "--format", "docx"); err == nil {
		t.Error("an unknown format was accepted")
	}
	if _, err := preau(t, data, "compliance", "--uai", "0999999X"); err == nil {
		t.Error("an unknown establishment was accepted")
	}
}

// TestCompliancePage_INF_AUT_2 drives the console page: the summary and
// chart, the filters, the downloads, refusal for a teacher, and axe-core
// (WCAG 2.1 AA) on the page in French and English.
// CARINE: INF-AUT-2, INF-ANN-4
func TestCompliancePage_INF_AUT_2(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	if r := n.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	if r, _ := n.get("/admin/compliance"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a teacher reached the compliance page: %d", r.StatusCode)
	}
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	r, page := n.get("/admin/compliance")
	if r.StatusCode != 200 {
		t.Fatalf("compliance page: %d\n%s", r.StatusCode, page)
	}
	for _, want := range []string{"<h1>Conformité CARINE</h1>", `<svg class="compliance-chart"`, `<code>INF-AUT-7</code>`,
		"183 exigences", `href="/admin/compliance.pdf?lang=fr"`, "Collège Jean Moulin (0999001W)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	_, page = n.get("/admin/compliance?service=INF-AUT&status=met&uai=0999001W")
	if !strings.Contains(page, "<code>INF-AUT-7</code>") || strings.Contains(page, "<code>INF-AUT-4</code>") || strings.Contains(page, "<code>INF-ANN-6</code>") {
		t.Error("the service and status filters do not filter")
	}
	if r, _ := n.get("/admin/compliance?uai=0999999X"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown establishment: %d", r.StatusCode)
	}
	for f, want := range map[string]string{"csv": "id,service,level_1d", "pdf": "%PDF-", "html": "<!DOCTYPE html>"} {
		r, body := n.get("/admin/compliance." + f + "?lang=en")
		if r.StatusCode != 200 || !strings.HasPrefix(body, want) || !strings.Contains(r.Header.Get("Content-Disposition"), "carine-") {
			t.Errorf("%s download: %d %q %q", f, r.StatusCode, body[:min(len(body), 30)], r.Header.Get("Content-Disposition"))
		}
	}
	if testing.Short() {
		return
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/compliance", "/admin/compliance?lang=en", "/admin/compliance?service=INF-AUT&status=met",
		"/admin/compliance?status=organisational&lang=en")
}
