// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/filter"
)

// filterAskPeople finds who a pupil's request to open a site goes to, and
// tells them by portal notice (and mail when they have an address).
type filterAskPeople struct{ a *App }

func (f filterAskPeople) GroupsOf(ctx context.Context, personID, est string) ([]string, error) {
	gs, err := f.a.db.FilterGroupsOf(ctx, personID, core.SchoolYear(f.a.clock.Now()))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range gs {
		if g.Establishment == est {
			out = append(out, g.Code)
		}
	}
	return out, nil
}

// Delegates returns the teachers of the groups who hold filter.delegate in
// est; when none does, the heads of est (who hold it by office).
func (f filterAskPeople) Delegates(ctx context.Context, est string, groups []string) ([]string, error) {
	staff, err := f.a.db.FilterGroupStaff(ctx, est, groups, core.SchoolYear(f.a.clock.Now()))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range staff {
		rec, err := f.a.db.FindLoginPerson(ctx, s.Login)
		if err != nil {
			continue
		}
		p := core.Principal{PersonID: s.ID, Login: s.Login, Profile: s.Profile, Establishments: []string{est}, Grants: rec.Grants}
		if filter.MayDelegate(p, est) {
			out = append(out, s.ID)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	heads, _, err := f.a.db.FindPeople(ctx, directory.PersonFilter{Establishments: []string{est},
		Profile: string(core.ProfileHead), State: string(directory.Active), Limit: 20})
	if err != nil {
		return nil, err
	}
	for _, h := range heads {
		out = append(out, h.ID)
	}
	return out, nil
}

func (f filterAskPeople) Name(ctx context.Context, personID string) string {
	if p, err := f.a.db.FindPerson(ctx, personID); err == nil {
		return p.DisplayName
	}
	return ""
}

func (f filterAskPeople) Notify(ctx context.Context, personID, subject, body string) error {
	return personIDNotifier{f.a}.NotifyPerson(ctx, personID, subject, body)
}

// filterZones names the network zones (rooms) of est, for the exam form.
func (a *App) filterZones(ctx context.Context, est string) ([]string, error) {
	zs, err := a.db.FindZones(ctx, est)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(zs))
	for _, z := range zs {
		out = append(out, z.Name)
	}
	return out, nil
}
