// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
	"github.com/preau/preau/internal/web/sheet"
)

// SheetPath is where a teacher prints one password sheet for any pupils of
// their classes and groups, picked on the reset page (INF-AUT-9).
const SheetPath = "/passwords/sheet"

// maxSheet bounds one sheet: a few classes.
const maxSheet = 300

type sheetView struct {
	Title  string
	Cards  []sheet.Card
	Failed []string // "login: reason"
	PDF    template.URL
}

// sheet resets the passwords of the pupils ticked on the reset page and shows
// them once as printable cards, or as a PDF when format=pdf. Every pupil must
// be one the principal may reset (for a teacher: a member of a group they
// own); if any is not, nothing is reset and the refusals are journaled. Each
// reset sets must-change and is journaled. The passwords live only in this
// request: the page is no-store and its PDF link is a data: URL built here
// (INF-AUT-10).
func (h *Handler) sheet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	if p.Profile != core.ProfileTeacher && !p.IsAdmin() {
		return core.E("authweb.sheet", core.Permission, "auth.reset.forbidden")
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	logins := r.PostForm["pupil"]
	if len(logins) == 0 {
		f.Fail("pupils", "auth.sheet.none")
		v, err := h.resetView(r, f)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/reset", v)
		return nil
	}
	if len(logins) > maxSheet {
		return core.E("authweb.sheet", core.Invalid, "auth.sheet.too_many")
	}
	// The class printed on a card: the first taught group (classes first)
	// the pupil is in.
	classOf := map[string]string{}
	if p.Profile == core.ProfileTeacher {
		cs, err := h.auth.TaughtPupils(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			for _, pupil := range c.Pupils {
				if classOf[pupil.ID] == "" {
					classOf[pupil.ID] = c.Group.Code
				}
			}
		}
	}
	var people []*directory.Person
	seen := map[string]bool{}
	for _, l := range logins {
		person, err := h.auth.PersonByLogin(ctx, l)
		if core.IsKind(err, core.NotFound) {
			return core.E("authweb.sheet", core.NotFound, "auth.reset.unknown")
		}
		if err != nil {
			return err
		}
		if !seen[person.ID] {
			seen[person.ID] = true
			people = append(people, person)
		}
	}
	resets, err := h.auth.ResetMany(ctx, people)
	if err != nil {
		return err
	}
	v := sheetView{Title: web.T(ctx, "auth.sheet.title")}
	portal := "https://" + r.Host + "/"
	estNames := map[string]string{}
	for _, rs := range resets {
		if rs.Err != nil {
			v.Failed = append(v.Failed, rs.Person.Login+" : "+failText(r, rs.Err))
			continue
		}
		est := rs.Person.MainEstablishment()
		if _, ok := estNames[est]; !ok {
			estNames[est] = h.auth.EstablishmentName(ctx, est)
		}
		v.Cards = append(v.Cards, sheet.Card{Establishment: estNames[est], Name: rs.Person.DisplayName, Class: classOf[rs.Person.ID],
			Login: rs.Person.Login, Password: rs.Password, Portal: portal})
	}
	doc := sheet.Sheet{Cards: v.Cards, At: h.auth.Now(), Labels: sheet.LabelsFor(ctx, v.Title)}
	pdf, sent, err := doc.Respond(w, f.Value("format") == "pdf")
	if err != nil || sent {
		return err
	}
	v.PDF = pdf
	h.rd.Page(w, r, http.StatusOK, "auth/sheet", v)
	return nil
}

func failText(r *http.Request, err error) string {
	if k := core.KindOf(err); k == core.Internal || core.MessageOf(err) == "" {
		return web.T(r.Context(), "auth.sheet.internal")
	}
	return strings.TrimSpace(core.MessageOf(err))
}
