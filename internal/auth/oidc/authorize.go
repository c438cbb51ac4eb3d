// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// authRequest is a parsed authorization request (OIDC Core §3.1.2.1).
type authRequest struct {
	ClientID    string
	RedirectURI string
	State       string
	Nonce       string
	Scope       []string
	Challenge   string
	Prompt      []string
	MaxAge      int // seconds; -1 when absent
	Level       int // level asked by acr_values, 0 for none
	Fresh       string
}

// parseAuthorize reads the parameters that can be checked before the
// client is known. Errors are core.Invalid with a message for a person.
func parseAuthorize(v url.Values) (*authRequest, error) {
	const op = "oidc.parseAuthorize"
	for _, name := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
		"code_challenge", "code_challenge_method", "prompt", "max_age", "acr_values"} {
		if len(v[name]) > 1 {
			return nil, core.E(op, core.Invalid, "the parameter %s is repeated", name)
		}
		if len(v.Get(name)) > 2048 {
			return nil, core.E(op, core.Invalid, "the parameter %s is too long", name)
		}
	}
	ar := &authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Nonce: v.Get("nonce"), Scope: strings.Fields(v.Get("scope")), Challenge: v.Get("code_challenge"),
		Prompt: strings.Fields(v.Get("prompt")), MaxAge: -1, Fresh: v.Get("fresh")}
	if ar.ClientID == "" {
		return nil, core.E(op, core.Invalid, "the request names no application (client_id is missing)")
	}
	if ar.RedirectURI == "" {
		return nil, core.E(op, core.Invalid, "the request has no redirect_uri")
	}
	if s := v.Get("max_age"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, core.E(op, core.Invalid, "max_age must be a number of seconds")
		}
		ar.MaxAge = n
	}
	for _, acr := range strings.Fields(v.Get("acr_values")) {
		if l := sso.LevelOfACR(acr); l > ar.Level {
			ar.Level = l
		}
	}
	return ar, nil
}

// protocolError is checked after the redirect URI is trusted, so it is
// sent back to the application (RFC 6749 §4.1.2.1).
func (ar *authRequest) protocolError(v url.Values) *oauthError {
	switch {
	case v.Get("response_type") != "code":
		return errorf(0, "unsupported_response_type", "only the authorization code flow (response_type=code) is supported")
	case !slices.Contains(ar.Scope, "openid"):
		return errorf(0, "invalid_scope", "the scope must include openid")
	case v.Get("request") != "" || v.Get("request_uri") != "":
		return errorf(0, "request_not_supported", "request objects are not supported")
	case ar.Challenge != "" && v.Get("code_challenge_method") != "S256":
		return errorf(0, "invalid_request", "code_challenge_method must be S256")
	case ar.Challenge != "" && (len(ar.Challenge) != 43 || !validVerifier(ar.Challenge+"AAAAAAAA")):
		return errorf(0, "invalid_request", "code_challenge is not a base64url SHA-256")
	case slices.Contains(ar.Prompt, "none") && len(ar.Prompt) > 1:
		return errorf(0, "invalid_request", "prompt=none cannot be combined with other values")
	}
	return nil
}

