// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"time"

	"github.com/preau/preau/internal/journal"
)

// Store persists the directory. Implementations are safe for concurrent use.
// Every mutating method writes a journal entry in the same transaction, with
// the principal in ctx as the actor and the names of the changed attributes.
// Errors: core.NotFound for a missing object, core.Exists for a duplicate
// login, UAI, group code or external identifier.
type Store interface {
	CreateEstablishment(ctx context.Context, e *Establishment) error
	// FindEstablishment finds by ID or by UAI.
	FindEstablishment(ctx context.Context, idOrUAI string) (*Establishment, error)
	// FindEstablishments returns establishments with counts, by UAI order.
	// ids, when not nil, restricts the result to those IDs.
	FindEstablishments(ctx context.Context, ids []string, schoolYear int) ([]*EstablishmentSummary, error)
	// ListEstablishments is FindEstablishments without the counts, for
	// pickers: cheap whatever the size of the establishments.
	ListEstablishments(ctx context.Context, ids []string) ([]*Establishment, error)

	// CreatePeople creates people (with their initial password hashes, which
	// may be empty) in one transaction: all or none.
	CreatePeople(ctx context.Context, people []NewPerson) error
	FindPerson(ctx context.Context, id string) (*Person, error)
	FindPersonByLogin(ctx context.Context, login string) (*Person, error)
	// SetServiceScope sets (or, with the zero scope, clears) a service
	// account's LDAP read scope, journaled in the same transaction.
	SetServiceScope(ctx context.Context, p *Person, scope ServiceScope) error
	// ServiceScopes returns the scope of every service account that has
	// one, by person ID.
	ServiceScopes(ctx context.Context) (map[string]ServiceScope, error)
	FindPeople(ctx context.Context, f PersonFilter) (people []*Person, total int, err error)
	UpdatePerson(ctx context.Context, id string, upd PersonUpdate) (*Person, error)

	CreateGroups(ctx context.Context, groups []*Group) error
	FindGroups(ctx context.Context, f GroupFilter) ([]*Group, error)
	// SetMembers adds memberships (idempotent).
	AddMembers(ctx context.Context, ms []Membership) error
	RemoveMember(ctx context.Context, m Membership) error
	FindMemberships(ctx context.Context, personID string) ([]PersonGroup, error)
	// UpdateGroup changes a group's name or level.
	UpdateGroup(ctx context.Context, id string, upd GroupUpdate) (*Group, error)
	// DeleteGroup deletes a group and its memberships.
	DeleteGroup(ctx context.Context, id string) error
	// MoveToClass makes a person a member of class classID and of no other
	// class of the same establishment and school year, in one transaction.
	MoveToClass(ctx context.Context, personID, classID string) error

	// CreateGrant records a grant to a person or to a group.
	CreateGrant(ctx context.Context, g *Grant) error
	RevokeGrant(ctx context.Context, id string) error
	// FindGrants lists a person's grants, their own and their groups'.
	FindGrants(ctx context.Context, personID string) ([]*Grant, error)
	FindGroupGrants(ctx context.Context, groupID string) ([]*Grant, error)
	// FindEstablishmentGrants lists every grant of an establishment, newest first.
	FindEstablishmentGrants(ctx context.Context, establishment string) ([]*Grant, error)

	PutZone(ctx context.Context, z *Zone) error
	DeleteZone(ctx context.Context, establishment, name string) error
	FindZones(ctx context.Context, establishment string) ([]*Zone, error)

	// Journal records an event that changes no row, e.g. a refused attempt.
	Journal(ctx context.Context, e journal.Entry) error
}

// NewPerson is a person to create with an optional initial password hash.
type NewPerson struct {
	Person       *Person
	PasswordHash string
	// Scope, for a service account, is its LDAP read scope, stored (and
	// journaled) in the same transaction; nil or zero for the default.
	Scope *ServiceScope
}

// PersonFilter selects people. Zero fields match all.
type PersonFilter struct {
	Establishments []string // attached to any of these (nil: no restriction)
	Profile        string
	State          string
	Query          string // case-insensitive prefix of login, given, family or display name
	Group          string // member of this group ID
	Role           string // with Group: only this role (RoleMember, RoleOwner); "" either
	Service        bool   // only service accounts
	Sort           string // "name" (default), "login", "created"
	Offset, Limit  int    // Limit 0 means 50; at most 1,000
}

// PersonUpdate lists the fields to change; nil fields stay as they are.
type PersonUpdate struct {
	GivenName          *string
	FamilyName         *string
	DisplayName        *string
	Profile            *string
	State              *State
	DeleteAfter        *time.Time // when a to-delete account is deleted; zero clears it
	Mail               *string
	MustChangePassword *bool
	Establishments     *[]string
	ExternalIDs        map[string]string // kind → value; "" removes that kind
	PasswordHash       *string           // new hash; journaled as "password", never the value
}

// Attributes returns the names of the attributes upd changes, for the journal.
func (u *PersonUpdate) Attributes() []string {
	var a []string
	add := func(set bool, name string) {
		if set {
			a = append(a, name)
		}
	}
	add(u.GivenName != nil, "givenName")
	add(u.FamilyName != nil, "familyName")
	add(u.DisplayName != nil, "displayName")
	add(u.Profile != nil, "profile")
	add(u.State != nil, "state")
	add(u.DeleteAfter != nil, "deleteAfter")
	add(u.Mail != nil, "mail")
	add(u.MustChangePassword != nil, "mustChangePassword")
	add(u.Establishments != nil, "establishments")
	for k := range u.ExternalIDs {
		a = append(a, "externalId."+k)
	}
	add(u.PasswordHash != nil, "password")
	return a
}

// GroupFilter selects groups.
type GroupFilter struct {
	Establishment string
	Kind          string
	SchoolYear    int // 0: any
	Code          string
	ID            string
	NoCounts      bool // leave Members and Owners at 0 (pickers: cheaper)
}

// GroupUpdate lists the group fields to change; nil fields stay.
type GroupUpdate struct {
	Name  *string
	Level *string
}

// Attributes returns the names of the attributes upd changes, for the journal.
func (u *GroupUpdate) Attributes() []string {
	var a []string
	if u.Name != nil {
		a = append(a, "name")
	}
	if u.Level != nil {
		a = append(a, "level")
	}
	return a
}

// Membership ties a person to a group with a role.
type Membership struct {
	GroupID  string
	PersonID string
	Role     string // RoleMember or RoleOwner
}

// PersonGroup is a group a person belongs to, with the role.
type PersonGroup struct {
	Group *Group
	Role  string
}
