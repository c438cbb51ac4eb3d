// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// PasswordSettings is what the password-policy page asks of the
// authentication service, which checks who may change what and journals it.
type PasswordSettings interface {
	Policies(ctx context.Context) policy.Policies
	SetPasswordPolicy(ctx context.Context, est string, profile core.Profile, pol *policy.Policy) error
	ForgottenPasswordText(ctx context.Context) string
	SetForgottenPasswordText(ctx context.Context, text string) error
	MayEditDeploymentSettings(ctx context.Context) (bool, error)
}

// Where a profile's policy in an establishment comes from.
const (
	originEstablishment = "establishment"
	originDeployment    = "deployment"
	originDefault       = "default"
)

type policyRow struct {
	Profile    core.Profile
	Policy     policy.Policy
	MaxAgeDays int
	Origin     string
}

type passwordsView struct {
	Est         establishmentChoice
	Rows        []policyRow
	Profiles    []core.Profile
	Form        *web.Form // the policy form
	TextForm    *web.Form // the forgotten-password form
	Deployment  bool      // the principal may edit deployment-wide settings
	DefaultText string
}

func (h *Handler) passwordRoutes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	if h.deps.Passwords == nil {
		return
	}
	mux.Handle("GET /admin/passwords", requireAdmin(web.HandlerFunc(h.passwordsPage)))
	mux.Handle("POST /admin/passwords", requireAdmin(web.HandlerFunc(h.putPolicy)))
	mux.Handle("POST /admin/passwords/text", requireAdmin(web.HandlerFunc(h.putForgottenText)))
}

// passwordsView builds the page for the chosen establishment: each
// profile's policy in force there and where it comes from. The policy form
// is filled from the profile asked for (?profile=), when f is nil.
func (h *Handler) passwordsView(r *http.Request, f, tf *web.Form) (passwordsView, error) {
	ctx := r.Context()
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return passwordsView{}, err
	}
	v := passwordsView{Est: c, Profiles: core.Profiles, Form: f, TextForm: tf, DefaultText: "auth.login.forgot"}
	if v.Deployment, err = h.deps.Passwords.MayEditDeploymentSettings(ctx); err != nil {
		return v, err
	}
	ps := h.deps.Passwords.Policies(ctx)
	for _, pr := range core.Profiles {
		row := policyRow{Profile: pr, Policy: ps.For(c.Current.ID, pr), Origin: originDefault}
		if _, ok := ps.Establishments[c.Current.ID][pr]; ok {
			row.Origin = originEstablishment
		} else if dp, ok := ps.Profiles[pr]; ok && dp != policy.Default(pr) {
			row.Origin = originDeployment
		}
		row.MaxAgeDays = int(row.Policy.MaxAge / policy.Day)
		v.Rows = append(v.Rows, row)
	}
	if v.Form == nil {
		pr := core.Profile(r.URL.Query().Get("profile"))
		if !pr.Valid() {
			pr = core.ProfilePupil
		}
		pol := ps.For(c.Current.ID, pr)
		vals := url.Values{"profile": {string(pr)}, "scope": {"establishment"}, "min_length": {strconv.Itoa(pol.MinLength)},
			"min_classes": {strconv.Itoa(pol.MinClasses)}, "history": {strconv.Itoa(pol.History)},
			"max_age_days": {strconv.Itoa(int(pol.MaxAge / policy.Day))}}
		if pol.RejectCommon {
			vals.Set("reject_common", "1")
		}
		if pol.RejectPersonal {
			vals.Set("reject_personal", "1")
		}
		v.Form = web.NewForm(ctx, vals)
	}
	if v.TextForm == nil {
		v.TextForm = web.NewForm(ctx, url.Values{"text": {h.deps.Passwords.ForgottenPasswordText(ctx)}})
	}
	return v, nil
}

func (h *Handler) passwordsPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderPasswords(w, r, nil, nil, http.StatusOK)
}

// renderPasswords renders the page with the given forms (nil: filled from
// the settings) and status.
func (h *Handler) renderPasswords(w http.ResponseWriter, r *http.Request, f, tf *web.Form, code int) error {
	v, err := h.passwordsView(r, f, tf)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, code, "admin/passwords", v)
	return nil
}

// putPolicy saves (action "save") or removes (action "remove") the policy
// of one profile, for the chosen establishment or, when scope is
// "deployment", for the whole deployment.
func (h *Handler) putPolicy(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	profile := core.Profile(f.Value("profile"))
	if !profile.Valid() {
		f.Fail("profile", "admin.passwords.bad_profile")
	}
	est := c.Current.ID
	if f.Value("scope") == "deployment" {
		est = ""
	}
	var pol *policy.Policy
	if f.Value("action") != "remove" {
		f.Required("min_length", "admin.passwords.min_length")
		pol = &policy.Policy{MinLength: f.Int("min_length", 1, policy.MaxLength), MinClasses: f.Int("min_classes", 0, 4),
			RejectCommon: f.Checked("reject_common"), RejectPersonal: f.Checked("reject_personal"),
			History: f.Int("history", 0, policy.MaxHistory)}
		pol.MaxAge = time.Duration(f.Int("max_age_days", 0, 3650)) * policy.Day
	}
	if f.Valid() {
		err = h.deps.Passwords.SetPasswordPolicy(r.Context(), est, profile, pol)
		if core.KindOf(err) == core.Invalid {
			f.Fail("min_length", "admin.passwords.refused", core.MessageOf(err))
		} else if err != nil {
			return err
		}
	}
	if !f.Valid() {
		return h.renderPasswords(w, r, f, nil, http.StatusUnprocessableEntity)
	}
	key := "admin.passwords.saved"
	if pol == nil {
		key = "admin.passwords.removed"
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: key, Args: []string{string(profile)}})
	http.Redirect(w, r, "/admin/passwords?est="+url.QueryEscape(c.Current.ID)+"&profile="+url.QueryEscape(string(profile)), http.StatusSeeOther)
	return nil
}

// putForgottenText saves the forgotten-password procedure.
func (h *Handler) putForgottenText(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	err = h.deps.Passwords.SetForgottenPasswordText(r.Context(), f.Value("text"))
	if core.KindOf(err) == core.Invalid {
		f.Fail("text", "admin.passwords.refused", core.MessageOf(err))
		return h.renderPasswords(w, r, nil, f, http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "admin.passwords.text_saved"})
	http.Redirect(w, r, "/admin/passwords?est="+url.QueryEscape(c.Current.ID), http.StatusSeeOther)
	return nil
}
