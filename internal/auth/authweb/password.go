// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"net/http"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type passwordView struct {
	Form      *web.Form
	Forced    bool // first login or reset: the change is required
	MinLength int
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	p := core.PrincipalFromContext(r.Context())
	h.rd.Page(w, r, http.StatusOK, "auth/password", passwordView{Form: web.NewForm(r.Context(), nil),
		Forced: p.MustChangePassword, MinLength: auth.MinPasswordLength})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	cur, next, again := f.Values.Get("current"), f.Values.Get("new"), f.Values.Get("confirm")
	if cur == "" {
		f.Fail("current", "web.form.required", web.T(r.Context(), "auth.password.current"))
	}
	if next == "" {
		f.Fail("new", "web.form.required", web.T(r.Context(), "auth.password.new"))
	} else if next != again {
		f.Fail("confirm", "auth.password.mismatch")
	}
	if f.Valid() {
		err := h.auth.ChangePassword(r.Context(), cur, next)
		switch {
		case err == nil:
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.password.changed"})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		case core.KindOf(err) == core.Invalid:
			field, key := "new", "auth.password.rejected"
			switch core.MessageOf(err) {
			case "the current password is wrong":
				field, key = "current", "auth.password.wrong_current"
			case "the new password must differ from the current one":
				key = "auth.password.same"
			}
			f.Fail(field, key, core.MessageOf(err))
		case core.KindOf(err) == core.TooMany:
			f.Fail("current", "auth.login.throttled")
		default:
			return err
		}
	}
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/password", passwordView{Form: f,
		Forced: p.MustChangePassword, MinLength: auth.MinPasswordLength})
	return nil
}
