// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"net/http"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/privacy"
	"github.com/preau/preau/internal/privacy/privacyweb"
	"github.com/preau/preau/internal/web"
)

// portalTiles lists the services of a principal on the portal: those of
// their role first, then their account's. Later services add theirs here.
func (a *App) portalTiles(ctx context.Context, p core.Principal) []portal.Tile {
	var tiles []portal.Tile
	if p.Profile == core.ProfileTeacher || p.IsAdmin() {
		tiles = append(tiles, portal.TileResets)
		// Picture login is for the pupils of écoles.
		if p.Operator() || slices.ContainsFunc(p.Establishments, func(id string) bool {
			e, err := a.db.FindEstablishment(ctx, id)
			return err == nil && e.Type == directory.Ecole
		}) {
			tiles = append(tiles, portal.TilePictures)
		}
	}
	if p.IsAdmin() {
		tiles = append(tiles, portal.TileAdmin)
	}
	return append(tiles, portal.AccountTiles()...)
}

// privacyPages builds the "my data", privacy and data-controller pages.
func (a *App) privacyPages(rd *web.Renderer) (*privacyweb.Handler, error) {
	return privacyweb.New(privacyweb.Deps{
		Service: privacy.New(a.db, a.db, a.clock),
		Export: privacy.Deps{Source: a.db, Clock: a.clock,
			PasswordExpired: func(ctx context.Context, p *directory.Person) bool { return a.auth.PasswordExpired(ctx, p) }},
		Journal:   a.db.Journal,
		Directory: a.dir,
		Retention: privacyweb.Retention{LeaverGrace: a.cfg.Directory.LeaverGrace, Journal: a.cfg.Journal.Retention,
			SessionMax: a.cfg.Auth.SessionMax},
	}, rd)
}

// routePrivacy mounts the privacy pages on mux.
func (a *App) routePrivacy(mux *http.ServeMux, rd *web.Renderer, requireLogin, requireAdmin func(http.Handler) http.Handler) error {
	h, err := a.privacyPages(rd)
	if err != nil {
		return err
	}
	h.Routes(mux, requireLogin, requireAdmin)
	return nil
}
