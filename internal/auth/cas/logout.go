// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// logout ends the Préau session and the application sessions it opened
// (CAS protocol §2.3), then goes back to the service (v3) or url (v2)
// when it is a registered application, else says the person is logged
// out. As in CAS, a GET suffices: applications link here.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if p := core.PrincipalFromContext(ctx); p.SessionID != "" {
		// EndSession runs the portal's logout hook, which is SingleLogout
		// too; the second run finds nothing left to do.
		h.SingleLogout(ctx, p.SessionID)
		if err := h.EndSession(w, r); err != nil {
			return err
		}
	}
	q := r.URL.Query()
	back := q.Get("service")
	if back == "" {
		back = q.Get("url")
	}
	if back != "" && checkService(ctx, back) == nil {
		if _, _, err := h.findClient(ctx, back); err == nil {
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
	}
	ctx = core.ContextWithPrincipal(ctx, core.Principal{})
	ctx = web.ContextWithCSRFToken(ctx, "")
	h.Renderer.Page(w, r.WithContext(ctx), http.StatusOK, "cas/logged_out", nil)
	return nil
}

// SingleLogout logs a session out of the CAS applications it signed in to
// that asked for single logout: each gets a back-channel POST of a SAML 2
// LogoutRequest whose SessionIndex is the service ticket that opened the
// application's session. The POSTs run concurrently and take at most 5 s
// together; failures are logged, never returned. The app hands this
// method to the portal's logout (authweb.Handler.OnLogout).
func (h *Handler) SingleLogout(ctx context.Context, sessionID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logoutTimeout)
	defer cancel()
	logins, err := h.Store.SessionLogins(ctx, sessionID)
	if err != nil {
		h.Log.Error("reading the applications of a session for single logout failed", "err", err)
		return
	}
	clients := map[string]*sso.Client{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, logoutParallel)
	for _, l := range logins {
		c, seen := clients[l.ClientID]
		if !seen {
			c, err = h.Store.FindClient(ctx, l.ClientID)
			if err != nil {
				c = nil // removed since: nothing to tell it
			}
			clients[l.ClientID] = c
		}
		if c == nil || c.Protocol != sso.CAS || !c.SingleLogout || !c.DisabledAt.IsZero() {
			continue
		}
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					h.Log.Error("single logout panicked", "client", c.Name, "panic", v)
				}
			}()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := h.postLogout(ctx, l); err != nil {
				h.Log.Warn("single logout of an application failed", "client", c.Name, "err", err)
			}
		})
	}
	wg.Wait()
}

// postLogout posts one LogoutRequest to the service of a login.
func (h *Handler) postLogout(ctx context.Context, l *sso.Login) error {
	_, id := newTicket()
	body := url.Values{"logoutRequest": {logoutRequest("LR-"+id[:32], h.Clock.Now(), l.Ticket)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.Service, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the service answered %s", resp.Status)
	}
	return nil
}

// logoutRequest returns the SAML 2 samlp:LogoutRequest of single logout,
// as Apereo CAS sends it: NameID @NOT_USED@, SessionIndex the ticket.
func logoutRequest(id string, at time.Time, ticket string) string {
	var b strings.Builder
	b.WriteString(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
		`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="`)
	_ = xml.EscapeText(&b, []byte(id))
	b.WriteString(`" Version="2.0" IssueInstant="` + at.UTC().Format(time.RFC3339) + `">` +
		`<saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>`)
	_ = xml.EscapeText(&b, []byte(ticket))
	b.WriteString(`</samlp:SessionIndex></samlp:LogoutRequest>`)
	return b.String()
}
