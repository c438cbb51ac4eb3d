// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"net/http"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// ResetPath is the page where teachers reset their pupils' passwords and
// admins anyone's in their establishments (INF-AUT-9).
const ResetPath = "/passwords/reset"

type resetView struct {
	Classes []auth.ClassPupils
	Admin   bool // may reset anyone of their establishments by login
	Form    *web.Form
}

type slipView struct {
	Person   *directory.Person
	Password string
	At       time.Time
	Portal   string
}

func (h *Handler) resetRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+ResetPath, RequireLogin(web.HandlerFunc(h.resetPage)))
	mux.Handle("POST "+ResetPath, RequireLogin(web.HandlerFunc(h.reset)))
	mux.Handle("POST "+SheetPath, RequireLogin(web.HandlerFunc(h.sheet)))
}

func (h *Handler) resetView(r *http.Request, f *web.Form) (resetView, error) {
	p := core.PrincipalFromContext(r.Context())
	v := resetView{Admin: p.IsAdmin(), Form: f}
	if p.Profile == core.ProfileTeacher {
		cs, err := h.auth.TaughtPupils(r.Context())
		if err != nil {
			return v, err
		}
		v.Classes = cs
	}
	if !v.Admin && p.Profile != core.ProfileTeacher {
		return v, core.E("authweb.reset", core.Permission, "auth.reset.forbidden")
	}
	return v, nil
}

func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.resetView(r, web.NewForm(r.Context(), nil))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "auth/reset", v)
	return nil
}

// reset gives a person a new temporary password and shows the printable
// slip once; the password is never stored in clear (INF-AUT-10).
func (h *Handler) reset(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	login := f.Required("login", "auth.reset.login")
	if f.Valid() {
		person, err := h.auth.PersonByLogin(r.Context(), login)
		if core.IsKind(err, core.NotFound) {
			f.Fail("login", "auth.reset.unknown")
		} else if err != nil {
			return err
		} else {
			pw, err := h.auth.ResetGenerated(r.Context(), person)
			switch core.KindOf(err) {
			case core.Permission:
				f.Fail("login", "auth.reset.not_yours")
			default:
				if err != nil {
					return err
				}
				w.Header().Set("Cache-Control", "no-store")
				h.rd.Page(w, r, http.StatusOK, "auth/slip", slipView{Person: person, Password: pw,
					At: time.Now(), Portal: "https://" + r.Host + "/"})
				return nil
			}
		}
	}
	v, err := h.resetView(r, f)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/reset", v)
	return nil
}
