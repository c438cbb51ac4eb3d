// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package report

import (
	_ "embed"
	"html/template"
	"io"

	"github.com/preau/preau/internal/compliance"
)

//go:embed report.html
var pageHTML string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"levels":   levels,
	"statuses": func() []compliance.Status { return compliance.Statuses },
}).Parse(pageHTML))

// htmlView is what report.html renders.
type htmlView struct {
	Lang      string
	Rep       *compliance.Report
	Chart     template.HTML
	Generated string
	Sections  []section
}

type section struct {
	Totals  compliance.Totals
	Results []compliance.Result
}

// L returns the label key in the page's language.
func (v htmlView) L(key string) string { return label(key, v.Lang) }

// StatusColor returns the colour of a status.
func (v htmlView) StatusColor(s compliance.Status) string { return statusColors[s] }

// HTML writes a standalone, printable page: header, per-service summary,
// the SVG chart and the table of requirements per service. It needs no
// other file (its style is inline) and no script.
func HTML(w io.Writer, rep *compliance.Report, lang string) error {
	v := htmlView{Lang: lang, Rep: rep, Chart: template.HTML(Chart(rep, lang)), Generated: stamp(rep, lang)}
	for _, s := range rep.Services {
		v.Sections = append(v.Sections, section{Totals: s, Results: rep.Filter(s.Service.Code, "")})
	}
	return page.Execute(w, v)
}

// stamp is the report's date in lang.
func stamp(rep *compliance.Report, lang string) string {
	t := rep.GeneratedAt.UTC()
	if lang == "en" {
		return t.Format("2 January 2006, 15:04 UTC")
	}
	return t.Format("02/01/2006 à 15:04 UTC")
}
