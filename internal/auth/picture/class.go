// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// ClassStatus is a class a principal may manage, with its picture login.
type ClassStatus struct {
	Group   *directory.Group
	Picture *Class // nil when picture login is off
}

// Pupil is a pupil of a class with their avatar ("" when the pupil has no
// picture secret yet, such as a pupil who arrived after the cards were
// printed).
type Pupil struct {
	Person    *directory.Person
	Avatar    string
	ChangedAt time.Time
}

// ClassDetail is what the teacher's page of a class shows. It never holds
// a sequence: only the answer to Enable, Regenerate or PrintCards does.
type ClassDetail struct {
	Group         *directory.Group
	Establishment *directory.Establishment
	Picture       *Class // nil when off
	Pupils        []Pupil
	Maternelle    bool // cards may be kept (INF-AUT-10)
}

// Card is the printable credential of one pupil: their avatar and their
// sequence in clear, shown once.
type Card struct {
	Person   *directory.Person
	Avatar   string
	Sequence Sequence
}

// Classes lists the classes of the current school year, in écoles, that
// the principal teaches (a membership, owner or member, as a teacher) or
// administers (head, technical admin), by code.
func (s *Service) Classes(ctx context.Context) ([]ClassStatus, error) {
	p := core.PrincipalFromContext(ctx)
	if p.Anonymous() {
		return nil, core.E("picture.Classes", core.Unauthenticated, "")
	}
	year := core.SchoolYear(s.clock.Now())
	byID := map[string]*directory.Group{}
	for _, est := range p.Establishments {
		if !p.CanAdminister(est) {
			continue
		}
		gs, err := s.store.FindGroups(ctx, directory.GroupFilter{Establishment: est, Kind: string(directory.Class), SchoolYear: year})
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			byID[g.ID] = g
		}
	}
	if p.PersonID != "" {
		ms, err := s.store.FindMemberships(ctx, p.PersonID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if _, seen := byID[m.Group.ID]; seen || !teaches(p, m) || m.Group.SchoolYear != year {
				continue
			}
			gs, err := s.store.FindGroups(ctx, directory.GroupFilter{ID: m.Group.ID})
			if err != nil {
				return nil, err
			}
			if len(gs) == 1 {
				byID[m.Group.ID] = gs[0]
			}
		}
	}
	return s.statuses(ctx, byID)
}

// statuses keeps the groups of écoles and adds their picture state.
func (s *Service) statuses(ctx context.Context, byID map[string]*directory.Group) ([]ClassStatus, error) {
	ecole := map[string]bool{}
	var ids []string
	for id, g := range byID {
		ok, seen := ecole[g.Establishment]
		if !seen {
			e, err := s.store.FindEstablishment(ctx, g.Establishment)
			if err != nil {
				return nil, err
			}
			ok = e.Type == directory.Ecole
			ecole[g.Establishment] = ok
		}
		if ok {
			ids = append(ids, id)
		}
	}
	pcs, err := s.store.FindPictureClasses(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ClassStatus, 0, len(ids))
	for _, id := range ids {
		st := ClassStatus{Group: byID[id]}
		for _, c := range pcs {
			if c.GroupID == id {
				st.Picture = c
			}
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b ClassStatus) int {
		return strings.Compare(a.Group.Code+"\x00"+a.Group.ID, b.Group.Code+"\x00"+b.Group.ID)
	})
	return out, nil
}

// teaches reports whether a membership makes the principal a teacher of
// its class: an owner, or a teacher member.
func teaches(p core.Principal, m directory.PersonGroup) bool {
	return m.Group.Kind == directory.Class &&
		(m.Role == directory.RoleOwner || m.Role == directory.RoleMember && p.Profile == core.ProfileTeacher)
}

