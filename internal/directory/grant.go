// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
)

// Grant gives a right to a person or to a group of an establishment. The
// head of that establishment (the root of rights in CARINE) or an operator
// may grant; a technical admin may not, not even to themself; only an
// operator may grant the operator right. A right that CARINE binds to a
// network zone (core.RequiredZone) is bound to it whatever was asked; any
// other right may be bound to a zone the establishment defines. The grant,
// or the refusal, is journaled.
func (s *Service) Grant(ctx context.Context, g *Grant) error {
	const op = "directory.Grant"
	p := core.PrincipalFromContext(ctx)
	if !slices.Contains(core.KnownRights, g.Right) {
		return core.E(op, core.Invalid, "right %q is unknown", clip(string(g.Right)))
	}
	if (g.PersonID == "") == (g.GroupID == "") {
		return core.E(op, core.Invalid, "a right is granted to one person or to one group")
	}
	targetType, targetID, targetName := "person", g.PersonID, ""
	if g.GroupID != "" {
		if g.Right == core.RightOperator {
			return core.E(op, core.Invalid, "the operator right is granted to a person, never to a group")
		}
		gs, err := s.store.FindGroups(ctx, GroupFilter{ID: g.GroupID})
		if err != nil {
			return err
		}
		if len(gs) == 0 {
			return core.E(op, core.NotFound, "no such group")
		}
		if gs[0].Establishment != g.Establishment {
			return core.E(op, core.Invalid, "a right is granted to a group of the same establishment")
		}
		targetType, targetID, targetName = "group", g.GroupID, gs[0].Name
	} else {
		person, err := s.store.FindPerson(ctx, g.PersonID)
		if err != nil {
			return err
		}
		targetName = person.Login
		if g.Right == core.RightOperator {
			g.Establishment = ""
		} else if g.Establishment == "" || !slices.Contains(person.Establishments, g.Establishment) {
			return core.E(op, core.Invalid, "a right is granted in one of the person's establishments")
		}
	}
	allowed := p.Operator() || (g.Right != core.RightOperator && g.Establishment != "" &&
		p.Profile == core.ProfileHead && p.AttachedTo(g.Establishment))
	if !allowed {
		return s.refuse(ctx, chainOf([]string{g.Establishment}), "directory.grant.create", targetType, targetID, targetName,
			[]string{string(g.Right)}, "only the head of the establishment may grant rights")
	}
	if err := s.checkGrantZone(ctx, g); err != nil {
		return err
	}
	g.ID = core.NewID()
	g.GrantedBy = p.Login
	if g.From.IsZero() {
		g.From = s.clock.Now()
	}
	if !g.Until.IsZero() && !g.Until.After(g.From) {
		return core.E(op, core.Invalid, "the end date must be after the start date")
	}
	return s.store.CreateGrant(ctx, g)
}

// checkGrantZone binds g to the zone its right demands, or checks that the
// zone asked exists in the establishment.
func (s *Service) checkGrantZone(ctx context.Context, g *Grant) error {
	const op = "directory.Grant"
	if z := core.RequiredZone(g.Right); z != "" {
		if g.Zone != "" && g.Zone != z {
			return core.E(op, core.Invalid, "right %s can only be used from the %q zone", g.Right, z)
		}
		g.Zone = z
		return nil
	}
	if g.Zone == "" {
		return nil
	}
	if g.Establishment == "" {
		return core.E(op, core.Invalid, "a deployment-wide right cannot be bound to a zone")
	}
	zs, err := s.store.FindZones(ctx, g.Establishment)
	if err != nil {
		return err
	}
	for _, z := range zs {
		if z.Name == g.Zone {
			return nil
		}
	}
	return core.E(op, core.Invalid, "zone %q is not defined in this establishment: define its address ranges first", clip(g.Zone))
}

// Revoke ends a grant of establishment est now. Only the head of est or an
// operator may; a refusal is journaled.
func (s *Service) Revoke(ctx context.Context, est, id string) error {
	p := core.PrincipalFromContext(ctx)
	gs, err := s.store.FindEstablishmentGrants(ctx, est)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(gs, func(g *Grant) bool { return g.ID == id })
	if i < 0 || !gs[i].RevokedAt.IsZero() {
		return core.E("directory.Revoke", core.NotFound, "no such grant in force in this establishment")
	}
	if !p.Operator() && !(p.Profile == core.ProfileHead && p.AttachedTo(est)) {
		g := gs[i]
		targetType, targetID := "person", g.PersonID
		if g.GroupID != "" {
			targetType, targetID = "group", g.GroupID
		}
		return s.refuse(ctx, est, "directory.grant.revoke", targetType, targetID, g.TargetName,
			[]string{string(g.Right)}, "only the head of the establishment may revoke rights")
	}
	return s.store.RevokeGrant(ctx, id)
}

