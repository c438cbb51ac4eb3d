// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package cas is Préau's CAS server (Apereo CAS protocol 1, 2 and 3,
// INF-AUT-3), on the HTTPS port under /cas/. The CAS single sign-on session
// is the Préau session itself (there is no CASTGC cookie): /cas/login gives
// a service ticket to a registered application, the validation endpoints
// redeem it once, and /cas/logout ends the session and logs the person out
// of the applications that asked for single logout.
//
// What the session proved is passed on to applications (formats.md §5.2):
// CAS 3 validation releases the Apereo authentication attributes
// (authenticationDate, isFromNewLogin, authenticationMethod,
// credentialType, authnContextClass…) and the amr and acr values the OIDC
// provider uses, beside the SDET identity (ENTPersonProfils, ESCOUAI…).
//
// Every ticket issued, every refusal at /cas/login and every failed
// validation is journaled (INF-AUT-13). Proxy tickets are not issued: a
// pgtUrl is ignored, which the protocol treats as a failed proxy callback
// (the validation succeeds without a proxyGrantingTicket).
//
// Only internal/app imports this package.
package cas

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

// Paths of the endpoints.
const (
	LoginPath             = "/cas/login"
	LogoutPath            = "/cas/logout"
	ValidatePath          = "/cas/validate"           // CAS 1
	ServiceValidatePath   = "/cas/serviceValidate"    // CAS 2
	ProxyValidatePath     = "/cas/proxyValidate"      // CAS 2
	P3ServiceValidatePath = "/cas/p3/serviceValidate" // CAS 3
	P3ProxyValidatePath   = "/cas/p3/proxyValidate"   // CAS 3
	scriptPath            = "/cas/post.js"
)

const (
	ticketKind   = "cas_st"
	ticketPrefix = "ST-"
	// ticketTTL bounds the time between /cas/login and validation. The
	// protocol suggests 10 s; 30 s leaves room for a slow school network.
	ticketTTL = 30 * time.Second
	// newLoginWindow: a session whose proof is this recent counts as a new
	// login for isFromNewLogin.
	newLoginWindow = 10 * time.Second
	maxTicketLen   = 256 // clients must accept tickets up to 256 characters
	maxServiceLen  = 2048
	logoutTimeout  = 5 * time.Second
	logoutParallel = 8
)

//go:embed assets
var assets embed.FS

//go:embed post.js
var postJS []byte

// Assets returns the templates and catalogs of this package for the
// renderer.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Authenticator is what the CAS server asks of authentication: the signed
// marks that force a fresh proof of identity (renew=true). *auth.Service
// implements it.
type Authenticator interface {
	FreshMark(ctx context.Context) (string, error)
	FreshSince(ctx context.Context, mark string) (time.Time, bool)
	HasSecondFactor(ctx context.Context, personID string) (bool, error)
}

// Deps are the collaborators of a Handler. HTTPClient may be nil; the other
// fields are required.
type Deps struct {
	Store    sso.Store
	Auth     Authenticator
	Renderer *web.Renderer
	Clock    core.Clock
	Log      *slog.Logger
	// EndSession ends the browser's Préau session and drops its cookie
	// (authweb.Handler.EndSession).
	EndSession func(w http.ResponseWriter, r *http.Request) error
	// HTTPClient posts single logout requests to applications. Nil means
	// a client with a 5 s timeout that does not follow redirects.
	HTTPClient *http.Client
}

// Handler serves the CAS endpoints. It is safe for concurrent use.
type Handler struct {
	Deps
}

// pages are the templates the handler renders.
var pages = []string{"cas/post", "cas/logged_out"}

// New returns the CAS server. It fails if the renderer lacks its pages
// (Assets was not given to it).
func New(d Deps) (*Handler, error) {
	if err := d.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: logoutTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Handler{Deps: d}, nil
}

