// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package report_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/compliance/report"
	"github.com/preau/preau/internal/directory"
)

func sample() *compliance.Report {
	est := &directory.Establishment{ID: "e1", UAI: "0999001W", Name: "Collège Jean Moulin", Type: directory.College}
	return compliance.Assess(&compliance.Facts{Now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Version: "1.0-test",
		Establishments: []*directory.Establishment{est}, Policies: policy.Defaults(),
		Accounts: map[string]compliance.AccountCounts{"e1": {People: 12, MustChange: 3, Heads: 1, Admins: 1}},
		Zones:    map[string][]string{}, Imports: map[string][]compliance.ImportRun{},
		Journal: &compliance.JournalCheck{Chains: 1, Entries: 10}, Config: compliance.Config{StrongFor: []string{"admin"}}})
}

func TestCSV(t *testing.T) {
	rep := sample()
	for _, lang := range []string{"fr", "en"} {
		var b bytes.Buffer
		if err := report.CSV(&b, rep, lang); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], []string{"id", "service", "level_1d", "level_2d", "tag", "status", "evidence"}) || len(rows) != 184 {
			t.Fatalf("%s: header %v, %d rows", lang, rows[0], len(rows))
		}
		for _, r := range rows[1:] {
			if !slices.Contains(compliance.Statuses, compliance.Status(r[5])) || r[6] == "" {
				t.Fatalf("row %v", r)
			}
		}
		got := rows[slices.IndexFunc(rows, func(r []string) bool { return r[0] == "INF-AUT-7" })]
		want := map[string]string{"fr": "3 comptes doivent encore choisir", "en": "3 accounts must still choose"}[lang]
		if got[1] != "INF-AUT" || got[2] != "E" || got[4] != "P" || got[5] != "met" || !strings.Contains(got[6], want) {
			t.Fatalf("%s: INF-AUT-7 row %q", lang, got)
		}
	}
}

func TestHTML(t *testing.T) {
	var b bytes.Buffer
	if err := report.HTML(&b, sample(), "fr"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<html lang="fr">`, "<h1>Conformité CARINE</h1>", `role="img"`, `<title id="cc-title">`,
		`<th scope="row"><code>INF-AUT-7</code></th>`, "Collège Jean Moulin (0999001W)", "<caption>INF-AUT — Authentification (16)</caption>",
		"30/11/2026 à 09:00 UTC", ">conforme</span>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "ZgotmplZ") {
		t.Error("the HTML report has a script or an unsafe value")
	}
	b.Reset()
	report.HTML(&b, sample(), "en")
	if !strings.Contains(b.String(), `<html lang="en">`) || !strings.Contains(b.String(), "Summary per service") {
		t.Error("English HTML report")
	}
}

func TestChartScalesToServices(t *testing.T) {
	svg := report.Chart(sample(), "en")
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<text x=\"0\"") != 15 || !strings.Contains(svg, "Authentication — met : ") {
		t.Fatalf("chart:\n%s", svg)
	}
}

func TestPDF(t *testing.T) {
	var b bytes.Buffer
	if err := report.PDFUncompressed(&b, sample(), "fr"); err != nil {
		t.Fatal(err)
	}
	pdf := b.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:20])
	}
	n := report.PageCount(pdf)
	if n < 5 || n > 40 {
		t.Fatalf("%d pages", n)
	}
	// The footer of the last page carries the page count, the table the
	// requirement IDs, and accents survive as cp1252 (é is 0xE9).
	for _, want := range []string{fmt.Sprintf("Page %d / %d", n, n), "(INF-AUT-7)", "(UTI-REC-6)", "Conformit\xe9 CARINE"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	b.Reset()
	if err := report.PDF(&b, sample(), "en"); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || b.Len() > len(pdf) {
		t.Fatalf("compressed English PDF: %v, %d bytes", err, b.Len())
	}
}
