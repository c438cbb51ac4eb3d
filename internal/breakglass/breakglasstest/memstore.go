// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package breakglasstest holds test support for break-glass: an in-memory
// store and directory, and the store conformance suite that
// internal/store runs on SQLite and PostgreSQL and that MemStore passes too.
package breakglasstest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// MemStore is an in-memory breakglass.Store and breakglass.People. Its
// clock stamps uses, as a store transaction does. It is safe for
// concurrent use.
type MemStore struct {
	Clock core.Clock

	mu       sync.Mutex
	requests map[string]*breakglass.Request
	order    []string
	events   map[string][]*breakglass.Event
	notices  []breakglass.Notice
	journal  []journal.Entry
	people   map[string]*directory.Person
}

// type check
var (
	_ breakglass.Store  = (*MemStore)(nil)
	_ breakglass.People = (*MemStore)(nil)
)

// NewMemStore returns an empty store.
func NewMemStore(clock core.Clock) *MemStore {
	return &MemStore{Clock: clock, requests: map[string]*breakglass.Request{}, events: map[string][]*breakglass.Event{},
		people: map[string]*directory.Person{}}
}

// AddPerson adds a person to the in-memory directory.
func (m *MemStore) AddPerson(p *directory.Person) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.DisplayName == "" {
		p.DisplayName = p.GivenName + " " + p.FamilyName
	}
	m.people[p.ID] = p
}

// Notices returns the notices sent to person id, in order.
func (m *MemStore) Notices(id string) []breakglass.Notice {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []breakglass.Notice
	for _, n := range m.notices {
		if n.PersonID == id {
			out = append(out, n)
		}
	}
	return out
}

// JournalEntries returns the entries whose action starts with prefix.
func (m *MemStore) JournalEntries(prefix string) []journal.Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journal.Entry
	for _, e := range m.journal {
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func (m *MemStore) after(ctx context.Context, ev *breakglass.Event, ns []breakglass.Notice, e journal.Entry) {
	if ev != nil {
		c := *ev
		m.events[ev.RequestID] = append(m.events[ev.RequestID], &c)
	}
	m.notices = append(m.notices, ns...)
	m.appendJournal(ctx, e)
}

func (m *MemStore) appendJournal(ctx context.Context, e journal.Entry) {
	if e.Channel == "" {
		e.SetActor(core.PrincipalFromContext(ctx))
	}
	if e.Result == "" {
		e.Result = journal.Done
	}
	e.At = m.Clock.Now()
	m.journal = append(m.journal, e)
}

// CreateBreakGlass implements breakglass.Store.
func (m *MemStore) CreateBreakGlass(ctx context.Context, r *breakglass.Request, ev *breakglass.Event,
	ns []breakglass.Notice, e journal.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.requests[r.ID]; ok {
		return core.E("memstore.CreateBreakGlass", core.Exists, "duplicate request")
	}
	for _, o := range m.requests {
		if o.State.Open() && o.Requester.ID == r.Requester.ID && o.Target.ID == r.Target.ID && o.Scope == r.Scope {
			return &core.Error{Op: "memstore.CreateBreakGlass", Kind: core.Conflict, Err: breakglass.ErrDuplicate,
				Msg: "you already have an open request for this person and scope: use it or cancel it first"}
		}
	}
	c := *r
	m.requests[r.ID] = &c
	m.order = append(m.order, r.ID)
	m.after(ctx, ev, ns, e)
	return nil
}

// UpdateBreakGlass implements breakglass.Store.
func (m *MemStore) UpdateBreakGlass(ctx context.Context, r *breakglass.Request, from breakglass.State,
	ev *breakglass.Event, ns []breakglass.Notice, e journal.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.requests[r.ID]
	if !ok {
		return core.E("memstore.UpdateBreakGlass", core.NotFound, "no such break-glass request")
	}
	if cur.State != from {
		return core.E("memstore.UpdateBreakGlass", core.Conflict, "this request changed meanwhile: reload it")
	}
	uses, last := cur.Uses, cur.LastUsedAt
	*cur = *r
	cur.Uses, cur.LastUsedAt = uses, last // counted by RecordBreakGlassUse only
	m.after(ctx, ev, ns, e)
	return nil
}

// RecordBreakGlassUse implements breakglass.Store.
func (m *MemStore) RecordBreakGlassUse(ctx context.Context, id string, ev *breakglass.Event, e journal.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Clock.Now()
	cur, ok := m.requests[id]
	if !ok || !cur.InForce(now) {
		return core.E("memstore.RecordBreakGlassUse", core.Conflict, "this break-glass access is no longer in force")
	}
	cur.Uses++
	cur.LastUsedAt = now
	ev.At = now
	m.after(ctx, ev, nil, e)
	return nil
}

// FindBreakGlass implements breakglass.Store.
func (m *MemStore) FindBreakGlass(_ context.Context, id string) (*breakglass.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.requests[id]
	if !ok {
		return nil, core.E("memstore.FindBreakGlass", core.NotFound, "no such break-glass request")
	}
	c := *r
	return &c, nil
}

// FindBreakGlasses implements breakglass.Store.
func (m *MemStore) FindBreakGlasses(_ context.Context, f breakglass.Filter) ([]*breakglass.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	var out []*breakglass.Request
	for i := len(m.order) - 1; i >= 0 && len(out) < limit; i-- {
		r := m.requests[m.order[i]]
		if f.Establishments != nil && !slices.Contains(f.Establishments, r.Establishment) ||
			f.Requester != "" && r.Requester.ID != f.Requester || f.Target != "" && r.Target.ID != f.Target ||
			f.NotTarget != "" && r.Target.ID == f.NotTarget ||
			len(f.States) > 0 && !slices.Contains(f.States, r.State) {
			continue
		}
		if !f.DueBefore.IsZero() && !(r.State == breakglass.Approved && !r.Until.After(f.DueBefore) ||
			r.State == breakglass.Requested && !r.CreatedAt.After(f.DueBefore.Add(-breakglass.PendingLifetime))) {
			continue
		}
		c := *r
		out = append(out, &c)
	}
	slices.SortStableFunc(out, func(a, b *breakglass.Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// FindBreakGlassEvents implements breakglass.Store.
func (m *MemStore) FindBreakGlassEvents(_ context.Context, id string) ([]*breakglass.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events[id]), nil
}

// Journal implements breakglass.Store.
func (m *MemStore) Journal(ctx context.Context, e journal.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appendJournal(ctx, e)
	return nil
}

// FindPerson implements breakglass.People.
func (m *MemStore) FindPerson(_ context.Context, id string) (*directory.Person, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.people[id]; ok {
		return p, nil
	}
	return nil, core.E("memstore.FindPerson", core.NotFound, "no such person")
}

// FindPersonByLogin implements breakglass.People.
func (m *MemStore) FindPersonByLogin(_ context.Context, login string) (*directory.Person, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.people {
		if p.Login == login {
			return p, nil
		}
	}
	return nil, core.E("memstore.FindPersonByLogin", core.NotFound, "no such person")
}

// FindPeople implements breakglass.People: establishment, profile and
// state filters only.
func (m *MemStore) FindPeople(_ context.Context, f directory.PersonFilter) ([]*directory.Person, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*directory.Person
	for _, p := range m.people {
		if f.Profile != "" && string(p.Profile) != f.Profile || f.State != "" && string(p.State) != f.State {
			continue
		}
		if f.Establishments != nil && !slices.ContainsFunc(p.Establishments, func(e string) bool {
			return slices.Contains(f.Establishments, e)
		}) {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *directory.Person) int { return strings.Compare(a.Login, b.Login) })
	return out, len(out), nil
}
