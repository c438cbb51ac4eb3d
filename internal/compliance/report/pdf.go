// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/preau/preau/internal/compliance"
)

// PDF writes the report as an A4 PDF: title, date, establishments, the
// summary per service, then the requirements with their evidence wrapped.
// Text goes through fpdf's UTF-8 to cp1252 translator, so French accents
// and typographic quotes print with the core fonts.
func PDF(w io.Writer, rep *compliance.Report, lang string) error { return writePDF(w, rep, lang, true) }

// column widths in mm (A4 portrait, 10 mm margins: 190 mm).
var pdfCols = []float64{22, 11, 12, 32, 24, 89}

func writePDF(w io.Writer, rep *compliance.Report, lang string, compress bool) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252
	pdf.SetTitle(label("title", lang)+" — "+rep.Scope(lang), true)
	pdf.SetCreator("Préau "+rep.Version, true)
	pdf.SetLang(lang)
	pdf.SetCreationDate(rep.GeneratedAt)
	pdf.SetModificationDate(rep.GeneratedAt)
	pdf.SetMargins(10, 12, 10)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-11)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(80, 80, 80)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s — %s — %s %d / {nb}", label("title", lang), rep.Scope(lang),
			label("page", lang), pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetTextColor(26, 26, 26)
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 9, tr(label("title", lang)), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.MultiCell(0, 4.5, tr(label("subtitle", lang)), "", "L", false)
	pdf.Ln(2)
	for _, kv := range [][2]string{{"scope", rep.Scope(lang)}, {"generated", stamp(rep, lang)}, {"version", rep.Version}} {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(38, 5.5, tr(label(kv[0], lang)), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5.5, tr(kv[1]), "", "L", false)
	}
	pdf.Ln(3)
	pdfSummary(pdf, tr, rep, lang)
	pdfChart(pdf, tr, rep, lang)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(0, 8, tr(label("details", lang)), "", 1, "L", false, 0, "")
	for _, s := range rep.Services {
		pdfSection(pdf, tr, rep, s, lang)
	}
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

func pdfSummary(pdf *fpdf.Fpdf, tr func(string) string, rep *compliance.Report, lang string) {
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(0, 8, tr(label("summary", lang)), "", 1, "L", false, 0, "")
	widths := []float64{73, 18, 15, 24, 28, 16, 16}
	head := []string{label("service", lang)}
	for _, st := range compliance.Statuses {
		head = append(head, st.Label(lang))
	}
	head = append(head, label("total", lang), label("score", lang))
	pdf.SetFont("Helvetica", "B", 8.5)
	pdf.SetFillColor(238, 240, 243)
	for i, h := range head {
		align := "R"
		if i == 0 {
			align = "L"
		}
		pdf.CellFormat(widths[i], 6, tr(h), "1", 0, align, true, 0, "")
	}
	pdf.Ln(-1)
	row := func(name string, t compliance.Totals, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 8.5)
		score := "—"
		if t.Score() >= 0 {
			score = strconv.Itoa(t.Score()) + " %"
		}
		cells := []string{name, strconv.Itoa(t.Met), strconv.Itoa(t.Partly), strconv.Itoa(t.NotMet),
			strconv.Itoa(t.Organisational), strconv.Itoa(t.Total()), score}
		for i, c := range cells {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(widths[i], 5.5, tr(c), "1", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	for _, s := range rep.Services {
		row(s.Service.Code+" "+s.Service.Name.In(lang), s, false)
	}
	row(label("all", lang), rep.Overall, true)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "", 8)
	pdf.MultiCell(0, 4, tr(label("score_note", lang)), "", "L", false)
	pdf.MultiCell(0, 4, tr(label("legend", lang)), "", "L", false)
}

// pdfChart draws the stacked bars of statuses per service, as Chart does
// in SVG.
func pdfChart(pdf *fpdf.Fpdf, tr func(string) string, rep *compliance.Report, lang string) {
	const labelW, barW, rowH, barH = 22.0, 150.0, 5.6, 4.2
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 7, tr(label("chart", lang)), "", 1, "L", false, 0, "")
	largest := 1
	for _, s := range rep.Services {
		largest = max(largest, s.Total())
	}
	x0, y := pdf.GetX(), pdf.GetY()
	pdf.SetFont("Helvetica", "", 7.5)
	lx := x0 + labelW
	for _, st := range compliance.Statuses {
		c := pdfColors[st]
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.Rect(lx, y+0.6, 3, 3, "F")
		pdf.SetXY(lx+3.5, y)
		w := pdf.GetStringWidth(tr(st.Label(lang))) + 2
		pdf.CellFormat(w, 4.2, tr(st.Label(lang)), "", 0, "L", false, 0, "")
		lx += w + 8
	}
	y += rowH + 1
	for _, s := range rep.Services {
		pdf.SetTextColor(26, 26, 26)
		pdf.SetXY(x0, y)
		pdf.CellFormat(labelW, barH, s.Service.Code, "", 0, "L", false, 0, "")
		x := x0 + labelW
		for _, st := range compliance.Statuses {
			n := s.Count(st)
			if n == 0 {
				continue
			}
			w := barW * float64(n) / float64(largest)
			c := pdfColors[st]
			pdf.SetFillColor(c[0], c[1], c[2])
			pdf.Rect(x, y, w, barH, "F")
			if w >= 5 {
				pdf.SetTextColor(255, 255, 255)
				pdf.SetXY(x, y)
				pdf.CellFormat(w, barH, strconv.Itoa(n), "", 0, "C", false, 0, "")
			}
			x += w
		}
		pdf.SetTextColor(26, 26, 26)
		pdf.SetXY(x+1.5, y)
		pdf.CellFormat(10, barH, strconv.Itoa(s.Total()), "", 0, "L", false, 0, "")
		y += rowH
	}
	pdf.SetXY(x0, y+2)
}

