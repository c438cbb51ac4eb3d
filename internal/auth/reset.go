// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// MayReset reports whether the principal may reset person's password
// (INF-AUT-9): system principals and operators; the head and technical
// admins of one of the person's establishments, and whoever holds
// people.manage there for a pupil, teacher or staff member; a teacher for the pupils of
// the classes and groups they teach (owner of a group the pupil is in).
func (s *Service) MayReset(ctx context.Context, person *directory.Person) (bool, error) {
	p := core.PrincipalFromContext(ctx)
	if p.System || p.Operator() {
		return true, nil
	}
	for _, est := range person.Establishments {
		if directory.MayManagePerson(p, est, person.Profile) {
			return true, nil
		}
	}
	if p.Profile != core.ProfileTeacher || person.Profile != core.ProfilePupil {
		return false, nil
	}
	taught, err := s.taughtGroups(ctx, p.PersonID)
	if err != nil {
		return false, err
	}
	ms, err := s.store.FindMemberships(ctx, person.ID)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.Role == directory.RoleMember && slices.Contains(taught, m.Group.ID) {
			return true, nil
		}
	}
	return false, nil
}

// taughtGroups returns the IDs of the groups a person owns (teaches).
func (s *Service) taughtGroups(ctx context.Context, personID string) ([]string, error) {
	ms, err := s.store.FindMemberships(ctx, personID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range ms {
		if m.Role == directory.RoleOwner {
			ids = append(ids, m.Group.ID)
		}
	}
	return ids, nil
}

// ClassPupils is a group the principal teaches and its pupils.
type ClassPupils struct {
	Group  *directory.Group
	Pupils []*directory.Person
}

// TaughtPupils lists the groups the principal teaches, classes first, with
// their pupils: whose passwords a teacher may reset.
func (s *Service) TaughtPupils(ctx context.Context) ([]ClassPupils, error) {
	p := core.PrincipalFromContext(ctx)
	ms, err := s.store.FindMemberships(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	var out []ClassPupils
	for _, m := range ms {
		if m.Role != directory.RoleOwner {
			continue
		}
		pupils, _, err := s.store.FindPeople(ctx, directory.PersonFilter{Group: m.Group.ID,
			Profile: string(core.ProfilePupil), Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, ClassPupils{Group: m.Group, Pupils: pupils})
	}
	slices.SortStableFunc(out, func(a, b ClassPupils) int {
		if (a.Group.Kind == directory.Class) != (b.Group.Kind == directory.Class) {
			if a.Group.Kind == directory.Class {
				return -1
			}
			return 1
		}
		return 0
	})
	return out, nil
}

// PersonByLogin returns a person by login, for the reset page.
func (s *Service) PersonByLogin(ctx context.Context, login string) (*directory.Person, error) {
	return s.store.FindPersonByLogin(ctx, login)
}
