// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin

import (
	"context"
	"net/http"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// Stats counts people for the dashboard charts.
type Stats interface {
	// PeopleStats counts the people of ests (nil: every establishment)
	// by profile, state and pending password change.
	PeopleStats(ctx context.Context, ests []string) ([]directory.PeopleCount, error)
}

// ChartSource adds charts to the dashboard, after the directory's. Later
// services plug theirs in here (the charter's acceptance per profile, for
// one), building a web.Chart from their own grouped count, with labels
// translated by web.T(r.Context(), …).
type ChartSource func(r *http.Request) ([]web.Chart, error)

// statsScope returns the establishments whose people the principal's
// dashboard counts: nil (all) for an operator.
func statsScope(p core.Principal) []string {
	if p.Operator() {
		return nil
	}
	out := []string{}
	for _, e := range p.Establishments {
		if p.CanAdminister(e) {
			out = append(out, e)
		}
	}
	return out
}

// accountStates lists the states in the order the chart shows them.
var accountStates = []directory.State{directory.Active, directory.Pending, directory.Disabled, directory.ToDelete}

// PeopleCharts draws the directory's charts from one grouped count: people
// per profile, accounts per state, and the share of each profile's usable
// accounts (active or pending) that must still change their password.
func PeopleCharts(ctx context.Context, counts []directory.PeopleCount) []web.Chart {
	t := func(key string, args ...any) string { return web.T(ctx, key, args...) }
	byProfile := map[core.Profile]int{}
	byState := map[directory.State]int{}
	pending := map[core.Profile][2]int{} // must change, done
	for _, c := range counts {
		byProfile[c.Profile] += c.N
		byState[c.State] += c.N
		if c.State == directory.Active || c.State == directory.Pending {
			v := pending[c.Profile]
			if c.MustChange {
				v[0] += c.N
			} else {
				v[1] += c.N
			}
			pending[c.Profile] = v
		}
	}
	var labels []string
	var values []int
	pw := web.Chart{Title: t("admin.chart.password.title"), Desc: t("admin.chart.password.desc"), Percent: true,
		Series: []string{t("admin.chart.password.pending"), t("admin.chart.password.done")}}
	for _, p := range core.Profiles {
		if byProfile[p] == 0 {
			continue
		}
		labels = append(labels, t("admin.profile."+string(p)))
		values = append(values, byProfile[p])
		if v := pending[p]; v[0]+v[1] > 0 {
			pw.Rows = append(pw.Rows, web.ChartRow{Label: t("admin.profile." + string(p)), Values: v[:]})
		}
	}
	people := web.Bars(t("admin.chart.people.title"), t("admin.chart.people.desc"), labels, values)
	labels, values = nil, nil
	for _, s := range accountStates {
		labels = append(labels, t("admin.state."+string(s)))
		values = append(values, byState[s])
	}
	states := web.Bars(t("admin.chart.states.title"), t("admin.chart.states.desc"), labels, values)
	return []web.Chart{people, states, pw}
}

// peopleCountJSON is one row of /api/v1/stats/people.
type peopleCountJSON struct {
	Profile    core.Profile    `json:"profile"`
	State      directory.State `json:"state"`
	MustChange bool            `json:"must_change"`
	Count      int             `json:"count"`
}

// peopleStatsAPI answers the dashboard's grouped count as JSON, for the
// head's own reports and surveys (MCO-SEI-6): counts only, no person.
func (h *Handler) peopleStatsAPI(w http.ResponseWriter, r *http.Request) error {
	if h.deps.Stats == nil {
		return core.E("admin.peopleStatsAPI", core.Unavailable, "statistics are not available")
	}
	counts, err := h.deps.Stats.PeopleStats(r.Context(), statsScope(core.PrincipalFromContext(r.Context())))
	if err != nil {
		return err
	}
	out := make([]peopleCountJSON, 0, len(counts))
	for _, c := range counts {
		out = append(out, peopleCountJSON{Profile: c.Profile, State: c.State, MustChange: c.MustChange, Count: c.N})
	}
	return web.JSON(w, http.StatusOK, map[string]any{"counts": out})
}
