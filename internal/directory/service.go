// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Deps are the collaborators of a Service. All fields are required.
type Deps struct {
	Store Store
	Clock core.Clock
	Log   *slog.Logger
	// ZonesChanged, when set, is told of every change to an
	// establishment's network zones made through this service, so that
	// caches on this node forget them at once (other nodes within their TTL).
	ZonesChanged func(establishment string)
}

// Service is the directory: it checks input and rights, then calls Store.
// A refused attempt is journaled with result "refused" before the error is
// returned (INF-ANN-4).
type Service struct {
	store        Store
	clock        core.Clock
	log          *slog.Logger
	zonesChanged func(string)
}

// New returns a directory service.
func New(deps Deps) *Service {
	changed := deps.ZonesChanged
	if changed == nil {
		changed = func(string) {}
	}
	return &Service{store: deps.Store, clock: deps.Clock, log: deps.Log, zonesChanged: changed}
}

// refuse journals a refused attempt and returns a Permission error.
func (s *Service) refuse(ctx context.Context, chain, action, targetType, targetID, targetName string, attrs []string, reason string) error {
	e := journal.Entry{Chain: chain, Action: action, TargetType: targetType, TargetID: targetID,
		TargetName: targetName, Attributes: attrs, Result: journal.Refused, Reason: reason}
	e.SetActor(core.PrincipalFromContext(ctx))
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a refused attempt failed", "action", action, "err", err)
	}
	return core.E(action, core.Permission, "%s", reason)
}

// CheckFieldNames refuses any field name that denotes personal data the school
// directory must never store (INF-ANN-8), naming the field. Importers and the
// API call it on the names they receive before decoding.
func CheckFieldNames(names []string) error {
	for _, n := range names {
		if what, bad := core.ForbiddenAttribute(n); bad {
			return core.E("directory.CheckFieldNames", core.Invalid,
				"field %q is refused: the school directory never stores a %s (CARINE INF-ANN-8)", clip(n), what)
		}
	}
	return nil
}

// CreateEstablishment creates an establishment. Only operators may.
func (s *Service) CreateEstablishment(ctx context.Context, e *Establishment) error {
	p := core.PrincipalFromContext(ctx)
	if err := e.Validate(); err != nil {
		return err
	}
	if !p.Operator() {
		return s.refuse(ctx, journal.DeploymentChain, "directory.establishment.create", "establishment", "", e.UAI, nil,
			"only an operator may create an establishment")
	}
	e.ID = core.NewID()
	return s.store.CreateEstablishment(ctx, e)
}

// Establishments lists the establishments the principal may see, with counts.
func (s *Service) Establishments(ctx context.Context) ([]*EstablishmentSummary, error) {
	p := core.PrincipalFromContext(ctx)
	var ids []string
	if !p.Operator() {
		if p.Anonymous() {
			return nil, core.E("directory.Establishments", core.Unauthenticated, "")
		}
		ids = append([]string{}, p.Establishments...)
	}
	return s.store.FindEstablishments(ctx, ids, core.SchoolYear(s.clock.Now()))
}

// Establishment returns one establishment by ID or UAI, if visible.
func (s *Service) Establishment(ctx context.Context, idOrUAI string) (*Establishment, error) {
	e, err := s.store.FindEstablishment(ctx, idOrUAI)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if !p.Operator() && !p.AttachedTo(e.ID) {
		return nil, core.E("directory.Establishment", core.NotFound, "no such establishment")
	}
	return e, nil
}

// CreatePerson creates one person with an optional initial password hash.
// The principal must administer every establishment the person joins.
func (s *Service) CreatePerson(ctx context.Context, person *Person, passwordHash string) error {
	return s.createPerson(ctx, NewPerson{Person: person, PasswordHash: passwordHash})
}

func (s *Service) createPerson(ctx context.Context, np NewPerson) error {
	person := np.Person
	if err := person.Validate(); err != nil {
		return err
	}
	p := core.PrincipalFromContext(ctx)
	for _, est := range person.Establishments {
		if !p.CanAdminister(est) {
			return s.refuse(ctx, chainOf(person.Establishments), "directory.person.create", "person", "", person.Login,
				nil, "you may not create people in this establishment")
		}
	}
	if len(person.Establishments) == 0 && !p.Operator() {
		return s.refuse(ctx, journal.DeploymentChain, "directory.person.create", "person", "", person.Login, nil,
			"only an operator may create an account attached to no establishment")
	}
	if (person.Profile == core.ProfileAdmin || person.Profile == core.ProfileHead) && p.Profile != core.ProfileAdmin && !p.Operator() {
		return s.refuse(ctx, chainOf(person.Establishments), "directory.person.create", "person", "", person.Login, nil,
			"only a technical admin or an operator may create admin and head accounts")
	}
	person.ID = core.NewID()
	return s.store.CreatePeople(ctx, []NewPerson{np})
}

