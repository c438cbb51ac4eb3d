// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

// ticketData is the JSON kept with a service ticket: what the session had
// proved when the ticket was issued.
type ticketData struct {
	Methods  []string  `json:"methods"` // RFC 8176 (sso.AMR)
	AuthTime time.Time `json:"auth_time"`
	NewLogin bool      `json:"new_login"` // isFromNewLogin
	Level    int       `json:"level"`
}

// login is the credential requestor (CAS protocol §2.1). The login form is
// Préau's own /login: a browser without a session goes there and comes
// back with a signed fresh mark, which also tells that credentials were
// just entered (isFromNewLogin).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	service := q.Get("service")
	p := core.PrincipalFromContext(ctx)
	session := p.SessionID != "" && p.PersonID != "" && !p.Service
	if service == "" { // no application: the portal is the "you are logged in" page
		http.Redirect(w, r, "/", http.StatusFound)
		return nil
	}
	if err := checkService(ctx, service); err != nil {
		h.journalLogin(r, nil, service, "malformed service URL")
		return err
	}
	client, reason, err := h.findClient(ctx, service)
	if err != nil {
		if reason != "" {
			h.journalLogin(r, client, service, reason)
		}
		return err
	}
	fresh, renew, gateway := q.Get("fresh"), isTrue(q.Get("renew")), isTrue(q.Get("gateway"))
	newLogin := false
	switch {
	case fresh != "" && session:
		since, ok := h.Auth.FreshSince(ctx, fresh)
		if !ok || p.AuthTime.Before(since) {
			return h.toLogin(w, r, true)
		}
		newLogin = true
	case renew || fresh != "":
		// renew takes precedence over gateway (CAS protocol §2.1.1).
		return h.toLogin(w, r, true)
	case !session && gateway:
		http.Redirect(w, r, service, http.StatusFound)
		return nil
	case !session:
		return h.toLogin(w, r, false)
	}
	if p.MustChangePassword {
		h.journalLogin(r, client, service, "the password must be changed first")
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return nil
	}
	if !levelMet(client, p) {
		return h.stepUp(w, r, client, service, gateway)
	}
	newLogin = newLogin || h.Clock.Now().Sub(p.AuthTime) <= newLoginWindow
	st, err := h.issue(r, client, service, p, newLogin)
	if err != nil {
		return err
	}
	h.deliver(w, r, client, service, st)
	return nil
}

// toLogin sends the browser to Préau's login page, to come back here with
// a signed mark of the time it left: the ticket is then issued only to a
// session authenticated after that time. reauth shows the form even to a
// logged-in person (renew=true).
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request, reauth bool) error {
	mark, err := h.Auth.FreshMark(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	q.Del("renew")
	q.Set("fresh", mark)
	next := url.QueryEscape(LoginPath + "?" + q.Encode())
	if reauth {
		http.Redirect(w, r, "/login?reauth=1&next="+next, http.StatusFound)
	} else {
		http.Redirect(w, r, "/login?next="+next, http.StatusFound)
	}
	return nil
}

// levelMet reports whether the session's proof is strong enough for the
// application.
func levelMet(c *sso.Client, p core.Principal) bool {
	return c.MinLevel < sso.LevelStrong || p.AuthLevel >= sso.LevelStrong
}

// stepUp answers a session weaker than the application requires: a person
// with a second factor proves it on the second-factor page and comes back
// here; one without gets a page saying that the application requires
// strong authentication (journaled). With gateway=true the browser goes
// back to the application without a ticket, as CAS does when it cannot
// authenticate without interaction.
func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request, c *sso.Client, service string, gateway bool) error {
	p := core.PrincipalFromContext(r.Context())
	has, err := h.Auth.HasSecondFactor(r.Context(), p.PersonID)
	if err != nil {
		return err
	}
	if has && !gateway {
		// The person proves a second factor and comes back here.
		http.Redirect(w, r, authweb.SecondFactorPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		return nil
	}
	h.journalLogin(r, c, service, "strong authentication required")
	if gateway {
		http.Redirect(w, r, service, http.StatusFound)
		return nil
	}
	return core.E("cas.stepUp", core.Permission, web.T(r.Context(), "cas.error.strong", c.Name))
}

// issue stores a service ticket for service and journals the sign-in to
// the application in the same transaction (INF-AUT-13).
func (h *Handler) issue(r *http.Request, c *sso.Client, service string, p core.Principal, newLogin bool) (string, error) {
	clear, id := newTicket()
	d := ticketData{Methods: sso.AMR(p), AuthTime: p.AuthTime.UTC(), NewLogin: newLogin,
		Level: max(p.AuthLevel, sso.LevelSimple)}
	data, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	t := &sso.Ticket{ID: id, Kind: ticketKind, ClientID: c.ID, PersonID: p.PersonID, SessionID: p.SessionID,
		Service: service, Data: string(data), ExpiresAt: h.Clock.Now().Add(ticketTTL)}
	e := journal.Entry{Chain: chainOf(p), Action: "auth.sso.cas", TargetType: "sso_client", TargetID: c.ID,
		TargetName: c.Name, Attributes: d.Methods}
	if newLogin {
		e.Reason = "new login"
	}
	e.SetActor(p)
	if err := h.Store.CreateTicket(r.Context(), t, e); err != nil {
		return "", err
	}
	return clear, nil
}

type postView struct {
	Client string
	Action string // the service
	Ticket string
}

// originRE accepts the scheme and host of a service, to be named in a CSP.
var originRE = regexp.MustCompile(`^https?://[A-Za-z0-9.\-]+(:[0-9]+)?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// deliver sends the ticket to the application: by redirect, or with
// method=POST by a form that posts it (a small script submits it; without
// script the person presses the button). The page's CSP lets that one form
// reach the application's origin.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, c *sso.Client, service, ticket string) {
	if strings.EqualFold(r.URL.Query().Get("method"), "POST") {
		if u, err := url.Parse(service); err == nil && originRE.MatchString(u.Scheme+"://"+u.Host) {
			w.Header().Set("Content-Security-Policy", postCSP(u.Scheme+"://"+u.Host))
			h.Renderer.Page(w, r, http.StatusOK, "cas/post", postView{Client: c.Name, Action: service, Ticket: ticket})
			return
		}
	}
	http.Redirect(w, r, withParam(service, "ticket", ticket), http.StatusFound)
}

// postCSP is the shell's policy with the application's origin allowed as
// a form target.
func postCSP(origin string) string {
	return strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action 'self' "+origin, 1)
}
