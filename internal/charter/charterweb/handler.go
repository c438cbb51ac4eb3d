// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package charterweb is the web face of the policy documents: a person's
// documents (/charter), the acceptance page and the Gate that sends a
// logged-in person there while a current version they must accept is not
// accepted, and the console pages where heads and technical admins write
// drafts, heads publish, and both follow acceptance per profile.
package charterweb

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Establishments reads establishments for their names.
type Establishments interface {
	// Establishment returns one establishment the principal may see.
	Establishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	// Establishments lists those the principal may see (all, for operators).
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Deps are the collaborators of the Handler. All are required.
type Deps struct {
	Charter        *charter.Service
	Establishments Establishments
	Renderer       *web.Renderer
	Log            *slog.Logger
}

// Handler serves the charter pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer

	mu       sync.Mutex
	rendered map[string]template.HTML // published version → HTML
}

var pages = []string{"charter/mine", "charter/accept", "charter/refused", "charter/view", "charter/admin",
	"charter/edit", "charter/publish", "charter/stats"}

// New returns the handler; it fails when a page template is missing.
func New(deps Deps) (*Handler, error) {
	if err := deps.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Handler{deps: deps, rd: deps.Renderer, rendered: map[string]template.HTML{}}, nil
}

// Routes registers the pages: the personal ones behind requireLogin, the
// console behind requireAdmin.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET /charter", requireLogin(web.HandlerFunc(h.mine)))
	mux.Handle("GET /charter/accept", requireLogin(web.HandlerFunc(h.acceptPage)))
	mux.Handle("POST /charter/accept", requireLogin(web.HandlerFunc(h.accept)))
	mux.Handle("GET /charter/refused", requireLogin(web.HandlerFunc(h.refused)))
	mux.Handle("GET /charter/{est}/{kind}", requireLogin(web.HandlerFunc(h.view)))
	mux.Handle("GET /admin/charter", requireAdmin(web.HandlerFunc(h.admin)))
	mux.Handle("POST /admin/charter/cgu", requireAdmin(web.HandlerFunc(h.newCGU)))
	mux.Handle("GET /admin/charter/stats", requireAdmin(web.HandlerFunc(h.stats)))
	mux.Handle("GET /admin/charter/{kind}/edit", requireAdmin(web.HandlerFunc(h.editPage)))
	mux.Handle("POST /admin/charter/{kind}/edit", requireAdmin(web.HandlerFunc(h.save)))
	mux.Handle("GET /admin/charter/{kind}/publish", requireAdmin(web.HandlerFunc(h.publishPage)))
	mux.Handle("POST /admin/charter/{kind}/publish", requireAdmin(web.HandlerFunc(h.publish)))
}

// docView is a document as shown to a reader: its version, its rendered
// body and the annex when its kind carries one.
type docView struct {
	EstID, EstName string
	Kind           charter.Kind
	Version        *charter.Version // nil for the built-in default
	Title          string
	HTML           template.HTML
	Annex          []charter.Section
	MustAccept     bool
	Accepted       *charter.Acceptance
}

func (h *Handler) estName(ctx context.Context, id string) string {
	if e, err := h.deps.Establishments.Establishment(ctx, id); err == nil {
		return e.Name
	}
	return id
}

// render turns a version into what a reader sees. Bodies were validated
// when saved and goldmark runs in safe mode, so the HTML is trusted.
func (h *Handler) render(ctx context.Context, v *charter.Version, withAnnex bool) docView {
	d := docView{EstID: v.Establishment, EstName: h.estName(ctx, v.Establishment), Kind: v.Kind, Version: v,
		Title: v.Title, HTML: h.html(v)}
	if withAnnex && v.Kind.HasAnnex() {
		d.Annex = h.deps.Charter.Annex(ctx, v.Establishment)
	}
	return d
}

// html renders a version's body, once per published version: published
// versions never change, and the gate shows them to everyone.
func (h *Handler) html(v *charter.Version) template.HTML {
	key := ""
	if !v.Draft() {
		key = refValue(v) + "|" + v.PublishedAt.String()
		h.mu.Lock()
		out, ok := h.rendered[key]
		h.mu.Unlock()
		if ok {
			return out
		}
	}
	out := template.HTML(charter.Render(v.Body)) // #nosec G203 -- validated when saved, safe-mode goldmark
	if key != "" {
		h.mu.Lock()
		if len(h.rendered) > 1000 {
			clear(h.rendered)
		}
		h.rendered[key] = out
		h.mu.Unlock()
	}
	return out
}

func (h *Handler) defaultDoc(ctx context.Context, est string, k charter.Kind) docView {
	title, body := charter.Default(k)
	v := &charter.Version{Establishment: est, Kind: k, Title: title, Body: body}
	d := h.render(ctx, v, true)
	d.Version = nil
	return d
}

// kindName is the name of a kind in the language of ctx.
func kindName(ctx context.Context, k charter.Kind) string {
	if s := k.Service(); s != "" {
		return web.T(ctx, "charter.kind.cgu", s)
	}
	return web.T(ctx, "charter.kind."+string(k))
}

// safeNext keeps only local paths, so that the accept page cannot send
// the browser to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	if strings.HasPrefix(next, "/charter/accept") {
		return "/"
	}
	return next
}

// problemMessage translates a validation problem of a draft.
func problemMessage(ctx context.Context, err error) (field, msg string) {
	var pr *charter.Problem
	if errors.As(err, &pr) {
		return pr.Field, web.T(ctx, "charter.problem."+pr.Code, pr.Args...)
	}
	return "body", core.MessageOf(err)
}
