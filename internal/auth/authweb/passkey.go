// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// Passkeys and security keys (INF-AUT-2, INF-AUT-12). The security page
// lists them and adds one; the second-factor page proves one. The
// ceremonies are JSON endpoints that passkey.js calls (navigator.credentials
// needs a script); the pages work without it for the authenticator app.
const (
	passkeysPath    = SecurityPath + "/passkeys"
	passkeyStepPath = SecondFactorPath + "/passkey"
)

// maxPasskeyBody bounds the JSON a ceremony's finish receives.
const maxPasskeyBody = 128 << 10

func (h *Handler) passkeyRoutes(mux *http.ServeMux) {
	mux.Handle("POST "+passkeysPath+"/begin", RequireLogin(web.HandlerFunc(h.beginPasskeyRegistration)))
	mux.Handle("POST "+passkeysPath+"/finish", RequireLogin(web.HandlerFunc(h.finishPasskeyRegistration)))
	mux.Handle("POST "+passkeysPath+"/{id}/remove", RequireLogin(web.HandlerFunc(h.removePasskey)))
	mux.Handle("POST "+passkeyStepPath+"/begin", RequireLogin(web.HandlerFunc(h.beginPasskeyStepUp)))
	mux.Handle("POST "+passkeyStepPath+"/finish", RequireLogin(web.HandlerFunc(h.finishPasskeyStepUp)))
}

// passkeyView is the passkey part of the security and second-factor pages.
type passkeyView struct {
	Available bool   // the host is a name, not an IP address: WebAuthn can work here
	Host      string // the host name or address the browser used
	Keys      []passkeyItem
	Usable    bool // one of Keys was added under this host name
	CanAdd    bool // a key may be added now
	NeedStep  bool // adding needs the second factor proved first
	Full      bool // the account has auth.MaxPasskeys keys
	Strong    bool // the session proved a second factor (removing needs it)
	CSRF      string
}

type passkeyItem struct {
	ID, Name  string
	CreatedAt time.Time
	LastUsed  time.Time
	Here      bool // added under the host name of this request
}

// passkeyView returns the principal's keys as the pages show them.
func (h *Handler) passkeyView(r *http.Request) (passkeyView, error) {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	v := passkeyView{Available: passkeysAvailable(r), Host: rpHost(r), Strong: p.AuthLevel >= 2,
		CSRF: web.CSRFTokenFromContext(ctx)}
	keys, err := h.auth.Passkeys(ctx)
	if err != nil {
		return v, err
	}
	for _, k := range keys {
		var rec passkeyRecord
		_ = json.Unmarshal(k.Data, &rec) // a record that does not decode is listed, not usable
		it := passkeyItem{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, LastUsed: k.LastUsed,
			Here: v.Available && rec.RPID == v.Host}
		v.Usable = v.Usable || it.Here
		v.Keys = append(v.Keys, it)
	}
	v.Full = len(keys) >= auth.MaxPasskeys
	if !v.Strong && len(keys) == 0 {
		hasTOTP, _, err := h.auth.HasTOTP(ctx, p.PersonID)
		if err != nil {
			return v, err
		}
		v.NeedStep = hasTOTP
	} else {
		v.NeedStep = !v.Strong
	}
	v.CanAdd = v.Available && !v.Full && !v.NeedStep
	return v, nil
}

// beginPasskeyRegistration answers the options for navigator.credentials.create.
func (h *Handler) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	return h.beginCeremony(w, r, h.auth.BeginPasskeyRegistration)
}

// beginCeremony answers the options a ceremony's begin makes for the
// relying party of r.
func (h *Handler) beginCeremony(w http.ResponseWriter, r *http.Request,
	begin func(context.Context, auth.RelyingParty) ([]byte, error)) error {
	rp, err := newRelyingParty(r)
	if err != nil {
		return h.passkeyError(r, err)
	}
	options, err := begin(r.Context(), rp)
	if err != nil {
		return h.passkeyError(r, err)
	}
	return web.JSON(w, http.StatusOK, json.RawMessage(options))
}

// passkeyFinish is the body of a ceremony's finish: the browser's
// PublicKeyCredential as JSON and, when adding, the key's name.
type passkeyFinish struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

func (h *Handler) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	var req passkeyFinish
	if err := web.DecodeJSON(r, &req, maxPasskeyBody); err != nil {
		return err
	}
	rp, err := newRelyingParty(r)
	if err != nil {
		return h.passkeyError(r, err)
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		keys, err := h.auth.Passkeys(r.Context())
		if err != nil {
			return err
		}
		name = web.T(r.Context(), "auth.passkey.default_name", len(keys)+1)
	}
	if err := h.auth.FinishPasskeyRegistration(r.Context(), rp, name, bytes.NewReader(req.Credential)); err != nil {
		return h.passkeyError(r, err)
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.passkey.added"})
	return web.JSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (h *Handler) removePasskey(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	if p.AuthLevel < 2 {
		http.Redirect(w, r, SecondFactorPath+"?next="+url.QueryEscape(SecurityPath), http.StatusSeeOther)
		return nil
	}
	if err := h.auth.RemovePasskey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.passkey.removed"})
	http.Redirect(w, r, SecurityPath, http.StatusSeeOther)
	return nil
}

// beginPasskeyStepUp answers the options for navigator.credentials.get.
func (h *Handler) beginPasskeyStepUp(w http.ResponseWriter, r *http.Request) error {
	return h.beginCeremony(w, r, h.auth.BeginPasskeyStepUp)
}

func (h *Handler) finishPasskeyStepUp(w http.ResponseWriter, r *http.Request) error {
	var req passkeyFinish
	if err := web.DecodeJSON(r, &req, maxPasskeyBody); err != nil {
		return err
	}
	rp, err := newRelyingParty(r)
	if err != nil {
		return h.passkeyError(r, err)
	}
	if err := h.auth.FinishPasskeyStepUp(r.Context(), rp, bytes.NewReader(req.Credential)); err != nil {
		return h.passkeyError(r, err)
	}
	return web.JSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// passkeyError gives err a message from the catalog, which web.Error
// translates for passkey.js to show. Keys that do not verify are logged
// with the library's reason, which the person does not see.
func (h *Handler) passkeyError(r *http.Request, err error) error {
	key := core.MessageOf(err)
	kind := core.KindOf(err)
	switch {
	case strings.HasPrefix(key, "auth.passkey."):
	case kind == core.Invalid:
		key = "auth.passkey.error.invalid"
		h.log.InfoContext(r.Context(), "passkey ceremony failed", "err", err.Error(),
			"login", core.PrincipalFromContext(r.Context()).Login)
	case kind == core.Exists:
		key = "auth.passkey.error.exists"
	case kind == core.Permission:
		key = "auth.passkey.error.strong"
	case kind == core.TooMany:
		key = "auth.passkey.error.throttled"
	default:
		return err
	}
	return &core.Error{Op: "authweb.passkey", Kind: kind, Msg: key, Err: err}
}

// secondFactorData is the second-factor page: the code form when the
// person has an authenticator app, the key button when they have a key.
func (h *Handler) secondFactorData(r *http.Request, f *web.Form, next string) (secondFactorView, error) {
	v := secondFactorView{Form: f, Next: next}
	var err error
	if v.HasTOTP, _, err = h.auth.HasTOTP(r.Context(), core.PrincipalFromContext(r.Context()).PersonID); err != nil {
		return v, err
	}
	v.Passkey, err = h.passkeyView(r)
	return v, err
}