// authorize returns the class and its establishment when the principal
// may manage its picture login: a teacher of the class, or the head or a
// technical admin of its establishment (or an operator). Anyone else is
// refused with core.Permission, and the refusal is journaled under action.
// Errors: core.NotFound (no such group), core.Invalid (not a class of an
// école: picture login is for the 1st degree, INF-AUT-1).
func (s *Service) authorize(ctx context.Context, groupID, action string) (*directory.Group, *directory.Establishment, error) {
	p := core.PrincipalFromContext(ctx)
	if p.Anonymous() {
		return nil, nil, core.E(action, core.Unauthenticated, "")
	}
	gs, err := s.store.FindGroups(ctx, directory.GroupFilter{ID: groupID})
	if err != nil {
		return nil, nil, err
	}
	if len(gs) != 1 {
		return nil, nil, core.E(action, core.NotFound, "no such class")
	}
	g := gs[0]
	if g.Kind != directory.Class {
		return nil, nil, core.E(action, core.Invalid, "picture login is for classes only")
	}
	est, err := s.store.FindEstablishment(ctx, g.Establishment)
	if err != nil {
		return nil, nil, err
	}
	if est.Type != directory.Ecole {
		return nil, nil, core.E(action, core.Invalid, "picture login is for classes of an école only")
	}
	if p.CanAdminister(g.Establishment) {
		return g, est, nil
	}
	if p.PersonID != "" {
		ms, err := s.store.FindMemberships(ctx, p.PersonID)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ms {
			if m.Group.ID == g.ID && teaches(p, m) {
				return g, est, nil
			}
		}
	}
	return nil, nil, s.refuse(ctx, g, action, "only a teacher of the class, the head or an admin of the establishment may")
}

// refuse journals a refused attempt on a class and returns a Permission
// error.
func (s *Service) refuse(ctx context.Context, g *directory.Group, action, reason string) error {
	e := journal.Entry{Chain: g.Establishment, Action: action, TargetType: "group", TargetID: g.ID,
		TargetName: g.Code, Result: journal.Refused, Reason: reason}
	e.SetActor(core.PrincipalFromContext(ctx))
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a refused attempt failed", "action", action, "err", err)
	}
	return core.E(action, core.Permission, "%s", reason)
}

