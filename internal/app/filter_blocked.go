// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter/filterweb"
	"github.com/preau/preau/internal/logs"
)

// filterBlocked reads the proxy's and the DNS filter's block decisions of
// the pupils of group since since from the log store (sealed segments: the
// last seal interval is not seen), aggregated by site and category, with
// the number of pupils but never their names: a teacher holds no
// justification to read one person's connection records (MCO-JAL-6). The
// consultation is journaled before anything is shown (logs.search, format
// "aggregate").
func (a *App) filterBlocked(ctx context.Context, est, group string, since time.Time) (filterweb.BlockedReport, error) {
	var rep filterweb.BlockedReport
	if a.logs == nil {
		return rep, nil
	}
	rep.Available = true
	pupils, err := a.db.FilterGroupMembers(ctx, est, []string{group}, core.SchoolYear(a.clock.Now()))
	if err != nil {
		return rep, err
	}
	q := logs.Query{Since: since, Classes: []logs.Class{logs.ClassConnection}, Establishments: []string{est}, Limit: 10000}
	res, err := a.logs.Search(ctx, q)
	if err != nil {
		return rep, err
	}
	type key struct{ site, cat string }
	counts := map[key]int{}
	who := map[key]map[string]bool{}
	for _, r := range res.Records {
		if r.Action != "block" || r.User == "" {
			continue
		}
		if _, ok := pupils[r.User]; !ok {
			continue
		}
		k := key{siteOf(r.Object), r.Fields["category"]}
		counts[k]++
		if who[k] == nil {
			who[k] = map[string]bool{}
		}
		who[k][r.User] = true
		rep.Requests++
	}
	rep.Truncated = res.More
	if err := a.db.JournalLogAccess(ctx, logs.Access{Establishment: est, Action: "search", Query: q,
		Format: "aggregate:group=" + group + ",no-names", Records: rep.Requests}); err != nil {
		return filterweb.BlockedReport{}, err
	}
	for k, n := range counts {
		rep.Sites = append(rep.Sites, filterweb.BlockedSite{Site: k.site, Category: k.cat, Requests: n, Pupils: len(who[k])})
	}
	slices.SortFunc(rep.Sites, func(x, y filterweb.BlockedSite) int {
		if x.Requests != y.Requests {
			return y.Requests - x.Requests
		}
		return strings.Compare(x.Site, y.Site)
	})
	return rep, nil
}

// siteOf is the host of a record's object: a URL (plain HTTP), a
// host:port (CONNECT) or a host (DNS).
func siteOf(obj string) string {
	if strings.Contains(obj, "://") {
		if u, err := url.Parse(obj); err == nil {
			return u.Hostname()
		}
	}
	if h, _, err := net.SplitHostPort(obj); err == nil {
		return h
	}
	return strings.TrimSuffix(obj, ".")
}
