// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package web is the HTTP shell that every <svc>web package shares. It holds
// no service knowledge. It provides:
//
//   - a [Renderer] that parses the shared layout and partials together with
//     each service's page templates, checks them at construction (undeclared
//     templates, translation keys without French text, unknown static files)
//     and renders pages in the layout;
//   - French-first translation catalogs, language choice (?lang=, cookie,
//     Accept-Language) and [T] for handlers;
//   - embedded static files served at checksum URLs ([Static]);
//   - [Secure] (CSP, nosniff, frame and referrer policies, cross-origin
//     protection) and session-bound CSRF tokens ([CheckCSRF]);
//   - the one mapping from core.Kind to HTTP status, with HTML or JSON error
//     bodies ([Error], [HandlerFunc]);
//   - JSON helpers, Server-Sent Events ([SSE]) and small form helpers ([Form]).
//
// Any package may import web, except domain packages (internal/<svc>) and
// internal/core, which must not depend on net/http.
//
// # Wiring
//
// The app builds one Renderer from the shell and every service's assets and
// wraps its mux, outermost first:
//
//	rend, err := web.NewRenderer(web.RendererConfig{Nav: nav}, dirweb.Assets, mailweb.Assets)
//	mux.Handle("GET /static/", web.Static())
//	mux.HandleFunc("/", web.NotFound)
//	h := web.Secure(rend.Wrap(auth.Middleware(web.CSRF(mux))))
//
// # Assets of a service
//
// A service embeds its assets (//go:embed templates i18n) and passes the
// embed.FS, laid out as:
//
//	templates/<page>.html           one page: defines "title" and "content" (optionally "head")
//	templates/partials/<name>.html  {{define}}s shared by the pages of this FS
//	i18n/fr.json                    {"key": "texte"}: required for every key used
//	i18n/en.json                    {"key": "text"}: optional per key, falls back to French
//
// A page's name is its path under templates/ without ".html" (for example
// "dir/user_list"). Page names and translation keys must be unique across all
// FSs; prefix them with the service name.
package web
