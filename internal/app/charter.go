// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/charter/charterweb"
	"github.com/preau/preau/internal/web"
)

// charterPages builds the policy documents' service, with the technical
// annex read from the live settings, and its pages.
func (a *App) charterPages(rd *web.Renderer) (*charterweb.Handler, error) {
	sources := []charter.Source{
		charter.PasswordSource(a.auth.Policies, a.auth.ForgottenPasswordText),
		charter.PrivateSource(nil), // no extra marker words are configurable yet
		a.logAnnexSource(),
		charter.MailForwardingSource(),
	}
	sources = append(sources, a.backupAnnex(), charter.QuotaSource(func(ctx context.Context, est string) (charter.Quotas, error) {
		p, g, d := a.files.DefaultQuotas(ctx, est)
		return charter.Quotas{Personal: p, Group: g, Documents: d}, nil
	}))
	sources = append(sources, charter.FilterSource(a.filterAnnex))
	sources = append(sources, charter.BreakGlassSource())
	svc := charter.New(charter.Deps{Store: a.db, Journal: a.db.Journal, Sources: sources, Clock: a.clock,
		Log: a.log.With("svc", "charter")})
	a.charter = svc
	return charterweb.New(charterweb.Deps{Charter: svc, Establishments: a.dir, Renderer: rd, Log: a.log})
}
