// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type passwordView struct {
	Form       *web.Form
	Forced     bool // first login or reset: the change is required
	Expired    bool // the password is older than the policy allows (INF-AUT-8)
	Rules      []ruleView
	ExpiryDays int // the password must be changed every so many days; 0 never
}

// ruleView is one rule of the person's policy on the password page. Code is
// the violation code that breaks it; State is "met" or "unmet" after a
// refused submission, "" when unknown. Live rules are checked as the person
// types (password.js); the history is checked only on submission.
type ruleView struct {
	Code  string
	Limit int
	State string
	Live  bool
}

// rulesOf lists the rules of a policy in the order the page shows them.
func rulesOf(p policy.Policy) []ruleView {
	rules := []ruleView{{Code: policy.CodeTooShort, Limit: p.MinLength, Live: true}}
	if p.MinClasses > 1 {
		rules = append(rules, ruleView{Code: policy.CodeTooFewClasses, Limit: p.MinClasses, Live: true})
	}
	if p.RejectCommon {
		rules = append(rules, ruleView{Code: policy.CodeCommon, Live: true})
	}
	if p.RejectPersonal {
		rules = append(rules, ruleView{Code: policy.CodePersonal, Live: true})
	}
	if p.History > 1 {
		rules = append(rules, ruleView{Code: policy.CodeReused, Limit: p.History})
	}
	return rules
}

// view builds the page for the principal of r, marking the rules that vs
// breaks (none when vs is nil).
func (h *Handler) view(r *http.Request, f *web.Form, vs policy.Violations) (passwordView, error) {
	ctx := r.Context()
	person, err := h.auth.CurrentPerson(ctx)
	if err != nil {
		return passwordView{}, err
	}
	pol := h.auth.PolicyFor(ctx, person)
	v := passwordView{Form: f, Forced: core.PrincipalFromContext(ctx).MustChangePassword,
		Rules: rulesOf(pol), ExpiryDays: int(pol.MaxAge / policy.Day)}
	v.Expired = v.Forced && !person.MustChangePassword
	if vs != nil {
		codes := vs.Codes()
		for i := range v.Rules {
			switch {
			case slices.Contains(codes, v.Rules[i].Code):
				v.Rules[i].State = "unmet"
			case v.Rules[i].Live || len(codes) == 0:
				v.Rules[i].State = "met"
			}
		}
	}
	return v, nil
}

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.view(r, web.NewForm(r.Context(), nil), nil)
	if err != nil {
		web.Error(w, r, err)
		return
	}
	h.rd.Page(w, r, http.StatusOK, "auth/password", v)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) error {
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
	var broken policy.Violations
	if f.Valid() {
		err := h.auth.ChangePassword(r.Context(), cur, next)
		switch {
		case err == nil:
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.password.changed"})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		case errors.As(err, &broken):
			f.Fail("new", "auth.password.rejected", describe(r, broken))
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
	v, err := h.view(r, f, broken)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/password", v)
	return nil
}

// describe translates the broken rules for the error message.
func describe(r *http.Request, vs policy.Violations) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		key := "auth.password.broken." + v.Code
		if v.Limit > 0 {
			parts = append(parts, web.T(r.Context(), key, v.Limit))
		} else {
			parts = append(parts, web.T(r.Context(), key))
		}
	}
	return strings.Join(parts, web.T(r.Context(), "auth.password.broken.sep"))
}

// maxCheckBody bounds the live check's JSON: 256 characters, escaped.
const maxCheckBody = 16 << 10

type checkRequest struct {
	Password string `json:"password"`
}

type checkResponse struct {
	Violations []string `json:"violations"` // codes, [] when every live rule is met
}

// checkPassword answers the live check of the password page (INF-AUT-6):
// the codes of the rules of the principal's policy that the password
// breaks, except the history. It takes JSON {"password": "…"}, and the
// CSRF token in the X-CSRF-Token header like every POST of a session.
func (h *Handler) checkPassword(w http.ResponseWriter, r *http.Request) error {
	var in checkRequest
	if err := web.DecodeJSON(r, &in, maxCheckBody); err != nil {
		return err
	}
	person, err := h.auth.CurrentPerson(r.Context())
	if err != nil {
		return err
	}
	vs := policy.Violations(h.auth.CheckPassword(r.Context(), person, in.Password))
	return web.JSON(w, http.StatusOK, checkResponse{Violations: vs.Codes()})
}
