// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// version is a CAS protocol version: what a validation endpoint answers.
type version int

const (
	v1 version = 1 // /validate: text
	v2 version = 2 // /serviceValidate, /proxyValidate: XML or JSON, no attributes
	v3 version = 3 // /p3/…: XML or JSON with attributes
)

// Validation error codes (CAS protocol §2.5.3).
const (
	codeInvalidRequest    = "INVALID_REQUEST"
	codeInvalidTicketSpec = "INVALID_TICKET_SPEC"
	codeInvalidTicket     = "INVALID_TICKET"
	codeInvalidService    = "INVALID_SERVICE"
	codeInternalError     = "INTERNAL_ERROR"
)

// failure is a refused validation.
type failure struct {
	Code string
	Msg  string
}

// success is an accepted validation. Attributes are set for CAS 3 only.
type success struct {
	User       string
	Attributes []attribute
}

// attribute is one released attribute; multi-valued ones repeat.
type attribute struct {
	Name   string
	Values []string
}

// validator returns the handler of a validation endpoint. Applications
// call it server to server; it always answers 200 with a CAS document.
func (h *Handler) validator(v version) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		s, f := h.redeem(r, q, v)
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case v == v1:
			writeText(w, s)
		case strings.EqualFold(q.Get("format"), "JSON"):
			writeJSON(w, s, f)
		default:
			writeXML(w, s, f)
		}
	}
}

// redeem checks and consumes the ticket of a validation request. The
// ticket is used once even when the validation fails for another reason
// (a wrong service): the protocol requires it. Failures are journaled
// without the ticket (INF-AUT-13).
func (h *Handler) redeem(r *http.Request, q url.Values, v version) (*success, *failure) {
	ctx := r.Context()
	service, st := q.Get("service"), q.Get("ticket")
	if service == "" || st == "" {
		return nil, h.fail(r, nil, service, codeInvalidRequest, "the service and ticket parameters are required")
	}
	if len(st) > maxTicketLen || !strings.HasPrefix(st, ticketPrefix) {
		return nil, h.fail(r, nil, service, codeInvalidTicketSpec,
			"Ticket "+clip(st)+" is not a service ticket (proxy tickets are not issued)")
	}
	t, err := h.Store.RedeemTicket(ctx, ticketID(st), ticketKind)
	if core.IsKind(err, core.NotFound) {
		return nil, h.fail(r, nil, service, codeInvalidTicket, "Ticket "+clip(st)+" not recognized")
	}
	if err != nil {
		h.Log.Error("redeeming a CAS ticket failed", "err", err)
		return nil, h.fail(r, nil, service, codeInternalError, "the ticket could not be checked")
	}
	if h.Clock.Now().After(t.ExpiresAt) {
		return nil, h.fail(r, t, service, codeInvalidTicket, "Ticket "+clip(st)+" has expired")
	}
	if t.Service != service {
		return nil, h.fail(r, t, service, codeInvalidService,
			"Ticket "+clip(st)+" was not issued for the service "+clip(service))
	}
	c, err := h.Store.FindClient(ctx, t.ClientID)
	if err != nil || !c.DisabledAt.IsZero() {
		return nil, h.fail(r, t, service, codeInvalidService, "the application is no longer enabled")
	}
	var d ticketData
	if err := json.Unmarshal([]byte(t.Data), &d); err != nil {
		h.Log.Error("unreadable CAS ticket data", "err", err)
		return nil, h.fail(r, t, service, codeInternalError, "the ticket could not be read")
	}
	if isTrue(q.Get("renew")) && !d.NewLogin {
		return nil, h.fail(r, t, service, codeInvalidTicket,
			"Ticket "+clip(st)+" did not come from a new login (renew=true)")
	}
	id, err := sso.LoadIdentity(ctx, h.Store, t.PersonID)
	if core.IsKind(err, core.NotFound) {
		return nil, h.fail(r, t, service, codeInvalidTicket, "the account of this ticket no longer exists")
	}
	if err != nil {
		h.Log.Error("loading the identity of a CAS ticket failed", "err", err)
		return nil, h.fail(r, t, service, codeInternalError, "the account could not be read")
	}
	if err := h.Store.AddLogin(ctx, &sso.Login{SessionID: t.SessionID, ClientID: t.ClientID, Service: t.Service,
		Ticket: st, CreatedAt: h.Clock.Now()}); err != nil {
		// The application is signed in all the same; only single logout will miss it.
		h.Log.Error("recording a CAS login for single logout failed", "client", c.Name, "err", err)
	}
	s := &success{User: id.Login}
	if v == v3 {
		s.Attributes = append(authAttributes(d), identityAttributes(id, c.Attributes)...)
	}
	return s, nil
}

// fail journals a failed validation and returns it. t is nil when the
// ticket was not found.
func (h *Handler) fail(r *http.Request, t *sso.Ticket, service, code, msg string) *failure {
	ctx := r.Context()
	e := journal.Entry{Chain: journal.DeploymentChain, Action: "auth.sso.cas.validate", TargetType: "sso_client",
		TargetName: clip(service), Result: journal.Refused, Reason: code}
	if t != nil {
		e.TargetID = t.ClientID
		if c, err := h.Store.FindClient(ctx, t.ClientID); err == nil {
			e.TargetName = c.Name
		}
		if p, err := h.Store.FindPerson(ctx, t.PersonID); err == nil {
			e.Chain = p.MainEstablishment()
			e.Attributes = []string{"person:" + p.Login}
		}
	}
	e.SetActor(core.Principal{Login: "cas:validate", Channel: core.ChannelAPI, Source: clientIP(r)})
	if e.Chain == "" {
		e.Chain = journal.DeploymentChain
	}
	if err := h.Store.Journal(ctx, e); err != nil {
		h.Log.Error("journaling a failed CAS validation failed", "err", err)
	}
	return &failure{Code: code, Msg: msg}
}