// Routes registers the endpoints on mux. The validation endpoints are
// called by applications, server to server, without cookie: they are GETs,
// which the CSRF and cross-origin checks let through.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET "+LoginPath, web.HandlerFunc(h.login))
	mux.Handle("GET "+LogoutPath, web.HandlerFunc(h.logout))
	mux.HandleFunc("GET "+ValidatePath, h.validator(v1))
	mux.HandleFunc("GET "+ServiceValidatePath, h.validator(v2))
	mux.HandleFunc("GET "+ProxyValidatePath, h.validator(v2))
	mux.HandleFunc("GET "+P3ServiceValidatePath, h.validator(v3))
	mux.HandleFunc("GET "+P3ProxyValidatePath, h.validator(v3))
	mux.HandleFunc("GET "+scriptPath, servePostJS)
}

// findClient returns the enabled CAS client one of whose service patterns
// matches service. Errors are core.Permission with a message for a person
// in the request's language; reason is the journal's wording.
func (h *Handler) findClient(ctx context.Context, service string) (c *sso.Client, reason string, err error) {
	const op = "cas.findClient"
	clients, err := h.Store.FindClients(ctx, sso.CAS)
	if err != nil {
		return nil, "", err
	}
	var disabled *sso.Client
	for _, c := range clients {
		for _, pattern := range c.URIs {
			if !sso.MatchService(pattern, service) {
				continue
			}
			if c.DisabledAt.IsZero() {
				return c, "", nil
			}
			disabled = c
		}
	}
	if disabled != nil {
		return disabled, "application disabled", core.E(op, core.Permission,
			web.T(ctx, "cas.error.disabled", disabled.Name))
	}
	return nil, "unregistered service", core.E(op, core.Permission,
		web.T(ctx, "cas.error.unknown_service", clip(service)))
}

// checkService refuses what cannot be an application's address: CAS
// redirects the browser there.
func checkService(ctx context.Context, service string) error {
	u, err := url.Parse(service)
	if err != nil || len(service) > maxServiceLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return core.E("cas.checkService", core.Invalid, web.T(ctx, "cas.error.bad_service", clip(service)))
	}
	return nil
}

// journalLogin journals an event of /cas/login: a refusal when reason is
// not empty. c may be nil (unknown service).
func (h *Handler) journalLogin(r *http.Request, c *sso.Client, service, reason string) {
	p := actor(r)
	e := journal.Entry{Chain: chainOf(p), Action: "auth.sso.cas", TargetType: "sso_client",
		TargetName: clip(service), Result: journal.Refused, Reason: reason}
	if c != nil {
		e.TargetID, e.TargetName = c.ID, c.Name
	}
	e.SetActor(p)
	if err := h.Store.Journal(r.Context(), e); err != nil {
		h.Log.Error("journaling a CAS refusal failed", "err", err)
	}
}

// actor returns the principal of r, with the channel and source address
// filled for anonymous requests.
func actor(r *http.Request) core.Principal {
	p := core.PrincipalFromContext(r.Context())
	if p.Channel == "" {
		p.Channel = core.ChannelWeb
	}
	if p.Source == "" {
		p.Source = clientIP(r)
	}
	return p
}

// chainOf returns the journal chain of a principal: its main
// establishment.
func chainOf(p core.Principal) string {
	if len(p.Establishments) > 0 {
		return p.Establishments[0]
	}
	return journal.DeploymentChain
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newTicket returns a fresh service ticket and its stored ID (SHA-256).
func newTicket() (clear, id string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	clear = ticketPrefix + base64.RawURLEncoding.EncodeToString(b)
	return clear, ticketID(clear)
}

// ticketID is what the store keeps of a ticket.
func ticketID(clear string) string {
	s := sha256.Sum256([]byte(clear))
	return hex.EncodeToString(s[:])
}

// withParam appends name=value to the query of a URL that may already have
// one, before any fragment.
func withParam(u, name, value string) string {
	base, frag, hasFrag := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += url.QueryEscape(name) + "=" + url.QueryEscape(value)
	if hasFrag {
		base += "#" + frag
	}
	return base
}

// isTrue reads a CAS boolean parameter.
func isTrue(s string) bool { return s == "true" || s == "1" }

// clip bounds what a request sent before it is shown or journaled.
func clip(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func servePostJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(postJS)
}
