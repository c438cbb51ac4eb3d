// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// rp is an OpenID Connect relying party built with go-oidc and x/oauth2,
// as an ENT application would be, registered on a node by the CLI.
type rp struct {
	n        *node
	ctx      context.Context
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

const rpCallback = "https://ent.example.test/callback"

func newRP(t *testing.T, n *node, extra ...string) *rp {
	t.Helper()
	out := n.cli(append([]string{"sso", "add", "oidc", "ENT de test", "--redirect", rpCallback,
		"--logout-redirect", "https://ent.example.test/bye"}, extra...)...)
	id := regexp.MustCompile(`client_id: (\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`client_secret \(shown once\): (\S+)`).FindStringSubmatch(out)
	if id == nil || secret == nil {
		t.Fatalf("sso add output: %s", out)
	}
	// The application trusts the school's CA, as school devices do.
	ctx := gooidc.ClientContext(context.Background(), &http.Client{Transport: n.client.Transport})
	provider, err := gooidc.NewProvider(ctx, n.base)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{n: n, ctx: ctx, provider: provider,
		conf: oauth2.Config{ClientID: id[1], ClientSecret: secret[1], Endpoint: provider.Endpoint(),
			RedirectURL: rpCallback, Scopes: []string{gooidc.ScopeOpenID, "profile", "sdet"}},
		verifier: provider.Verifier(&gooidc.Config{ClientID: id[1]})}
}

// authorize runs the browser's part of the code flow from authURL, logging
// in with pw when the provider asks, and returns the redirect to the
// application.
func (r *rp) authorize(t *testing.T, authURL, login, pw string) *url.URL {
	t.Helper()
	next := authURL
	for range 5 {
		resp, err := r.n.client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("authorize %s: %d without redirect", next, resp.StatusCode)
		}
		if strings.HasPrefix(loc.String(), rpCallback) {
			return loc
		}
		if loc.Path != "/login" {
			t.Fatalf("unexpected redirect to %s", loc)
		}
		if login == "" {
			t.Fatalf("the provider asked for a login: %s", loc)
		}
		form := url.Values{"login": {login}, "password": {pw}, "next": {loc.Query().Get("next")}}
		if _, page := r.n.get(loc.RequestURI()); csrfRE.MatchString(page) { // re-authentication of a session
			form.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
		}
		lr, body := r.n.post("/login", form)
		if lr.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d\n%s", lr.StatusCode, body)
		}
		next = r.n.base + lr.Header.Get("Location")
		login = "" // one login per flow
	}
	t.Fatal("too many redirects")
	return nil
}

// CARINE: INF-AUT-3 — an OIDC relying party (go-oidc, x/oauth2) signs a
// pupil in with the code flow and PKCE: the ID token verifies against the
// JWKS and says the method (amr pwd, acr loa:1); userinfo releases the SDET
// attributes; refresh rotates; a replayed refresh token revokes its
// family; prompt=login asks for the password again; end-session ends the
// Préau session and the refresh tokens with it.
func TestOIDCCodeFlowWithGoOIDC_INF_AUT_3(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	r := newRP(t, n)
	pkce := oauth2.GenerateVerifier()
	authURL := r.conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(pkce), gooidc.Nonce("nonce-1"))
	cb := r.authorize(t, authURL, "zoe.martin", "Bonjour-Zoe-2026")
	if cb.Query().Get("state") != "state-1" || cb.Query().Get("iss") != n.base || cb.Query().Get("code") == "" {
		t.Fatalf("callback: %s", cb)
	}
	if _, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil ||
		!strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a wrong PKCE verifier was accepted: %v", err)
	}
	// The failed attempt consumed the code: run the flow again (the session is reused, no login).
	cb = r.authorize(t, authURL, "", "")
	tok, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce)); err == nil {
		t.Fatal("a code was accepted twice")
	}
	claims := r.idClaims(t, tok)
	if claims.Nonce != "nonce-1" || !slices.Equal(claims.AMR, []string{"pwd"}) || claims.ACR != "urn:preau:loa:1" ||
		claims.Name != "Zoé Martin" || claims.AuthTime == 0 || claims.SID == "" {
		t.Fatalf("ID token claims: %+v", claims)
	}
	info, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var ui map[string]any
	if err := info.Claims(&ui); err != nil || ui["ENTPersonProfils"] != "National_ELV" ||
		ui["ENTPersonStructRattachRNE"] != "0999001W" || ui["preferred_username"] != "zoe.martin" {
		t.Fatalf("userinfo: %v %v", err, ui)
	}

	// Refresh: a new pair, with the method of the original login and no nonce.
	tok2, err := r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if c := r.idClaims(t, tok2); !slices.Equal(c.AMR, []string{"pwd"}) || c.Nonce != "" || c.AuthTime != claims.AuthTime {
		t.Fatalf("refreshed ID token: %+v", c)
	}
	if tok2.RefreshToken == tok.RefreshToken {
		t.Fatal("the refresh token was not rotated")
	}
	if _, err := r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("a used refresh token was accepted again")
	}
	if _, err := r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
		t.Fatal("after a replay, the family's newest token still works")
	}

	// prompt=login: the password is asked again, and auth_time moves on.
	time.Sleep(1100 * time.Millisecond)
	fresh := r.conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("prompt", "login"))
	resp, _ := n.get(strings.TrimPrefix(fresh, n.base))
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login?reauth=1") {
		t.Fatalf("prompt=login did not ask for a new login: %d %s", resp.StatusCode, loc)
	}
	cb = r.authorize(t, fresh, "zoe.martin", "Bonjour-Zoe-2026")
	tok3, err := r.conf.Exchange(r.ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	c3 := r.idClaims(t, tok3)
	if c3.AuthTime <= claims.AuthTime {
		t.Fatalf("auth_time after prompt=login: %d, before %d", c3.AuthTime, claims.AuthTime)
	}
	// A strong level cannot be met by a password alone.
	strong := r.conf.AuthCodeURL("state-3", oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("acr_values", "urn:preau:loa:2"))
	if cb := r.authorize(t, strong, "", ""); cb.Query().Get("error") != "unmet_authentication_requirements" {
		t.Fatalf("acr_values loa:2 with a password session: %s", cb)
	}

	// End session: back to the registered page with the state, session gone.
	resp, _ = n.get("/oidc/end_session?" + url.Values{"id_token_hint": {tok3.Extra("id_token").(string)},
		"post_logout_redirect_uri": {"https://ent.example.test/bye"}, "state": {"s9"}}.Encode())
	if resp.Header.Get("Location") != "https://ent.example.test/bye?state=s9" {
		t.Fatalf("end session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := n.get("/"); !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("the session survived end-session: %d", resp.StatusCode)
	}
	if _, err := r.conf.TokenSource(r.ctx, &oauth2.Token{RefreshToken: tok3.RefreshToken}).Token(); err == nil {
		t.Fatal("a refresh token outlived its session")
	}
	out := n.cli("journal", "export", "--format", "jsonl")
	if strings.Count(out, `"auth.sso.oidc"`) < 3 {
		t.Fatalf("sign-ins to the application are not journaled:\n%s", out)
	}
}

type idTokenClaims struct {
	Nonce    string   `json:"nonce"`
	AMR      []string `json:"amr"`
	ACR      string   `json:"acr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
	Name     string   `json:"name"`
}

func (r *rp) idClaims(t *testing.T, tok *oauth2.Token) idTokenClaims {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("no id_token in the token response")
	}
	idt, err := r.verifier.Verify(r.ctx, raw)
	if err != nil {
		t.Fatalf("ID token does not verify: %v", err)
	}
	var c idTokenClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// CARINE: INF-AUT-3 — an authorization request from an unknown client or
// to an unregistered redirect URI is refused on a page, never redirected.
func TestOIDCRefusesUnregisteredRedirects(t *testing.T) {
	n := startNode(t)
	r := newRP(t, n)
	for name, q := range map[string]url.Values{
		"unknown client": {"client_id": {"nope"}, "redirect_uri": {rpCallback}, "response_type": {"code"}, "scope": {"openid"}},
		"foreign uri":    {"client_id": {r.conf.ClientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {"openid"}},
	} {
		resp, body := n.get("/oidc/authorize?" + q.Encode())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "<html") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func oauth2S256(t *testing.T) oauth2.AuthCodeOption {
	t.Helper()
	return oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
}