// pdfColors are statusColors as RGB.
var pdfColors = map[compliance.Status][3]int{
	compliance.Met: {27, 110, 46}, compliance.Partly: {138, 75, 0}, compliance.NotMet: {176, 35, 42}, compliance.Organisational: {74, 85, 99},
}

func pdfHeader(pdf *fpdf.Fpdf, tr func(string) string, lang string) {
	pdf.SetFont("Helvetica", "B", 8)
	pdf.SetFillColor(238, 240, 243)
	for i, h := range []string{"id", "levels_short", "tag", "topic", "status", "evidence"} {
		pdf.CellFormat(pdfCols[i], 5.5, tr(label(h, lang)), "1", 0, "L", true, 0, "")
	}
	pdf.Ln(-1)
}

func pdfSection(pdf *fpdf.Fpdf, tr func(string) string, rep *compliance.Report, s compliance.Totals, lang string) {
	_, pageH := pdf.GetPageSize()
	if pdf.GetY() > pageH-45 {
		pdf.AddPage()
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 7, tr(s.Service.Code+" — "+s.Service.Name.In(lang)), "", 1, "L", false, 0, "")
	pdfHeader(pdf, tr, lang)
	const lh = 3.8
	for _, r := range rep.Filter(s.Service.Code, "") {
		cells := []string{r.ID, levels(r), r.Tag, r.Topic, r.Status.Label(lang), r.Evidence.In(lang)}
		pdf.SetFont("Helvetica", "", 7.5)
		n := 1
		lines := make([][][]byte, len(cells))
		for i, c := range cells {
			lines[i] = pdf.SplitLines([]byte(tr(c)), pdfCols[i]-1)
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lh + 1.5
		if pdf.GetY()+h > pageH-15 {
			pdf.AddPage()
			pdfHeader(pdf, tr, lang)
		}
		x, y := pdf.GetX(), pdf.GetY()
		for i := range cells {
			pdf.Rect(x, y, pdfCols[i], h, "D")
			pdf.SetXY(x+0.5, y+0.75)
			if i == 4 {
				c := pdfColors[r.Status]
				pdf.SetTextColor(c[0], c[1], c[2])
				pdf.SetFont("Helvetica", "B", 7.5)
			}
			for _, l := range lines[i] {
				pdf.CellFormat(pdfCols[i]-1, lh, string(l), "", 2, "L", false, 0, "")
			}
			pdf.SetTextColor(26, 26, 26)
			pdf.SetFont("Helvetica", "", 7.5)
			x += pdfCols[i]
		}
		pdf.SetXY(10, y+h)
	}
}

// pageCount counts the pages of an uncompressed PDF (for tests).
func pageCount(b []byte) int { return strings.Count(string(b), "/Type /Page\n") }
