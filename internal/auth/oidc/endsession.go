// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"slices"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

type logoutView struct {
	Done   bool
	Client string
	Action string
	Hidden []hiddenField
}

type hiddenField struct{ Name, Value string }

// endSession runs RP-initiated logout (OpenID Connect RP-Initiated Logout
// 1.0). With an id_token_hint for the logged-in person the session ends at
// once; otherwise the person confirms with a button, so that another site
// cannot log pupils out by linking here. The browser returns to
// post_logout_redirect_uri only if the client registered it.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) error {
	const op = "oidc.endSession"
	if err := r.ParseForm(); err != nil {
		return core.E(op, core.Invalid, "unreadable request: %v", err)
	}
	v := r.Form
	ctx := r.Context()
	var hint idClaims
	hinted := false
	if h := v.Get("id_token_hint"); h != "" && len(h) < 8192 {
		hinted = p.verify(ctx, h, &hint) == nil && hint.Issuer == p.issuer(r)
	}
	clientID := v.Get("client_id")
	if hinted && len(hint.Audience) == 1 && (clientID == "" || clientID == hint.Audience[0]) {
		clientID = hint.Audience[0]
	}
	var client *sso.Client
	if clientID != "" {
		if c, err := p.Store.FindClient(ctx, clientID); err == nil && c.Protocol == sso.OIDC {
			client = c
		}
	}
	redirect := ""
	if u := v.Get("post_logout_redirect_uri"); u != "" && client != nil && slices.Contains(client.LogoutURIs, u) {
		redirect = u
		if s := v.Get("state"); s != "" {
			redirect = withQuery(u, url.Values{"state": {s}})
		}
	}
	pr := core.PrincipalFromContext(ctx)
	confirmed := r.Method == http.MethodPost && v.Get("confirm") == "1" // CSRF-checked by the middleware
	if !pr.Anonymous() && !(hinted && hint.Subject == pr.PersonID) && !confirmed {
		view := logoutView{Action: EndPath}
		if client != nil {
			view.Client = client.Name
		}
		for _, name := range []string{"client_id", "post_logout_redirect_uri", "state"} {
			if s := v.Get(name); s != "" {
				view.Hidden = append(view.Hidden, hiddenField{name, s})
			}
		}
		if clientID != "" && v.Get("client_id") == "" {
			view.Hidden = append(view.Hidden, hiddenField{"client_id", clientID})
		}
		web.AllowFormRedirects(w) // the confirmation returns to the application
		p.Renderer.Page(w, r, http.StatusOK, "oidc/logout", view)
		return nil
	}
	if !pr.Anonymous() {
		if err := p.EndSession(w, r); err != nil {
			return err
		}
	}
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusFound)
		return nil
	}
	p.Renderer.Page(w, r, http.StatusOK, "oidc/logout", logoutView{Done: true})
	return nil
}
