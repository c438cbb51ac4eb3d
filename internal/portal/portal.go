// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package portal is the page every user lands on: who they are, their
// establishments and groups, the services their role gives them (tiles that
// later services fill), and the page that explains how to install the
// school's certificate. It is a web-only module.
package portal

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the portal.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory is what the portal reads of the directory.
type Directory interface {
	Person(ctx context.Context, idOrLogin string) (*directory.Person, error)
	Establishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
}

// Groups lists a person's groups.
type Groups interface {
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
}

// Notices reads and acknowledges a person's portal notices.
type Notices interface {
	FindNotices(ctx context.Context, personID string, unreadOnly bool) ([]*notify.Notice, error)
	MarkNoticeRead(ctx context.Context, personID, id string) error
}

// Tile is one service shown on the portal. Title and Text are translation
// keys; Icon is a short symbol, decorative (hidden from screen readers).
type Tile struct {
	Icon, Title, Text, Href string
	Account                 bool // shown under "my account" rather than "my services"
}

// AccountTiles are the tiles every person gets: their password, sessions,
// security, data, the privacy page and the charter.
func AccountTiles() []Tile {
	return []Tile{
		{Icon: "⚷", Title: "portal.tile.password", Text: "portal.tile.password.text", Href: "/password", Account: true},
		{Icon: "✓", Title: "portal.tile.security", Text: "portal.tile.security.text", Href: "/account/security", Account: true},
		{Icon: "⇆", Title: "portal.tile.sessions", Text: "portal.tile.sessions.text", Href: "/account/sessions", Account: true},
		{Icon: "⤓", Title: "portal.tile.data", Text: "portal.tile.data.text", Href: "/account/data", Account: true},
		{Icon: "§", Title: "portal.tile.privacy", Text: "portal.tile.privacy.text", Href: "/privacy", Account: true},
		{Icon: "✎", Title: "portal.tile.charter", Text: "portal.tile.charter.text", Href: "/charter", Account: true},
	}
}

// Tiles of the services that come with a role.
var (
	TileResets   = Tile{Icon: "↺", Title: "portal.tile.resets", Text: "portal.tile.resets.text", Href: "/passwords/reset"}
	TilePictures = Tile{Icon: "▦", Title: "portal.tile.pictures", Text: "portal.tile.pictures.text", Href: "/pictures/classes"}
	TileAdmin    = Tile{Icon: "⚙", Title: "portal.tile.admin", Text: "portal.tile.admin.text", Href: "/admin/"}
)

// Deps are the collaborators of the portal.
type Deps struct {
	Directory   Directory
	Groups      Groups
	Notices     Notices
	Tiles       func(ctx context.Context, p core.Principal) []Tile // the services of this principal, in order
	CAAvailable bool                                               // a CA certificate can be downloaded
	Fingerprint string                                             // SHA-256 of the CA, for technicians to compare
	// PasswordExpiry returns when the person's password expires and
	// whether that is soon enough to warn them (INF-AUT-8); nil: never.
	PasswordExpiry func(ctx context.Context, p *directory.Person) (at time.Time, soon bool)
}

// Handler serves the portal.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// New returns the portal handler.
func New(deps Deps, rd *web.Renderer) *Handler { return &Handler{deps: deps, rd: rd} }

// Routes registers the portal pages. home must be wrapped by the caller so
// that anonymous visitors are sent to the login page.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin func(http.Handler) http.Handler) {
	mux.Handle("GET /{$}", requireLogin(web.HandlerFunc(h.home)))
	mux.HandleFunc("GET /ca", h.caPage)
	mux.Handle("POST /notices/{id}/read", requireLogin(web.HandlerFunc(h.readNotice)))
}

// readNotice marks one of the principal's notices read.
func (h *Handler) readNotice(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	if err := h.deps.Notices.MarkNoticeRead(r.Context(), p.PersonID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

type homeView struct {
	Person         *directory.Person
	Establishments []*directory.Establishment
	Groups         []directory.PersonGroup
	Tiles          []Tile // services
	AccountTiles   []Tile
	Notices        []*notify.Notice
	Admin          bool
	ExpiresAt      time.Time // set when the password expires soon
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	person, err := h.deps.Directory.Person(ctx, p.PersonID)
	if err != nil {
		return err
	}
	v := homeView{Person: person, Admin: p.IsAdmin()}
	for _, id := range person.Establishments {
		if e, err := h.deps.Directory.Establishment(ctx, id); err == nil {
			v.Establishments = append(v.Establishments, e)
		}
	}
	if v.Groups, err = h.deps.Groups.FindMemberships(ctx, person.ID); err != nil {
		return err
	}
	if v.Notices, err = h.deps.Notices.FindNotices(ctx, person.ID, true); err != nil {
		return err
	}
	if h.deps.PasswordExpiry != nil {
		if at, soon := h.deps.PasswordExpiry(ctx, person); soon {
			v.ExpiresAt = at
		}
	}
	if h.deps.Tiles != nil {
		for _, t := range h.deps.Tiles(ctx, p) {
			if t.Account {
				v.AccountTiles = append(v.AccountTiles, t)
			} else {
				v.Tiles = append(v.Tiles, t)
			}
		}
	}
	h.rd.Page(w, r, http.StatusOK, "portal/home", v)
	return nil
}

type caView struct {
	Available   bool
	Fingerprint string
}

func (h *Handler) caPage(w http.ResponseWriter, r *http.Request) {
	h.rd.Page(w, r, http.StatusOK, "portal/ca", caView{Available: h.deps.CAAvailable, Fingerprint: h.deps.Fingerprint})
}
