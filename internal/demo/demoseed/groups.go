// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demoseed

import (
	"context"
	"fmt"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory"
)

// groups creates each establishment's groups (one transaction per
// establishment) and then its memberships (one more), skipping what an
// earlier run committed; AddMembers is idempotent.
func (s *Seeder) groups(ctx context.Context, d *demo.Deployment, ests map[string]string, ids map[string]string) error {
	total := 0
	for _, e := range d.Establishments {
		total += len(e.Groups)
	}
	done := 0
	for _, e := range d.Establishments {
		est := ests[e.UAI]
		keyToLogin := map[string]string{}
		for _, p := range e.People {
			keyToLogin[p.Key] = p.Login
		}
		existing, err := s.Store.FindGroups(ctx, directory.GroupFilter{Establishment: est})
		if err != nil {
			return err
		}
		byCode := map[string]string{}
		for _, g := range existing {
			byCode[g.Code] = g.ID
		}
		if len(existing) == 0 && len(e.Groups) > 0 {
			var gs []*directory.Group
			for _, dg := range e.Groups {
				g := &directory.Group{ID: core.NewID(), Establishment: est, Code: dg.Code, Name: dg.Name,
					Kind: directory.GroupKind(dg.Kind), SchoolYear: d.SchoolYear, Level: dg.Level}
				if err := g.Validate(); err != nil {
					return fmt.Errorf("demo group %s: %w", dg.Code, err)
				}
				gs = append(gs, g)
				byCode[g.Code] = g.ID
			}
			if err := s.Store.CreateGroups(ctx, gs); err != nil {
				return err
			}
		}
		var ms []directory.Membership
		for _, dg := range e.Groups {
			gid := byCode[dg.Code]
			for _, rk := range []struct {
				role string
				keys []string
			}{{directory.RoleMember, dg.Members}, {directory.RoleOwner, dg.Owners}} {
				role := rk.role
				for _, k := range rk.keys {
					pid := ids[keyToLogin[k]]
					if pid == "" || gid == "" {
						return fmt.Errorf("demo group %s: unknown member %s", dg.Code, k)
					}
					ms = append(ms, directory.Membership{GroupID: gid, PersonID: pid, Role: role})
				}
			}
		}
		if err := s.Store.AddMembers(ctx, ms); err != nil {
			return err
		}
		done += len(e.Groups)
		s.report(Progress{Stage: "groups", Done: done, Total: total})
	}
	return nil
}
