// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/preau/preau/internal/web"
)

// drawChart renders one chart through the template function, in lang, and
// returns the <figure> it produced.
func drawChart(t *testing.T, c web.Chart, lang string) string {
	t.Helper()
	rd, err := newRendererFS(fstest.MapFS{"templates/c.html": page(`<div id="c">{{chart .Data}}</div><span id="end"></span>`)})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/?lang="+lang, nil)
	rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, 200, "c", c)
	})).ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	m := regexp.MustCompile(`(?s)<div id="c">(.*)</div><span id="end">`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no chart in:\n%s", body)
	}
	return string(m[1])
}

// wellFormed fails unless s parses as XML (the SVG and its table are
// written by hand, so a stray "<" in a label would break them).
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Entity = xml.HTMLEntity
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
	}
}

func TestChartBarsAreAccessibleSVG(t *testing.T) {
	t.Parallel()
	c := web.Bars("Personnes par profil", "Comptes de l’établissement.",
		[]string{"Élèves", "Enseignants <profs> & co"}, []int{1234, 56})
	out := drawChart(t, c, "fr")
	wellFormed(t, out)
	for _, want := range []string{
		`role="img"`, `<title id="chart-`, `<desc id="chart-`, `aria-describedby="chart-`,
		"Élèves: 1\u202f234", // the figures in words, French digit grouping
		"Enseignants &lt;profs&gt; &amp; co",
		`<th scope="row">Élèves</th><td class="num">1` + "\u202f" + `234</td>`, // the data table
		`<caption>Personnes par profil</caption>`, "Voir les chiffres",
		`class="chart-s0"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "style=") {
		t.Error("the chart must need neither script nor inline style (CSP)")
	}
	// The longer bar is the larger value.
	widths := regexp.MustCompile(`<rect class="chart-s0" x="[0-9.]+" y="[0-9]+" width="([0-9.]+)"`).FindAllStringSubmatch(out, -1)
	if len(widths) != 2 {
		t.Fatalf("bars %v", widths)
	}
	if a, _ := strconv.ParseFloat(widths[0][1], 64); a < 250 {
		t.Errorf("the largest bar is %v wide, want the whole scale", a)
	}
	if b, _ := strconv.ParseFloat(widths[1][1], 64); b > 20 {
		t.Errorf("56 of 1234 is %v wide", b)
	}
	en := drawChart(t, c, "en")
	if !strings.Contains(en, "Élèves: 1,234") || !strings.Contains(en, "Show the figures") {
		t.Errorf("English chart:\n%s", en)
	}
}

func TestChartStackedPercent(t *testing.T) {
	t.Parallel()
	c := web.Chart{Title: "Changements de mot de passe", Series: []string{"À faire", "Faits"}, Percent: true,
		Rows: []web.ChartRow{{Label: "Élèves", Values: []int{25, 75}}, {Label: "Enseignants", Values: []int{0, 10}}}}
	out := drawChart(t, c, "fr")
	wellFormed(t, out)
	for _, want := range []string{"Élèves: À faire 25 (25\u00a0%), Faits 75 (75\u00a0%)",
		"Enseignants: À faire 0 (0\u00a0%), Faits 10 (100\u00a0%)", `class="chart-s1"`, ">Total</th>",
		`<td class="num">25 (25` + "\u00a0" + `%)</td>`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q:\n%s", want, out)
		}
	}
	// Percent rows fill the same width whatever their totals (row 0 is the legend).
	rowWidth := func(row int) float64 {
		re := regexp.MustCompile(`<rect class="chart-s\d" x="[0-9.]+" y="(\d+)" width="([0-9.]+)"`)
		sum := 0.0
		ys := map[string]int{}
		for _, m := range re.FindAllStringSubmatch(out, -1) {
			if _, ok := ys[m[1]]; !ok {
				ys[m[1]] = len(ys)
			}
			if ys[m[1]] == row {
				f, _ := strconv.ParseFloat(m[2], 64)
				sum += f
			}
		}
		return sum
	}
	if a, b := rowWidth(1), rowWidth(2); a < b-3 || a > b+3 {
		t.Errorf("percent rows have widths %v and %v", a, b)
	}
}

func TestChartEmptyState(t *testing.T) {
	t.Parallel()
	for _, c := range []web.Chart{
		{Title: "Rien"},
		web.Bars("Rien", "", []string{"a", "b"}, []int{0, 0}),
	} {
		out := drawChart(t, c, "fr")
		wellFormed(t, out)
		if strings.Contains(out, "<svg") || !strings.Contains(out, "Pas encore de données.") {
			t.Errorf("empty chart:\n%s", out)
		}
	}
	out := drawChart(t, web.Chart{Title: "Rien", Empty: "Aucune charte publiée."}, "fr")
	if !strings.Contains(out, "Aucune charte publiée.") {
		t.Errorf("custom empty message:\n%s", out)
	}
}
