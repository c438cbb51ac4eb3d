// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"html/template"
	"net/http"

	"github.com/preau/preau/internal/web"
	"github.com/preau/preau/internal/web/sheet"
)

type sheetView struct {
	Scope   *scope
	Title   string
	Cards   []sheet.Card
	Failed  []outcome
	Skipped int
	PDF     template.URL // data: URL of the same cards as PDF, built here
	Back    string
}

// sheet resets the passwords of the selection (pupils get words they can
// read, adults strong ones; every reset sets must-change and is journaled)
// and shows them once as printable cards, with the same cards as PDF built
// in this request from the in-memory passwords. Nothing keeps them: the
// page is no-store and the PDF is a data: URL inside it (INF-AUT-10).
func (h *Handler) sheet(w http.ResponseWriter, r *http.Request, s *scope, sel *selection) error {
	ctx := r.Context()
	resets, err := h.Passwords.ResetMany(ctx, sel.People)
	if err != nil {
		return err
	}
	v := sheetView{Scope: s, Skipped: len(sel.Skipped), Back: backURL(r.PostFormValue("back"), s)}
	v.Title = web.T(ctx, "people.sheet.title_selection")
	if sel.Group != nil {
		v.Title = web.T(ctx, "people.sheet.title_group", sel.Group.Name)
	}
	for _, rs := range resets {
		if rs.Err != nil {
			v.Failed = append(v.Failed, outcome{Person: rs.Person, Error: errorText(r, rs.Err)})
			continue
		}
		class := sel.Classes[rs.Person.ID]
		if class == "" && sel.Group != nil {
			class = sel.Group.Code
		}
		v.Cards = append(v.Cards, sheet.Card{Establishment: s.Name(rs.Person.MainEstablishment()),
			Name: rs.Person.DisplayName, Class: class, Login: rs.Person.Login, Password: rs.Password, Portal: h.portal(r)})
	}
	doc := sheet.Sheet{Cards: v.Cards, At: h.now(), Labels: sheet.LabelsFor(ctx, v.Title)}
	pdf, sent, err := doc.Respond(w, r.PostFormValue("format") == "pdf")
	if err != nil || sent {
		return err
	}
	v.PDF = pdf
	h.Renderer.Page(w, r, http.StatusOK, "people/sheet", v)
	return nil
}