// Person returns a person the principal may see: themself, or anyone of an
// establishment they administer or belong to as an adult.
func (s *Service) Person(ctx context.Context, idOrLogin string) (*Person, error) {
	var person *Person
	var err error
	if core.ValidID(idOrLogin) {
		person, err = s.store.FindPerson(ctx, idOrLogin)
	} else {
		person, err = s.store.FindPersonByLogin(ctx, idOrLogin)
	}
	if err != nil {
		return nil, err
	}
	if !s.canSee(core.PrincipalFromContext(ctx), person) {
		return nil, core.E("directory.Person", core.NotFound, "no such person")
	}
	return person, nil
}

func (s *Service) canSee(p core.Principal, person *Person) bool {
	if p.Operator() || p.PersonID == person.ID {
		return true
	}
	if !p.Profile.Adult() {
		return false
	}
	for _, est := range person.Establishments {
		if p.AttachedTo(est) {
			return true
		}
	}
	return false
}

// People searches people. Non-operators see only their establishments;
// pupils see nobody but themselves through Person.
func (s *Service) People(ctx context.Context, f PersonFilter) ([]*Person, int, error) {
	p := core.PrincipalFromContext(ctx)
	if !p.Operator() {
		if !p.Profile.Adult() {
			return nil, 0, core.E("directory.People", core.Permission, "pupils may not search the directory here")
		}
		if f.Establishments == nil {
			f.Establishments = p.Establishments
		}
		for _, est := range f.Establishments {
			if !p.AttachedTo(est) {
				return nil, 0, core.E("directory.People", core.Permission, "you may not search this establishment")
			}
		}
		if len(f.Establishments) == 0 {
			return nil, 0, nil
		}
	}
	return s.store.FindPeople(ctx, f)
}

// UpdatePerson changes a person. The principal must administer one of the
// person's establishments (and the new ones), or hold people.manage there
// for a person who is neither head nor admin (MayManagePerson); profile changes to admin or
// head need a technical admin or an operator. A refused attempt is journaled.
func (s *Service) UpdatePerson(ctx context.Context, id string, upd PersonUpdate) (*Person, error) {
	person, err := s.store.FindPerson(ctx, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	attrs := upd.Attributes()
	chain := chainOf(person.Establishments)
	allowed := p.Operator() || slices.ContainsFunc(person.Establishments, func(est string) bool {
		return MayManagePerson(p, est, person.Profile)
	})
	if upd.Establishments != nil {
		for _, est := range *upd.Establishments {
			allowed = allowed && MayManagePerson(p, est, person.Profile)
		}
	}
	if person.Profile == core.ProfileAdmin && p.Profile != core.ProfileAdmin && !p.Operator() {
		allowed = false
	}
	if upd.Profile != nil && (*upd.Profile == string(core.ProfileAdmin) || *upd.Profile == string(core.ProfileHead)) &&
		p.Profile != core.ProfileAdmin && !p.Operator() {
		allowed = false
	}
	if !allowed {
		return nil, s.refuse(ctx, chain, "directory.person.update", "person", person.ID, person.Login, attrs,
			fmt.Sprintf("%s may not change %s", nameOf(p), person.Login))
	}
	if err := validateUpdate(person, &upd); err != nil {
		return nil, err
	}
	return s.store.UpdatePerson(ctx, id, upd)
}

// validateUpdate applies upd to a copy of person and validates the result.
func validateUpdate(person *Person, upd *PersonUpdate) error {
	c := *person
	if upd.GivenName != nil {
		c.GivenName = *upd.GivenName
	}
	if upd.FamilyName != nil {
		c.FamilyName = *upd.FamilyName
	}
	if upd.DisplayName != nil {
		c.DisplayName = *upd.DisplayName
	}
	if upd.Profile != nil {
		c.Profile = core.Profile(*upd.Profile)
	}
	if upd.State != nil {
		c.State = *upd.State
	}
	if upd.Mail != nil {
		c.Mail = *upd.Mail
	}
	if upd.Establishments != nil {
		c.Establishments = *upd.Establishments
	}
	c.ExternalIDs = map[string]string{}
	for k, v := range upd.ExternalIDs {
		if v != "" {
			c.ExternalIDs[k] = v
		} else if !validExternalKind(k) {
			return core.E("directory.UpdatePerson", core.Invalid, "external identifier kind %q is unknown", clip(k))
		}
	}
	return c.Validate()
}

// SetState enables, disables or schedules the deletion of a person.
func (s *Service) SetState(ctx context.Context, id string, st State) (*Person, error) {
	return s.UpdatePerson(ctx, id, PersonUpdate{State: &st})
}

// chainOf returns the journal chain for objects attached to ests.
func chainOf(ests []string) string {
	if len(ests) == 0 {
		return journal.DeploymentChain
	}
	return ests[0]
}

func nameOf(p core.Principal) string {
	if p.Login != "" {
		return p.Login
	}
	return "anonymous"
}
