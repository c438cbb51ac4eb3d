// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/files/filesweb"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/privacy"
	"github.com/preau/preau/internal/privacy/privacyweb"
	"github.com/preau/preau/internal/web"
)

// portalTiles lists the services of a principal on the portal: those of
// their role first, then their account's. Later services add theirs here.
func (a *App) portalTiles(ctx context.Context, p core.Principal) []portal.Tile {
	tiles := []portal.Tile{filesweb.Tile}
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
	tiles = append(tiles, monitorTiles(p)...)
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

// maxCharterCharts bounds the charter charts of the console's home (an
// operator attached to many establishments reads the others on /admin/charter).
const maxCharterCharts = 4

// charterCharts draws, on the console's home, the share of each profile
// that accepted the current charter, for each establishment the principal
// administers.
func (a *App) charterCharts() admin.ChartSource {
	svc := charter.New(charter.Deps{Store: a.db, Journal: a.db.Journal, Clock: a.clock, Log: a.log.With("svc", "charter")})
	return func(r *http.Request) ([]web.Chart, error) {
		ctx := r.Context()
		p := core.PrincipalFromContext(ctx)
		var ests []string
		for _, e := range p.Establishments {
			if p.CanAdminister(e) && len(ests) < maxCharterCharts {
				ests = append(ests, e)
			}
		}
		t := func(key string, args ...any) string { return web.T(ctx, key, args...) }
		var out []web.Chart
		for _, est := range ests {
			cur, stats, err := svc.Stats(ctx, est, charter.KindCharte)
			if err != nil {
				return nil, err
			}
			c := web.Chart{Title: t("admin.chart.charter.title"), Desc: t("admin.chart.charter.desc"), Percent: true,
				Series: []string{t("admin.chart.charter.accepted"), t("admin.chart.charter.pending")},
				Empty:  t("admin.chart.charter.none")}
			if len(ests) > 1 {
				if e, err := a.db.FindEstablishment(ctx, est); err == nil {
					c.Title += " — " + e.Name
				}
			}
			if cur != nil {
				for _, s := range stats {
					if s.People > 0 {
						c.Rows = append(c.Rows, web.ChartRow{Label: t("admin.profile." + string(s.Profile)),
							Values: []int{s.Accepted, s.People - s.Accepted}})
					}
				}
			}
			out = append(out, c)
		}
		return out, nil
	}
}

// passwordWarning is how long before their password expires people are
// warned on the portal (INF-AUT-8).
const passwordWarning = 14 * 24 * time.Hour

// passwordExpiry tells the portal when a person's password expires, and
// whether within passwordWarning.
func (a *App) passwordExpiry(ctx context.Context, p *directory.Person) (time.Time, bool) {
	at, ok := a.auth.PasswordExpiresAt(ctx, p)
	return at, ok && at.Sub(a.clock.Now()) < passwordWarning
}
