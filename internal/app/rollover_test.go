// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/web/webtest"
)

// TestSchoolYearRollover_INF_ANN_3: the demo collège's SIECLE and STS-Web
// files of this year are imported, then its files of next year: the
// console's preview and `preau import --rollover --dry-run` show the
// counts per level and class and change nothing; a file of the year after
// next is refused naming the file and the year; the rollover applies in
// one journaled transaction (directory.import.rollover); re-running it
// changes nothing. CARINE: INF-ANN-3, INF-ANN-4.
func TestSchoolYearRollover_INF_ANN_3(t *testing.T) {
	n := startNode(t)
	now := time.Now()
	d := demo.Generate(1, now)
	clg := &d.Establishments[0]
	files, err := d.ExportFiles(clg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var current []string
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), "ENT_") {
			current = append(current, f)
		}
	}
	next, ch, err := d.ExportRollover(clg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	from, to := dirsync.YearName(d.SchoolYear), dirsync.YearName(ch.Year)
	n.cli(append([]string{"import", "--mode", "full", "--credentials", filepath.Join(t.TempDir(), "a.csv")}, current...)...)

	// The console's preview.
	n.cli("user", "add", "tech", "--uai", clg.UAI, "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	var uploads []importFile
	for _, f := range next {
		b, _ := os.ReadFile(f)
		uploads = append(uploads, importFile{filepath.Base(f), b})
	}
	resp, preview := n.postImport(map[string]string{"mode": "partial", "rollover": "on"}, uploads...)
	for _, want := range []string{"Changement d’année scolaire " + from + " → " + to, "Élèves par niveau",
		"<th scope=\"row\">6e</th>", "Classes de " + from + " (archivées)", "Appliquer le changement d’année",
		"Détail par élève", "Services des enseignants"} {
		if resp.StatusCode != 200 || !strings.Contains(preview, want) {
			t.Fatalf("preview: %d, no %q\n%s", resp.StatusCode, want, preview)
		}
	}
	if !dirsync.InRolloverWindow(now) && !strings.Contains(preview, "entre juin et septembre") {
		t.Fatal("a rollover outside June–September: no warning in the preview")
	}
	if !testing.Short() {
		axePage(t, n, "/admin/import/rollover-preview", preview)
	}

	// The dry run.
	out := n.cli(append([]string{"import", "--rollover", "--dry-run"}, next...)...)
	for _, want := range []string{"School-year rollover " + from + " → " + to, "6e", "3e",
		strconv.Itoa(len(ch.Left)+1) + " to disable", strconv.Itoa(ch.MovedUp) + " class moves", "Dry run: nothing was changed."} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run: no %q\n%s", want, out)
		}
	}
	if !strings.Contains(out, strconv.Itoa(ch.Arrived+1)+" to create") {
		t.Fatalf("dry run: want %d to create\n%s", ch.Arrived+1, out)
	}

	// A file of the year after next: refused, naming the file and the year.
	sts := ""
	for _, f := range next {
		if strings.HasPrefix(filepath.Base(f), "sts_emp_") {
			sts = f
		}
	}
	raw, _ := os.ReadFile(sts)
	y2 := strconv.Itoa(ch.Year + 1)
	far := filepath.Join(t.TempDir(), "sts_emp_"+clg.UAI+"_"+y2+".xml")
	os.WriteFile(far, bytes.ReplaceAll(raw, []byte(`ANNEE="`+strconv.Itoa(ch.Year)+`"`), []byte(`ANNEE="`+y2+`"`)), 0o600)
	for _, args := range [][]string{{"import", "--rollover", far}, {"import", far}} {
		var errb bytes.Buffer
		err := app.Run(context.Background(), append(args, "--data", n.data),
			app.Env{Getenv: func(string) string { return "" }, Stdout: &errb, Stderr: &errb})
		if err == nil || !strings.Contains(err.Error(), filepath.Base(far)) || !strings.Contains(err.Error(), dirsync.YearName(ch.Year+1)) {
			t.Fatalf("preau %s: %v", strings.Join(args, " "), err)
		}
	}

	// Apply, then re-run.
	out = n.cli(append([]string{"import", "--rollover", "--credentials", filepath.Join(t.TempDir(), "new.csv")}, next...)...)
	if !strings.Contains(out, "Rollover into "+to+" applied to "+clg.UAI) {
		t.Fatalf("apply:\n%s", out)
	}
	if out := n.cli(append([]string{"import", "--rollover"}, next...)...); !strings.Contains(out, "Nothing to change.") {
		t.Fatalf("re-run:\n%s", out)
	}
	journal := n.cli("journal", "export")
	if strings.Count(journal, `"action":"directory.import.rollover"`) != 1 || !strings.Contains(journal, "from:"+strconv.Itoa(d.SchoolYear)) {
		t.Fatal("the rollover is not journaled once as directory.import.rollover")
	}
}

// axePage runs axe-core on html, a page the node answered to a POST (the
// browser of the harness only GETs): a front server answers path with it
// and passes everything else (styles, scripts) to the node.
func axePage(t *testing.T, n *node, path, html string) {
	t.Helper()
	target, _ := url.Parse(n.base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = n.client.Transport
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, html)
			return
		}
		r.Host = target.Host
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	webtest.Axe(t, front.URL, path)
}