// Class returns the teacher's view of a class.
func (s *Service) Class(ctx context.Context, groupID string) (*ClassDetail, error) {
	g, est, err := s.authorize(ctx, groupID, "auth.picture.view")
	if err != nil {
		return nil, err
	}
	d := &ClassDetail{Group: g, Establishment: est, Maternelle: Maternelle(g)}
	if d.Picture, err = s.store.FindPictureClass(ctx, g.ID); err != nil && !core.IsKind(err, core.NotFound) {
		return nil, err
	}
	if d.Pupils, err = s.pupils(ctx, g.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// pupils lists the pupils of a group who may log in or soon will (active
// or pending), by name, with their avatars.
func (s *Service) pupils(ctx context.Context, groupID string) ([]Pupil, error) {
	people, _, err := s.store.FindPeople(ctx, directory.PersonFilter{Group: groupID,
		Profile: string(core.ProfilePupil), Limit: 1000})
	if err != nil {
		return nil, err
	}
	secrets, err := s.store.FindPictureSecrets(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]Pupil, 0, len(people))
	for _, person := range people {
		if person.State != directory.Active && person.State != directory.Pending {
			continue
		}
		pu := Pupil{Person: person}
		for _, sec := range secrets {
			if sec.PersonID == person.ID {
				pu.Avatar, pu.ChangedAt = sec.Avatar, sec.ChangedAt
			}
		}
		out = append(out, pu)
	}
	return out, nil
}

// Enable turns picture login on for a class with a grid of gridSize
// pictures and sequences of length pictures: a new class code, an avatar
// for each pupil and a random sequence each. It returns the cards, the
// only time these sequences are readable. Errors: core.Invalid (shape,
// class too large), core.Conflict (already on).
func (s *Service) Enable(ctx context.Context, groupID string, gridSize, length int) (*Class, []Card, error) {
	const action = "auth.picture.enable"
	g, _, err := s.authorize(ctx, groupID, action)
	if err != nil {
		return nil, nil, err
	}
	if !validShape(gridSize, length) {
		return nil, nil, core.E(action, core.Invalid, "a grid has 9 or 12 pictures and a sequence 3 or 4")
	}
	if _, err := s.store.FindPictureClass(ctx, g.ID); err == nil {
		return nil, nil, core.E(action, core.Conflict, "picture login is already on for this class")
	} else if !core.IsKind(err, core.NotFound) {
		return nil, nil, err
	}
	pupils, err := s.pupils(ctx, g.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(pupils) > MaxPupils {
		return nil, nil, core.E(action, core.Invalid, "picture login serves classes of at most %d pupils", MaxPupils)
	}
	for i := range pupils {
		pupils[i].Avatar = "" // a new class: every pupil draws again
	}
	p := core.PrincipalFromContext(ctx)
	c := &Class{GroupID: g.ID, GridSize: gridSize, Length: length, EnabledBy: p.Login, EnabledAt: s.clock.Now()}
	secrets, cards := s.draw(c, pupils)
	es := []journal.Entry{s.entry(p, g, action, fmt.Sprintf("grid:%d", gridSize), fmt.Sprintf("length:%d", length))}
	es = append(es, s.secretEntries(p, g, cards, "auth.picture.set", "picture login turned on")...)
	for range 5 { // a code already taken (1 in millions) draws again
		c.Code = newCode()
		if err = s.store.EnablePictureClass(ctx, c, secrets, es); !core.IsKind(err, core.Exists) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return c, cards, nil
}

// Disable turns picture login off for a class: the class code stops
// working and the pupils' picture secrets are deleted.
func (s *Service) Disable(ctx context.Context, groupID string) error {
	const action = "auth.picture.disable"
	g, _, err := s.authorize(ctx, groupID, action)
	if err != nil {
		return err
	}
	return s.store.DisablePictureClass(ctx, g.ID, s.entry(core.PrincipalFromContext(ctx), g, action))
}

// Regenerate draws a new sequence for one pupil of a class (and an avatar
// if the pupil has none) and returns their card, shown once.
func (s *Service) Regenerate(ctx context.Context, groupID, personID string) (*Card, error) {
	const action = "auth.picture.regenerate"
	c, g, pupils, err := s.forRegeneration(ctx, groupID, action)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(pupils, func(pu Pupil) bool { return pu.Person.ID == personID })
	if i < 0 {
		return nil, core.E(action, core.NotFound, "this pupil is not in the class")
	}
	secrets, cards := s.redraw(c, pupils, i)
	p := core.PrincipalFromContext(ctx)
	es := s.secretEntries(p, g, cards, action, "new picture sequence for one pupil")
	if err := s.store.PutPictureSecrets(ctx, secrets, es); err != nil {
		return nil, err
	}
	return &cards[0], nil
}

// PrintCards draws a new sequence for every pupil of a class and returns
// the cards to print, shown once: nothing reversible is stored, so
// printing the cards again means new sequences for the whole class.
func (s *Service) PrintCards(ctx context.Context, groupID string) (*Class, []Card, error) {
	const action = "auth.picture.cards"
	c, g, pupils, err := s.forRegeneration(ctx, groupID, action)
	if err != nil {
		return nil, nil, err
	}
	secrets, cards := s.redraw(c, pupils, -1)
	p := core.PrincipalFromContext(ctx)
	es := []journal.Entry{s.entry(p, g, action, fmt.Sprintf("pupils:%d", len(cards)))}
	es = append(es, s.secretEntries(p, g, cards, "auth.picture.regenerate", "class picture cards printed")...)
	if err := s.store.PutPictureSecrets(ctx, secrets, es); err != nil {
		return nil, nil, err
	}
	return c, cards, nil
}

// forRegeneration authorizes a change of sequences and loads the class.
func (s *Service) forRegeneration(ctx context.Context, groupID, action string) (*Class, *directory.Group, []Pupil, error) {
	g, _, err := s.authorize(ctx, groupID, action)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.store.FindPictureClass(ctx, g.ID)
	if core.IsKind(err, core.NotFound) {
		return nil, nil, nil, core.E(action, core.Conflict, "picture login is off for this class")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	pupils, err := s.pupils(ctx, g.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(pupils) > MaxPupils {
		return nil, nil, nil, core.E(action, core.Invalid, "picture login serves classes of at most %d pupils", MaxPupils)
	}
	return c, g, pupils, nil
}

// redraw draws new sequences for pupil only (or every pupil when only is
// -1), keeping avatars and giving one to pupils who have none.
func (s *Service) redraw(c *Class, pupils []Pupil, only int) ([]*Secret, []Card) {
	if only < 0 {
		return s.draw(c, pupils)
	}
	assignAvatars(pupils)
	return s.draw(c, pupils[only:only+1])
}

// draw gives every pupil without an avatar a free one, then a new random
// sequence each, and returns the secrets to store and the cards to show.
func (s *Service) draw(c *Class, pupils []Pupil) ([]*Secret, []Card) {
	assignAvatars(pupils)
	now := s.clock.Now()
	secrets := make([]*Secret, len(pupils))
	cards := make([]Card, len(pupils))
	for i, pu := range pupils {
		seq := randomSequence(c.Grid(), c.Length)
		secrets[i] = &Secret{PersonID: pu.Person.ID, Avatar: pu.Avatar, Hash: s.hash(pu.Person.ID, seq), ChangedAt: now}
		cards[i] = Card{Person: pu.Person, Avatar: pu.Avatar, Sequence: seq}
	}
	return secrets, cards
}

// assignAvatars gives each pupil without an avatar one that no other pupil
// of the list has, drawn at random, first among the animals on a disc.
// len(pupils) must not exceed MaxPupils.
func assignAvatars(pupils []Pupil) {
	used := map[string]bool{}
	for i, pu := range pupils {
		if pu.Avatar != "" && used[pu.Avatar] {
			pupils[i].Avatar = "" // a clash (a pupil of two classes): draw again
			continue
		}
		used[pu.Avatar] = true
	}
	free := func(square bool) []string {
		var ids []string
		for _, a := range Avatars {
			if a.Square == square && !used[a.ID] {
				ids = append(ids, a.ID)
			}
		}
		return ids
	}
	pool := free(false)
	for i := range pupils {
		if pupils[i].Avatar != "" {
			continue
		}
		if len(pool) == 0 {
			pool = free(true)
		}
		j := randomInt(len(pool))
		pupils[i].Avatar = pool[j]
		used[pool[j]] = true
		pool = slices.Delete(pool, j, j+1)
	}
}

// entry is a journal entry of an action on a class by p.
func (s *Service) entry(p core.Principal, g *directory.Group, action string, attrs ...string) journal.Entry {
	e := journal.Entry{Chain: g.Establishment, Action: action, TargetType: "group", TargetID: g.ID,
		TargetName: g.Code, Attributes: attrs}
	e.SetActor(p)
	return e
}

// secretEntries are the journal entries of new picture secrets, one per
// pupil. They name what changed, never the sequence.
func (s *Service) secretEntries(p core.Principal, g *directory.Group, cards []Card, action, reason string) []journal.Entry {
	es := make([]journal.Entry, len(cards))
	for i, c := range cards {
		es[i] = journal.Entry{Chain: g.Establishment, Action: action, TargetType: "person", TargetID: c.Person.ID,
			TargetName: c.Person.Login, Attributes: []string{"picture-sequence", "avatar", "class:" + g.Code},
			Reason: reason}
		es[i].SetActor(p)
	}
	return es
}
