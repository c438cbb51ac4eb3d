// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package report renders a compliance.Report for a call for tenders or an
// inspection: CSV (one row per requirement, RFC 4180), a standalone
// printable HTML page with an SVG chart drawn here, and PDF. Every format
// is in French by default, English on request; the statuses in CSV stay
// the machine values met, partly, not-met and organisational.
package report

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/preau/preau/internal/compliance"
)

// Formats are the formats Write knows.
var Formats = []string{"csv", "html", "pdf"}

// ContentType returns the media type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "pdf":
		return "application/pdf"
	}
	return "text/html; charset=utf-8"
}

// Write renders rep in format (csv, html or pdf) and lang (fr or en).
func Write(w io.Writer, rep *compliance.Report, format, lang string) error {
	switch format {
	case "csv":
		return CSV(w, rep, lang)
	case "html":
		return HTML(w, rep, lang)
	case "pdf":
		return PDF(w, rep, lang)
	}
	return fmt.Errorf("unknown format %q (csv, html or pdf)", format)
}

// CSVHeader is the header row of the CSV report.
var CSVHeader = []string{"id", "service", "level_1d", "level_2d", "tag", "status", "evidence"}

// CSV writes one row per requirement, evidence in lang.
func CSV(w io.Writer, rep *compliance.Report, lang string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rep.Results {
		if err := cw.Write([]string{r.ID, r.Service, r.Level1, r.Level2, r.Tag, string(r.Status), r.Evidence.In(lang)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// labels are the words of the reports.
var labels = map[string]compliance.Text{
	"title":        compliance.T("Conformité CARINE", "CARINE compliance"),
	"subtitle":     compliance.T("Cadre de référence des services d’infrastructures numériques d’établissements scolaires et d’écoles (2016)", "French reference framework for school digital infrastructure services (2016)"),
	"generated":    compliance.T("Établi le", "Generated on"),
	"scope":        compliance.T("Établissements", "Establishments"),
	"version":      compliance.T("Version de Préau", "Préau version"),
	"summary":      compliance.T("Synthèse par service", "Summary per service"),
	"chart":        compliance.T("Statut des exigences par service", "Status of the requirements per service"),
	"chart_desc":   compliance.T("Barres empilées : pour chaque service, le nombre d’exigences conformes, partielles, non conformes et organisationnelles. Le tableau de synthèse donne les mêmes nombres.", "Stacked bars: for each service, the number of requirements met, partly met, not met and organisational. The summary table gives the same numbers."),
	"service":      compliance.T("Service", "Service"),
	"total":        compliance.T("Total", "Total"),
	"score":        compliance.T("Taux", "Score"),
	"score_note":   compliance.T("Taux : part des exigences évaluables (hors organisationnelles) qui sont conformes, une exigence partielle comptant pour moitié.", "Score: share of the assessable requirements (organisational ones aside) that are met, a partly met one counting half."),
	"all":          compliance.T("Ensemble", "All services"),
	"details":      compliance.T("Exigences", "Requirements"),
	"id":           compliance.T("Exigence", "Requirement"),
	"levels":       compliance.T("Niveau 1er/2d degré", "Level 1st/2nd degree"),
	"levels_short": compliance.T("Niv.", "Lvl"),
	"tag":          compliance.T("Nature", "Kind"),
	"topic":        compliance.T("Objet", "Topic"),
	"status":       compliance.T("Statut", "Status"),
	"evidence":     compliance.T("Constat", "Evidence"),
	"legend":       compliance.T("Niveaux : E exigé, R recommandé, F facultatif, R* recommandé avec dérogation pour le 1er degré, — énoncé du texte. Nature : P fonction du produit, S soutien à une exigence organisationnelle, X hors logiciel.", "Levels: E required, R recommended, F optional, R* recommended with a primary-school relaxation, — statement of the narrative. Kind: P product feature, S support for an organisational requirement, X outside software."),
	"page":         compliance.T("Page", "Page"),
	"none":         compliance.T("—", "—"),
}

func label(key, lang string) string { return labels[key].In(lang) }

// levels formats the levels of a requirement: "E/E", or "—" for a
// narrative statement.
func levels(r compliance.Result) string {
	if r.Narrative {
		return "—"
	}
	return r.Level1 + "/" + r.Level2
}

// statusColors are the fill colours of the statuses (contrast at least
// 4.5:1 against white text).
var statusColors = map[compliance.Status]string{
	compliance.Met: "#1b6e2e", compliance.Partly: "#8a4b00", compliance.NotMet: "#b0232a", compliance.Organisational: "#4a5563",
}

// Chart returns the SVG bar chart of statuses per service: one stacked
// bar per service, scaled to the largest service. It is accessible (role
// img, title and description) and self-contained (no style sheet).
func Chart(rep *compliance.Report, lang string) string {
	const (
		labelW, barW, rowH, barH, top = 86.0, 560.0, 26.0, 18.0, 34.0
	)
	max := 1
	for _, s := range rep.Services {
		if s.Total() > max {
			max = s.Total()
		}
	}
	height := top + rowH*float64(len(rep.Services)) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="compliance-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="100%%" role="img" aria-labelledby="cc-title cc-desc" font-family="system-ui, sans-serif" font-size="12">`,
		labelW+barW+40, height)
	fmt.Fprintf(&b, `<title id="cc-title">%s</title><desc id="cc-desc">%s</desc>`, esc(label("chart", lang)), esc(label("chart_desc", lang)))
	// Legend.
	x := labelW
	for _, st := range compliance.Statuses {
		fmt.Fprintf(&b, `<rect x="%g" y="6" width="12" height="12" fill="%s"/><text x="%g" y="16" fill="#1a1a1a">%s</text>`,
			x, statusColors[st], x+16, esc(st.Label(lang)))
		x += 16 + 7*float64(len([]rune(st.Label(lang)))) + 18
	}
	for i, s := range rep.Services {
		y := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="0" y="%g" fill="#1a1a1a">%s</text>`, y+barH-5, esc(s.Service.Code))
		x := labelW
		for _, st := range compliance.Statuses {
			n := s.Count(st)
			if n == 0 {
				continue
			}
			w := barW * float64(n) / float64(max)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%g" width="%.1f" height="%g" fill="%s"><title>%s — %s : %d</title></rect>`,
				x, y, w, barH, statusColors[st], esc(s.Service.Name.In(lang)), esc(st.Label(lang)), n)
			if w >= 16 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%g" fill="#ffffff" text-anchor="middle" aria-hidden="true">%d</text>`, x+w/2, y+barH-5, n)
			}
			x += w
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" fill="#1a1a1a" aria-hidden="true">%d</text>`, x+6, y+barH-5, s.Total())
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }
