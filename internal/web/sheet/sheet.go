// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package sheet renders password sheets: one card per account with the
// establishment, the name, the class, the login, the new password, where to
// log in and what to do first. The same cards print from the browser (the
// "sheetcards" partial and the shell's print CSS) and as PDF (this package,
// A4, ten cards a page, cut along the dashes).
//
// Passwords on a sheet exist only in the memory of the request that
// generated them: callers build the HTML page and the PDF in that request
// and never store nor cache either (CARINE INF-AUT-10).
package sheet

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/preau/preau/internal/web"
)

// Card is one account on a sheet.
type Card struct {
	Establishment string
	Name          string
	Class         string // class or group code; "" for adults
	Login         string
	Password      string
	Portal        string // where to log in
}

// Labels are the translated words printed on the PDF cards.
type Labels struct {
	Title        string // document title
	Class        string
	Login        string
	Password     string
	Portal       string
	Instructions string // e.g. "Change this password at your first login."
}

// LabelsFor returns the card labels in the language of ctx (the shell's
// web.sheet.* messages, which the "sheetcards" partial prints too).
func LabelsFor(ctx context.Context, title string) Labels {
	t := func(k string) string { return web.T(ctx, k) }
	return Labels{Title: title, Class: t("web.sheet.class"), Login: t("web.sheet.login"),
		Password: t("web.sheet.password"), Portal: t("web.sheet.portal"), Instructions: t("web.sheet.instructions")}
}

// Sheet is a set of cards to print.
type Sheet struct {
	Labels Labels
	Cards  []Card
	At     time.Time
	// Uncompressed leaves the PDF streams readable (tests).
	Uncompressed bool
}

// Card geometry on A4 portrait, in millimetres: two columns of five,
// 2·93 + 4 = 190 wide and 5·51 + 4·4 = 271 high inside 10 mm margins.
const (
	margin   = 10.0
	cardW    = 93.0
	cardH    = 51.0
	gap      = 4.0
	perRow   = 2
	perPage  = 10
	innerPad = 4.0
)

// WritePDF writes the sheet as a PDF document.
func (s Sheet) WritePDF(w io.Writer) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!s.Uncompressed)
	pdf.SetCreationDate(s.At)
	pdf.SetModificationDate(s.At)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: French accents in the core fonts
	pdf.SetTitle(s.Labels.Title, true)
	pdf.SetCreator("Préau", true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	for i, c := range s.Cards {
		if i%perPage == 0 {
			pdf.AddPage()
		}
		k := i % perPage
		x := margin + float64(k%perRow)*(cardW+gap)
		y := margin + float64(k/perRow)*(cardH+gap)
		s.card(pdf, tr, x, y, c)
	}
	if len(s.Cards) == 0 {
		pdf.AddPage()
	}
	return pdf.Output(w)
}

func (s Sheet) card(pdf *fpdf.Fpdf, tr func(string) string, x, y float64, c Card) {
	pdf.SetDrawColor(90, 90, 90)
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	pdf.Rect(x, y, cardW, cardH, "D")
	pdf.SetDashPattern(nil, 0)
	w := cardW - 2*innerPad
	pdf.SetXY(x+innerPad, y+innerPad)
	pdf.SetFont("Helvetica", "", 8)
	pdf.SetTextColor(70, 70, 70)
	pdf.CellFormat(w, 4, tr(clip(c.Establishment, 60)), "", 2, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(w, 6, tr(clip(c.Name, 40)), "", 2, "L", false, 0, "")
	line := func(label, value string, mono bool) {
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(26, 6, tr(label), "", 0, "L", false, 0, "")
		if mono {
			pdf.SetFont("Courier", "B", 12)
		}
		pdf.CellFormat(w-26, 6, tr(value), "", 1, "L", false, 0, "")
		pdf.SetX(x + innerPad)
	}
	if c.Class != "" {
		line(s.Labels.Class, c.Class, false)
	}
	line(s.Labels.Login, c.Login, true)
	line(s.Labels.Password, c.Password, true)
	line(s.Labels.Portal, clip(c.Portal, 50), false)
	pdf.SetFont("Helvetica", "I", 8)
	pdf.MultiCell(w, 3.6, tr(s.Labels.Instructions), "", "L", false)
}

// DataURL returns the sheet as a PDF data: URL, for a download link on the
// page that shows the same passwords once: the PDF is built in the same
// request from the same in-memory values and is kept nowhere else.
func (s Sheet) DataURL() (string, error) {
	var b bytes.Buffer
	if err := s.WritePDF(&b); err != nil {
		return "", err
	}
	return "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// Respond starts the answer to a request for the sheet, marked no-store
// (the passwords are shown once): with asPDF it writes the PDF itself as
// a download and reports sent; otherwise it returns the PDF's data: URL for
// the page that shows the same cards to embed as its download link.
func (s Sheet) Respond(w http.ResponseWriter, asPDF bool) (pdf template.URL, sent bool, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if asPDF {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="fiches-mots-de-passe.pdf"`)
		return "", true, s.WritePDF(w)
	}
	u, err := s.DataURL()
	return template.URL(u), false, err // built here from base64, not from input
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