// authorize runs the authorization endpoint. Until the client and its
// redirect URI are known, errors are shown to the person; after, they go
// back to the application.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) error {
	const op = "oidc.authorize"
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return core.E(op, core.Invalid, "unreadable request: %v", err)
	}
	v := r.Form
	ar, err := parseAuthorize(v)
	if err != nil {
		return err
	}
	client, err := p.Store.FindClient(ctx, ar.ClientID)
	if err != nil || client.Protocol != sso.OIDC || !client.DisabledAt.IsZero() {
		p.refuse(r, ar.ClientID, "unknown or disabled OIDC client")
		return core.E(op, core.Invalid, "the application %q is not registered with Préau (or is disabled): "+
			"ask the establishment's administrator", clip(ar.ClientID))
	}
	if !slices.Contains(client.URIs, ar.RedirectURI) {
		p.refuse(r, client.ID, "redirect_uri not registered")
		return core.E(op, core.Invalid, "the application %q asked to return to an address it did not register (%s)",
			client.Name, clip(ar.RedirectURI))
	}
	back := func(e *oauthError) error {
		q := url.Values{"error": {e.Code}, "iss": {p.issuer(r)}}
		if e.Description != "" {
			q.Set("error_description", e.Description)
		}
		if ar.State != "" {
			q.Set("state", ar.State)
		}
		http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
		return nil
	}
	if e := ar.protocolError(v); e != nil {
		return back(e)
	}
	if client.SecretHash == "" && ar.Challenge == "" {
		return back(errorf(0, "invalid_request", "a public client must use PKCE (code_challenge)"))
	}
	pr := core.PrincipalFromContext(ctx)
	promptNone := slices.Contains(ar.Prompt, "none")
	if pr.Anonymous() || pr.Service {
		if promptNone {
			return back(errorf(0, "login_required", "nobody is logged in"))
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path+"?"+v.Encode()), http.StatusFound)
		return nil
	}
	if pr.MustChangePassword {
		return back(errorf(0, "login_required", "the person must first change their password"))
	}
	if p.needsFreshLogin(r, ar, pr) {
		if promptNone {
			return back(errorf(0, "login_required", "a new login is required"))
		}
		mark, err := p.Auth.FreshMark(ctx)
		if err != nil {
			return err
		}
		v.Set("fresh", mark)
		next := r.URL.Path + "?" + v.Encode()
		http.Redirect(w, r, "/login?reauth=1&next="+url.QueryEscape(next), http.StatusFound)
		return nil
	}
	if need := max(ar.Level, client.MinLevel); pr.AuthLevel < need {
		// Step up: the person proves a second factor and comes back here.
		has, err := p.Auth.HasSecondFactor(ctx, pr.PersonID)
		if err != nil {
			return err
		}
		if has && !promptNone {
			next := r.URL.Path + "?" + v.Encode()
			http.Redirect(w, r, authweb.SecondFactorPath+"?next="+url.QueryEscape(next), http.StatusFound)
			return nil
		}
		p.refuse(r, client.ID, "strong authentication required")
		return back(errorf(0, "unmet_authentication_requirements",
			"this application requires strong authentication, which this account has not set up"))
	}
	return p.issueCode(w, r, client, ar, pr)
}

// needsFreshLogin reports whether the person must prove their identity
// again: prompt=login, or a session older than max_age, unless they just
// did after the signed mark the login page came back with.
func (p *Provider) needsFreshLogin(r *http.Request, ar *authRequest, pr core.Principal) bool {
	if ar.Fresh != "" {
		if since, ok := p.Auth.FreshSince(r.Context(), ar.Fresh); ok && !pr.AuthTime.Before(since) {
			return false
		}
		return true
	}
	if slices.Contains(ar.Prompt, "login") {
		return true
	}
	return ar.MaxAge >= 0 && p.Clock.Now().Sub(pr.AuthTime) > time.Duration(ar.MaxAge)*time.Second
}

// issueCode stores a single-use code and sends it to the application. The
// sign-in to the application is journaled with the code (INF-AUT-13).
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, c *sso.Client, ar *authRequest, pr core.Principal) error {
	clear, hash := newSecret()
	g := grant{Scope: ar.Scope, Nonce: ar.Nonce, Challenge: ar.Challenge, Methods: sso.AMR(pr),
		Level: max(pr.AuthLevel, sso.LevelSimple), AuthTime: pr.AuthTime, SID: sessionSID(pr.SessionID)}
	data, _ := json.Marshal(g)
	t := &sso.Ticket{ID: hash, Kind: "oidc_code", ClientID: c.ID, PersonID: pr.PersonID, SessionID: pr.SessionID,
		Service: ar.RedirectURI, Data: string(data), ExpiresAt: p.Clock.Now().Add(codeTTL)}
	e := journal.Entry{Action: "auth.sso.oidc", TargetType: "sso_client", TargetID: c.ID, TargetName: c.Name,
		Attributes: g.Methods}
	e.SetActor(pr)
	if len(pr.Establishments) > 0 {
		e.Chain = pr.Establishments[0]
	}
	if err := p.Store.CreateTicket(r.Context(), t, e); err != nil {
		return err
	}
	q := url.Values{"code": {clear}, "iss": {p.issuer(r)}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
	return nil
}

// refuse journals a refused authorization request.
func (p *Provider) refuse(r *http.Request, clientID, reason string) {
	pr := core.PrincipalFromContext(r.Context())
	e := journal.Entry{Action: "auth.sso.oidc", TargetType: "sso_client", TargetID: clip(clientID),
		Result: journal.Refused, Reason: reason}
	e.SetActor(pr)
	if len(pr.Establishments) > 0 {
		e.Chain = pr.Establishments[0]
	}
	if err := p.Store.Journal(r.Context(), e); err != nil {
		p.Log.Error("journaling a refused OIDC request failed", "err", err)
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
