// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
)

// Grant gives a right to a person in an establishment. The head of that
// establishment (the root of rights in CARINE) or an operator may grant;
// only an operator may grant the operator right. The grant is journaled.
func (s *Service) Grant(ctx context.Context, g *Grant) error {
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPerson(ctx, g.PersonID)
	if err != nil {
		return err
	}
	if !slices.Contains(core.KnownRights, g.Right) {
		return core.E("directory.Grant", core.Invalid, "right %q is unknown", clip(string(g.Right)))
	}
	allowed := p.Operator() || (g.Right != core.RightOperator && g.Establishment != "" &&
		p.Profile == core.ProfileHead && p.AttachedTo(g.Establishment))
	if g.Right == core.RightOperator {
		g.Establishment = ""
	} else if g.Establishment == "" || !slices.Contains(person.Establishments, g.Establishment) {
		return core.E("directory.Grant", core.Invalid, "a right is granted in one of the person's establishments")
	}
	if !allowed {
		return s.refuse(ctx, chainOf([]string{g.Establishment}), "directory.grant.create", "person", person.ID, person.Login,
			[]string{string(g.Right)}, "only the head of the establishment may grant rights")
	}
	g.ID = core.NewID()
	g.GrantedBy = p.Login
	if g.From.IsZero() {
		g.From = s.clock.Now()
	}
	if !g.Until.IsZero() && !g.Until.After(g.From) {
		return core.E("directory.Grant", core.Invalid, "the end date must be after the start date")
	}
	return s.store.CreateGrant(ctx, g)
}

// GrantsInForce returns the grants of a person that apply now, as the
// principal carries them.
func (s *Service) GrantsInForce(ctx context.Context, personID string) ([]core.Grant, error) {
	gs, err := s.store.FindGrants(ctx, personID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []core.Grant
	for _, g := range gs {
		if g.InForce(now) {
			out = append(out, core.Grant{Right: g.Right, Establishment: g.Establishment})
		}
	}
	return out, nil
}

// PutZone creates or replaces a network zone of an establishment.
func (s *Service) PutZone(ctx context.Context, z *Zone) error {
	p := core.PrincipalFromContext(ctx)
	if !p.CanAdminister(z.Establishment) {
		return s.refuse(ctx, z.Establishment, "directory.zone.put", "zone", "", z.Name, []string{"cidrs"},
			"only an administrator of the establishment may change its network zones")
	}
	if err := checkText("zone name", z.Name, 1, 32); err != nil {
		return err
	}
	if len(z.CIDRs) == 0 {
		return core.E("directory.PutZone", core.Invalid, "a zone needs at least one address range")
	}
	if z.ID == "" {
		z.ID = core.NewID()
	}
	z.UpdatedAt = time.Time{}
	return s.store.PutZone(ctx, z)
}
