// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package oidc is Préau's OpenID Connect provider (INF-AUT-3): discovery,
// a JWKS with key rotation, the authorization code flow with PKCE, rotating
// refresh tokens, userinfo and RP-initiated logout, all from the one Préau
// session. ID tokens carry the method of the session's last proof in amr
// (RFC 8176) and acr (urn:preau:loa:1 or 2); acr_values, max_age and
// prompt=login send the person back to prove their identity again.
//
// Clients are registered by an admin (`preau sso add`) with exact redirect
// URIs; there is no dynamic registration and no consent screen: the
// establishment, not the pupil, decides which applications it uses.
package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// Lifetimes of what the provider issues.
const (
	codeTTL    = 60 * time.Second
	idTokenTTL = time.Hour
	accessTTL  = 10 * time.Minute
)

// Paths. Discovery is at the standard place; the rest under /oidc/.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	AuthorizePath = "/oidc/authorize"
	TokenPath     = "/oidc/token"
	UserinfoPath  = "/oidc/userinfo"
	JWKSPath      = "/oidc/jwks"
	EndPath       = "/oidc/end_session"
)

// CrossOriginPaths are the endpoints that browsers' single-page
// applications call from their own origin. They authenticate with client
// credentials, PKCE or a bearer token, never with the session cookie, so
// they are exempt from the cross-origin protection of web.Secure.
var CrossOriginPaths = []string{"POST " + TokenPath, "POST " + UserinfoPath}

// Deps are the collaborators of a Provider.
type Deps struct {
	Auth  *auth.Service
	Store sso.Store
	Clock core.Clock
	Log   *slog.Logger
	// Issuer is the public HTTPS URL of Préau (config web.public_url);
	// empty means the Host of each request.
	Issuer string
	// EndSession ends the browser's Préau session (the portal's logout,
	// with single logout of CAS services).
	EndSession func(w http.ResponseWriter, r *http.Request) error
	Renderer   *web.Renderer
}

// Provider serves the OpenID Connect endpoints.
type Provider struct {
	Deps
	keys *keyRing

	mu      sync.Mutex
	clients map[string]cachedClient // the token endpoint's clients, by ID
}

// clientTTL is how long the token endpoint trusts a client it read: a
// client disabled or removed stops working within that time (and within
// the 5 s every node must see changes in).
const clientTTL = 2 * time.Second

type cachedClient struct {
	c  *sso.Client
	at time.Time
}

// client returns a registered client, read at most clientTTL ago.
func (p *Provider) client(ctx context.Context, id string) (*sso.Client, error) {
	now := p.Clock.Now()
	p.mu.Lock()
	cc, ok := p.clients[id]
	p.mu.Unlock()
	if ok && now.Sub(cc.at) < clientTTL {
		return cc.c, nil
	}
	c, err := p.Store.FindClient(ctx, id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.clients == nil || len(p.clients) > 10000 {
		p.clients = map[string]cachedClient{}
	}
	p.clients[id] = cachedClient{c: c, at: now}
	p.mu.Unlock()
	return c, nil
}

// New returns a provider.
func New(d Deps) *Provider {
	return &Provider{Deps: d, keys: &keyRing{st: d.Store, clock: d.Clock, log: d.Log}}
}

// Routes registers the endpoints.
func (p *Provider) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+DiscoveryPath, p.discovery)
	mux.Handle("GET "+JWKSPath, web.HandlerFunc(p.jwks))
	mux.Handle("GET "+AuthorizePath, web.HandlerFunc(p.authorize))
	mux.Handle("POST "+AuthorizePath, web.HandlerFunc(p.authorize))
	mux.HandleFunc("POST "+TokenPath, p.token)
	mux.HandleFunc("OPTIONS "+TokenPath, p.preflight)
	mux.HandleFunc("GET "+UserinfoPath, p.userinfo)
	mux.HandleFunc("POST "+UserinfoPath, p.userinfo)
	mux.HandleFunc("OPTIONS "+UserinfoPath, p.preflight)
	mux.Handle("GET "+EndPath, web.HandlerFunc(p.endSession))
	mux.Handle("POST "+EndPath, web.HandlerFunc(p.endSession))
}

// issuer returns the issuer identifier for r.
func (p *Provider) issuer(r *http.Request) string {
	if p.Issuer != "" {
		return strings.TrimSuffix(p.Issuer, "/")
	}
	return "https://" + r.Host
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.issuer(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + AuthorizePath,
		"token_endpoint":                                 iss + TokenPath,
		"userinfo_endpoint":                              iss + UserinfoPath,
		"jwks_uri":                                       iss + JWKSPath,
		"end_session_endpoint":                           iss + EndPath,
		"scopes_supported":                               scopesSupported,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":               []string{"S256"},
		"acr_values_supported":                           []string{sso.ACR(sso.LevelSimple), sso.ACR(sso.LevelStrong)},
		"claims_supported":                               claimsSupported,
		"prompt_values_supported":                        []string{"none", "login"},
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"authorization_response_iss_parameter_supported": true,
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) error {
	set, err := p.keys.public(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
	return nil
}

// preflight answers CORS preflights of the cross-origin endpoints. Any
// origin may call them: they take no cookie.
func (p *Provider) preflight(w http.ResponseWriter, r *http.Request) {
	cors(w)
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func cors(w http.ResponseWriter) { w.Header().Set("Access-Control-Allow-Origin", "*") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError is an OAuth 2.0 error response (RFC 6749 §5.2).
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func errorf(status int, code, desc string) *oauthError {
	return &oauthError{Code: code, Description: desc, status: status}
}

func writeError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="preau"`)
	}
	writeJSON(w, e.status, e)
}

// withQuery appends parameters to a URL that may already have a query.
func withQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}
