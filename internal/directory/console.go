// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
)

// MayManage reports whether p may use the people and groups pages of the
// console for establishment est: its administrators (technical admin, head,
// operators) and whoever holds people.manage there, from the zone the grant
// demands.
func MayManage(p core.Principal, est string) bool {
	return p.CanAdminister(est) || p.HasRight(core.RightPeopleManage, est)
}

// MayManagePerson reports whether p may change a person of profile prof in
// est. people.manage covers pupils, teachers and staff; the accounts of heads
// and technical admins stay with the establishment's administrators.
func MayManagePerson(p core.Principal, est string, prof core.Profile) bool {
	if p.CanAdminister(est) {
		return true
	}
	return prof != core.ProfileHead && prof != core.ProfileAdmin && p.HasRight(core.RightPeopleManage, est)
}

// EstablishmentList lists the establishments the principal may see, as
// Establishments does, without the counts.
func (s *Service) EstablishmentList(ctx context.Context) ([]*Establishment, error) {
	p := core.PrincipalFromContext(ctx)
	var ids []string
	if !p.Operator() {
		if p.Anonymous() {
			return nil, core.E("directory.EstablishmentList", core.Unauthenticated, "")
		}
		ids = append([]string{}, p.Establishments...)
	}
	return s.store.ListEstablishments(ctx, ids)
}

// Group returns a group by ID if the principal may manage its establishment.
func (s *Service) Group(ctx context.Context, id string) (*Group, error) {
	if !core.ValidID(id) {
		return nil, core.E("directory.Group", core.NotFound, "no such group")
	}
	gs, err := s.store.FindGroups(ctx, GroupFilter{ID: id})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 || !MayManage(core.PrincipalFromContext(ctx), gs[0].Establishment) {
		return nil, core.E("directory.Group", core.NotFound, "no such group")
	}
	return gs[0], nil
}

// Groups lists the groups of an establishment the principal manages.
func (s *Service) Groups(ctx context.Context, f GroupFilter) ([]*Group, error) {
	if f.Establishment == "" || !MayManage(core.PrincipalFromContext(ctx), f.Establishment) {
		return nil, core.E("directory.Groups", core.Permission, "you may not manage the groups of this establishment")
	}
	return s.store.FindGroups(ctx, f)
}

// CreateGroup creates a group in an establishment the principal manages.
// The console creates custom and teaching groups; classes and the other
// kinds come from imports.
func (s *Service) CreateGroup(ctx context.Context, g *Group) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if !MayManage(core.PrincipalFromContext(ctx), g.Establishment) {
		return s.refuse(ctx, g.Establishment, "directory.group.create", "group", "", g.Code, nil,
			"you may not create groups in this establishment")
	}
	g.ID = core.NewID()
	return s.store.CreateGroups(ctx, []*Group{g})
}

// UpdateGroup renames a group (or changes its level).
func (s *Service) UpdateGroup(ctx context.Context, id string, upd GroupUpdate) (*Group, error) {
	g, err := s.managedGroup(ctx, id, "directory.group.update", upd.Attributes())
	if err != nil {
		return nil, err
	}
	c := *g
	if upd.Name != nil {
		c.Name = strings.TrimSpace(*upd.Name)
		upd.Name = &c.Name
		if c.Name == "" {
			return nil, core.E("directory.UpdateGroup", core.Invalid, "group name is required")
		}
	}
	if upd.Level != nil {
		c.Level = *upd.Level
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return s.store.UpdateGroup(ctx, id, upd)
}

// DeleteGroup deletes a custom group. Classes and the groups an import
// maintains are removed by the import that owns them, never by hand.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	g, err := s.managedGroup(ctx, id, "directory.group.delete", nil)
	if err != nil {
		return err
	}
	if g.Kind != Custom {
		return core.E("directory.DeleteGroup", core.Conflict, "only custom groups may be deleted here; %s %s comes from the imports", g.Kind, g.Code)
	}
	return s.store.DeleteGroup(ctx, id)
}

// AddMember adds a person to a group as member or owner. The person must be
// attached to the group's establishment; owners are adults (a teacher owns
// the classes and groups they teach, which lets them reset their pupils'
// passwords).
func (s *Service) AddMember(ctx context.Context, m Membership) error {
	g, person, err := s.membershipCheck(ctx, m, "directory.group.member.add")
	if err != nil {
		return err
	}
	if m.Role == RoleOwner && !person.Profile.Adult() {
		return core.E("directory.AddMember", core.Invalid, "%s is a pupil and cannot own %s", person.Login, g.Code)
	}
	return s.store.AddMembers(ctx, []Membership{m})
}

// RemoveMember removes a membership.
func (s *Service) RemoveMember(ctx context.Context, m Membership) error {
	if _, _, err := s.membershipCheck(ctx, m, "directory.group.member.remove"); err != nil {
		return err
	}
	return s.store.RemoveMember(ctx, m)
}

// MoveToClass moves a pupil to a class of the current school year of their
// establishment, leaving their other class of that year.
func (s *Service) MoveToClass(ctx context.Context, personID, classID string) error {
	g, person, err := s.membershipCheck(ctx, Membership{GroupID: classID, PersonID: personID, Role: RoleMember},
		"directory.group.member.move")
	if err != nil {
		return err
	}
	if g.Kind != Class {
		return core.E("directory.MoveToClass", core.Invalid, "%s is not a class", g.Code)
	}
	if person.Profile != core.ProfilePupil {
		return core.E("directory.MoveToClass", core.Invalid, "%s is not a pupil: only pupils change class", person.Login)
	}
	return s.store.MoveToClass(ctx, personID, classID)
}

// managedGroup finds a group and checks the principal manages it,
// journaling a refusal.
func (s *Service) managedGroup(ctx context.Context, id, action string, attrs []string) (*Group, error) {
	gs, err := s.store.FindGroups(ctx, GroupFilter{ID: id})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, core.E(action, core.NotFound, "no such group")
	}
	g := gs[0]
	if !MayManage(core.PrincipalFromContext(ctx), g.Establishment) {
		return nil, s.refuse(ctx, g.Establishment, action, "group", g.ID, g.Code, attrs,
			"you may not manage the groups of this establishment")
	}
	return g, nil
}

// membershipCheck validates a membership change and the principal's right
// to make it.
func (s *Service) membershipCheck(ctx context.Context, m Membership, action string) (*Group, *Person, error) {
	if m.Role != RoleMember && m.Role != RoleOwner {
		return nil, nil, core.E(action, core.Invalid, "role %q is not member or owner", clip(m.Role))
	}
	g, err := s.managedGroup(ctx, m.GroupID, action, []string{m.Role})
	if err != nil {
		return nil, nil, err
	}
	person, err := s.store.FindPerson(ctx, m.PersonID)
	if err != nil {
		return nil, nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if !MayManagePerson(p, g.Establishment, person.Profile) {
		return nil, nil, s.refuse(ctx, g.Establishment, action, "group", g.ID, g.Code, []string{m.Role + ":" + person.Login},
			fmt.Sprintf("%s may not change the groups of %s", nameOf(p), person.Login))
	}
	if !slices.Contains(person.Establishments, g.Establishment) {
		return nil, nil, core.E(action, core.Invalid, "%s is not attached to the establishment of %s", person.Login, g.Code)
	}
	return g, person, nil
}
