// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

// filterAnnex reads what the charter annex says of est's filtering: the
// settings stored for est, else the deployment's, else the defaults (as
// filter.Service.Settings), the national layer and the last lists import.
func (a *App) filterAnnex(ctx context.Context, est string) (charter.FilterPolicy, error) {
	var p charter.FilterPolicy
	docs, err := a.db.FilterSettings(ctx)
	if err != nil {
		return p, err
	}
	st, found := filter.DefaultSettings(), false
	for _, scope := range []string{est, store.FilterScopeDefault} {
		if doc, ok := docs[scope]; ok && !found {
			var s filter.Settings
			if json.Unmarshal([]byte(doc), &s) == nil {
				st, found = s, true
			}
		}
	}
	var national filter.National
	if doc, ok := docs[store.FilterScopeNational]; ok {
		_ = json.Unmarshal([]byte(doc), &national) // unreadable: the reload logs it
	}
	lists := a.filterNodeOf().eng.Lists()
	label := func(name string) string {
		if lists != nil {
			if c, ok := lists.Category(name); ok && c.Label("fr") != name {
				return c.Label("fr") + " (" + name + ")"
			}
		}
		return name
	}
	for _, pr := range st.Profiles {
		if !slices.Contains(pr.Applies, core.ProfilePupil) {
			continue
		}
		for _, c := range pr.BlockCategories {
			p.PupilBlocked = append(p.PupilBlocked, label(c))
		}
		p.SafeSearch = pr.SafeSearch
		break
	}
	for _, c := range national.Categories {
		p.National = append(p.National, label(c))
	}
	if a.logs != nil { // access records go to the log store, kept as connection data
		policy, err := retentionPolicy(ctx, a.db)
		if err != nil {
			return p, err
		}
		p.RecordDays = policy(logs.Stream{Class: logs.ClassConnection, Establishment: est})
	}
	im, err := a.db.LastFilterImport(ctx)
	switch {
	case err == nil:
		p.ListsDate = im.At
	case !core.IsKind(err, core.NotFound):
		return p, err
	}
	return p, nil
}

// filterFacts gives the compliance report the filter's facts: the last
// lists import and whether the proxy and the DNS filter are configured.
type filterFacts struct{ b *base }

func (f filterFacts) FilterFacts(ctx context.Context) (*compliance.FilterFacts, error) {
	l := f.b.cfg.Listen
	out := &compliance.FilterFacts{Proxy: l.Proxy != "" || l.ProxyTLS != "", DNS: l.DNS != ""}
	im, err := f.b.db.LastFilterImport(ctx)
	switch {
	case err == nil:
		out.ListsAt, out.Source, out.Categories, out.Domains, out.URLs = im.At, im.Source, im.Categories, im.Domains, im.URLs
	case !core.IsKind(err, core.NotFound):
		return nil, err
	}
	return out, nil
}
