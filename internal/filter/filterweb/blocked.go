// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/web"
)

// BlockedPath is "what is being blocked right now in my lesson".
const BlockedPath = "/filter/blocked"

// BlockedSite is the block decisions for one site and category.
type BlockedSite struct {
	Site, Category string
	Requests       int
	Pupils         int // how many different pupils, never who
}

// BlockedReport aggregates the recent block decisions of a group's pupils.
type BlockedReport struct {
	Sites     []BlockedSite
	Requests  int
	Truncated bool // more records than one read returns: counts are a floor
	Available bool // false when this server keeps no log store
}

// BlockedReader reads the log store's connection records of est since
// since for the pupils of group, aggregated by site and category without
// names (a teacher holds no justification to read people's records,
// MCO-JAL-6), and journals the consultation.
type BlockedReader func(ctx context.Context, est, group string, since time.Time) (BlockedReport, error)

var blockedWindows = []int{15, 30, 60, 120}

type blockedView struct {
	Groups  []option
	Group   string
	Minutes int
	Windows []int
	Report  BlockedReport
	Since   time.Time
	Error   string
}

func (h *Handler) blocked(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	gs, err := h.d.Service.Targets(ctx, est)
	if err != nil {
		return err
	}
	v := &blockedView{Windows: blockedWindows, Minutes: 30}
	for _, g := range gs {
		v.Groups = append(v.Groups, option{Value: g.Code, Label: g.Name + " (" + g.Code + ")"})
	}
	q := r.URL.Query()
	if m, err := strconv.Atoi(q.Get("minutes")); err == nil && slices.Contains(blockedWindows, m) {
		v.Minutes = m
	}
	v.Group = q.Get("group")
	if v.Group == "" {
		v.Group = h.currentGroup(ctx, est, gs)
	}
	status := http.StatusOK
	if v.Group != "" {
		if !slices.ContainsFunc(v.Groups, func(o option) bool { return o.Value == v.Group }) {
			v.Error, status = web.T(ctx, "filter.err.not_your_group"), http.StatusForbidden
		} else {
			v.Since = h.d.Clock.Now().Add(-time.Duration(v.Minutes) * time.Minute)
			if v.Report, err = h.d.Blocked(ctx, est, v.Group, v.Since); err != nil {
				return err
			}
		}
	}
	h.rd.Page(w, r, status, "filter/blocked", v)
	return nil
}

// currentGroup guesses the class being taught now (Préau has no timetable):
// the group of a rule the reader started that is in force, or their only
// group; "" when it cannot tell.
func (h *Handler) currentGroup(ctx context.Context, est string, gs []filter.GroupRef) string {
	p := core.PrincipalFromContext(ctx)
	now := h.d.Clock.Now()
	if os, err := h.d.Service.InForce(ctx, est, gs); err == nil {
		for i := len(os) - 1; i >= 0; i-- {
			if os[i].AuthorLogin == p.Login && os[i].Active(now) && !strings.HasPrefix(os[i].Target, "zone:") {
				return os[i].Target
			}
		}
	}
	if len(gs) == 1 {
		return gs[0].Code
	}
	return ""
}
