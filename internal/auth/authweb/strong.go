// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// Paths of the strong-authentication pages.
const (
	SecurityPath     = "/account/security"
	SecondFactorPath = "/login/second-factor"
)

type securityView struct {
	Required  bool // a page the person asked for requires strong authentication
	Next      string
	HasTOTP   bool
	CodesLeft int
	Strong    bool // this session proved a second factor
	Form      *web.Form
	// Enrolment in progress:
	QR     template.URL // data: URL of the QR code PNG
	Secret string       // the key in groups of four, for typing
	// Enrolment done:
	Codes   []string
	Passkey passkeyView // passkey.go
}

func (h *Handler) strongRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+SecurityPath, RequireLogin(web.HandlerFunc(h.securityPage)))
	mux.Handle("POST "+SecurityPath+"/totp", RequireLogin(web.HandlerFunc(h.beginTOTP)))
	mux.Handle("POST "+SecurityPath+"/totp/confirm", RequireLogin(web.HandlerFunc(h.confirmTOTP)))
	mux.Handle("POST "+SecurityPath+"/totp/remove", RequireLogin(web.HandlerFunc(h.removeTOTP)))
	mux.Handle("GET "+SecondFactorPath, RequireLogin(web.HandlerFunc(h.secondFactorPage)))
	mux.Handle("POST "+SecondFactorPath, RequireLogin(web.HandlerFunc(h.secondFactor)))
}

func (h *Handler) securityView(r *http.Request) (securityView, error) {
	p := core.PrincipalFromContext(r.Context())
	has, left, err := h.auth.HasTOTP(r.Context(), p.PersonID)
	if err != nil {
		return securityView{}, err
	}
	pk, err := h.passkeyView(r)
	return securityView{Required: r.URL.Query().Get("required") != "", Next: safeNext(r.FormValue("next")),
		HasTOTP: has, CodesLeft: left, Strong: p.AuthLevel >= 2, Form: web.NewForm(r.Context(), nil), Passkey: pk}, err
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.securityView(r)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "auth/security", v)
	return nil
}

// beginTOTP makes a key and shows its QR code with the confirmation form.
func (h *Handler) beginTOTP(w http.ResponseWriter, r *http.Request) error {
	v, err := h.securityView(r)
	if err != nil {
		return err
	}
	key, err := h.auth.BeginTOTP(r.Context())
	if err != nil {
		return err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	v.Secret = groupsOf4(key.Secret())
	h.rd.Page(w, r, http.StatusOK, "auth/security", v)
	return nil
}

// confirmTOTP checks the first code and shows the recovery codes once.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	codes, err := h.auth.ConfirmTOTP(r.Context(), f.Value("code"))
	if core.KindOf(err) == core.Invalid {
		v, verr := h.securityView(r)
		if verr != nil {
			return verr
		}
		f.Fail("code", "auth.security.wrong_code")
		v.Form = f
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/security", v)
		return nil
	}
	if err != nil {
		return err
	}
	v, err := h.securityView(r)
	if err != nil {
		return err
	}
	v.Codes, v.Strong = codes, true
	h.rd.Page(w, r, http.StatusOK, "auth/security", v)
	return nil
}

func (h *Handler) removeTOTP(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	if p.AuthLevel < 2 {
		http.Redirect(w, r, SecondFactorPath+"?next="+url.QueryEscape(SecurityPath), http.StatusSeeOther)
		return nil
	}
	if err := h.auth.RemoveTOTP(r.Context(), p.Login); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.security.removed"})
	http.Redirect(w, r, SecurityPath, http.StatusSeeOther)
	return nil
}

type secondFactorView struct {
	Form    *web.Form
	Next    string
	HasTOTP bool
	Passkey passkeyView // passkey.go
}

func (h *Handler) secondFactorPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	v, err := h.secondFactorData(r, web.NewForm(r.Context(), nil), next)
	if err != nil {
		return err
	} else if !v.HasTOTP && len(v.Passkey.Keys) == 0 {
		http.Redirect(w, r, SecurityPath+"?required=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil
	}
	web.AllowFormRedirects(w)
	h.rd.Page(w, r, http.StatusOK, "auth/second_factor", v)
	return nil
}

func (h *Handler) secondFactor(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	next := safeNext(f.Value("next"))
	web.AllowFormRedirects(w)
	err = h.auth.StepUp(r.Context(), f.Value("code"))
	if err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	switch core.KindOf(err) {
	case core.Invalid:
		f.Fail("code", "auth.security.wrong_code")
	case core.TooMany:
		f.Fail("code", "auth.login.throttled")
	default:
		return err
	}
	v, err := h.secondFactorData(r, f, next)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "auth/second_factor", v)
	return nil
}

// RequireStrong lets through sessions that proved a second factor; others
// go to the second-factor page (or to enrolment when they have none)
// and come back (INF-AUT-2). API tokens count as strong (see
// auth.Service.TokenPrincipal).
func RequireStrong(next http.Handler) http.Handler {
	return RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := core.PrincipalFromContext(r.Context())
		if p.AuthLevel >= 2 || p.System {
			next.ServeHTTP(w, r)
			return
		}
		if wantsHTML(r) && p.SessionID != "" {
			http.Redirect(w, r, SecondFactorPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		web.Error(w, r, core.E("authweb.RequireStrong", core.Permission, "auth.strong.required"))
	}))
}

// RequireRecentProof lets through sessions that proved a second factor
// less than maxAge ago, for sensitive actions (a directory import, which
// changes hundreds of accounts): an older proof is asked again, even in a
// strong session. A page is redirected to the second-factor page and
// comes back; a form submission is refused with a message, so that nothing
// runs on a stale proof.
func (h *Handler) RequireRecentProof(maxAge time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return RequireStrong(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := core.PrincipalFromContext(r.Context())
			if p.System || p.SessionID == "" || h.auth.Now().Sub(p.AuthTime) <= maxAge {
				next.ServeHTTP(w, r)
				return
			}
			if wantsHTML(r) {
				http.Redirect(w, r, SecondFactorPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			web.Error(w, r, core.E("authweb.RequireRecentProof", core.Permission, "auth.strong.stale"))
		}))
	}
}

func groupsOf4(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