// Grants lists the grants of an establishment, to people and groups, in
// force or not, for those who administer it.
func (s *Service) Grants(ctx context.Context, est string) ([]*Grant, error) {
	if !core.PrincipalFromContext(ctx).CanAdminister(est) {
		return nil, core.E("directory.Grants", core.Permission, "only the administrators of the establishment see its rights")
	}
	return s.store.FindEstablishmentGrants(ctx, est)
}

// GrantsInForce returns the grants of a person that apply now, theirs and
// their groups', as the principal carries them.
func (s *Service) GrantsInForce(ctx context.Context, personID string) ([]core.Grant, error) {
	gs, err := s.store.FindGrants(ctx, personID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []core.Grant
	for _, g := range gs {
		if g.InForce(now) {
			out = append(out, core.Grant{Right: g.Right, Establishment: g.Establishment, Zone: g.Zone})
		}
	}
	return out, nil
}

// RightSource explains why a person holds a right: "grant" (given to
// them), "group" (given to a group they belong to), "head" (heads hold
// every right of their establishments) or "operator".
type RightSource struct {
	Right         core.Right
	Establishment string
	Zone          string // the zone the right holds from; "" for any
	Via           string
	GroupName     string
	GrantedBy     string
	From, Until   time.Time
}

// EffectiveRights explains every right a person holds now, one line per
// source, for the person themself and for those who administer one of
// their establishments.
func (s *Service) EffectiveRights(ctx context.Context, personID string) ([]RightSource, error) {
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPerson(ctx, personID)
	if err != nil {
		return nil, err
	}
	if p.PersonID != person.ID && !slices.ContainsFunc(person.Establishments, p.CanAdminister) && !p.Operator() {
		return nil, core.E("directory.EffectiveRights", core.Permission, "only the person and their administrators see their rights")
	}
	gs, err := s.store.FindGrants(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []RightSource
	seen := map[string]bool{}
	for _, g := range gs {
		if !g.InForce(now) || seen[g.ID] {
			continue
		}
		seen[g.ID] = true
		src := RightSource{Right: g.Right, Establishment: g.Establishment, Zone: g.Zone, Via: "grant",
			GrantedBy: g.GrantedBy, From: g.From, Until: g.Until}
		if g.Right == core.RightOperator {
			src.Via = "operator"
		}
		if g.GroupID != "" {
			src.Via, src.GroupName = "group", g.TargetName
		}
		out = append(out, src)
	}
	if person.Profile == core.ProfileHead {
		for _, est := range person.Establishments {
			for _, r := range core.KnownRights {
				if r != core.RightOperator {
					out = append(out, RightSource{Right: r, Establishment: est, Zone: core.RequiredZone(r), Via: "head"})
				}
			}
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
	if err := checkZoneName(z.Name); err != nil {
		return err
	}
	if len(z.CIDRs) == 0 {
		return core.E("directory.PutZone", core.Invalid, "a zone needs at least one address range")
	}
	if z.ID == "" {
		z.ID = core.NewID()
	}
	z.UpdatedAt = time.Time{}
	defer s.zonesChanged(z.Establishment)
	return s.store.PutZone(ctx, z)
}

// DeleteZone deletes a network zone of an establishment.
func (s *Service) DeleteZone(ctx context.Context, est, name string) error {
	if !core.PrincipalFromContext(ctx).CanAdminister(est) {
		return s.refuse(ctx, est, "directory.zone.delete", "zone", "", name, nil,
			"only an administrator of the establishment may change its network zones")
	}
	defer s.zonesChanged(est)
	return s.store.DeleteZone(ctx, est, name)
}

// Zones lists the network zones of an establishment, for its administrators.
func (s *Service) Zones(ctx context.Context, est string) ([]*Zone, error) {
	if !core.PrincipalFromContext(ctx).CanAdminister(est) {
		return nil, core.E("directory.Zones", core.Permission, "only the administrators of the establishment see its network zones")
	}
	return s.store.FindZones(ctx, est)
}

// checkZoneName accepts short lower-case names: letters, digits and dashes.
func checkZoneName(name string) error {
	if err := checkText("zone name", name, 1, 32); err != nil {
		return err
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return core.E("directory.PutZone", core.Invalid,
				"zone name %q: use lower-case letters, digits and dashes (admin, peda, wifi…)", clip(name))
		}
	}
	return nil
}
