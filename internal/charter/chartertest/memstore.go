// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package chartertest holds an in-memory charter.Store for service and web
// tests.
package chartertest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// MemStore is an in-memory charter.Store. People are declared with
// AddPerson for the statistics. It records journal actions in Journal.
type MemStore struct {
	Clock core.Clock

	mu       sync.Mutex
	versions []*charter.Version
	accepts  []*charter.Acceptance
	people   map[string][2]string // person → establishment, profile
	Journal  []journal.Entry
	// Reads counts CurrentCharters calls (to test the cache).
	Reads int
}

// NewMemStore returns an empty store.
func NewMemStore(clock core.Clock) *MemStore {
	return &MemStore{Clock: clock, people: map[string][2]string{}}
}

var _ charter.Store = (*MemStore)(nil)

// AddPerson declares an active person of est for CharterStats.
func (m *MemStore) AddPerson(id, est string, p core.Profile) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.people[id] = [2]string{est, string(p)}
}

func name(k charter.Kind, n int) string { return string(k) + " v" + strconv.Itoa(n) }

// Actions returns the journal of est as "action target actor" lines.
func (m *MemStore) Actions(est string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.Journal {
		if e.Chain == est {
			out = append(out, e.Action+" "+e.TargetName+" "+e.ActorLogin)
		}
	}
	return out
}

func (m *MemStore) now() time.Time { return m.Clock.Now().UTC() }

func (m *MemStore) journal(ctx context.Context, e journal.Entry) {
	e.SetActor(core.PrincipalFromContext(ctx))
	if e.Result == "" {
		e.Result = journal.Done
	}
	m.Journal = append(m.Journal, e)
}

// CharterVersions implements charter.Store.
func (m *MemStore) CharterVersions(_ context.Context, est string, k charter.Kind) ([]*charter.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*charter.Version
	for _, v := range m.versions {
		if v.Establishment == est && v.Kind == k {
			c := *v
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *charter.Version) int { return b.Number - a.Number })
	return out, nil
}

// CharterKinds implements charter.Store.
func (m *MemStore) CharterKinds(_ context.Context, est string) ([]charter.Kind, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []charter.Kind
	for _, v := range m.versions {
		if v.Establishment == est && !slices.Contains(out, v.Kind) {
			out = append(out, v.Kind)
		}
	}
	slices.SortFunc(out, func(a, b charter.Kind) int { return strings.Compare(string(a), string(b)) })
	return out, nil
}

// CurrentCharters implements charter.Store.
func (m *MemStore) CurrentCharters(_ context.Context, ests []string) ([]*charter.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Reads++
	best := map[[2]string]*charter.Version{}
	for _, v := range m.versions {
		key := [2]string{v.Establishment, string(v.Kind)}
		if slices.Contains(ests, v.Establishment) && !v.Draft() && (best[key] == nil || best[key].Number < v.Number) {
			best[key] = v
		}
	}
	var out []*charter.Version
	for _, v := range best {
		c := *v
		out = append(out, &c)
	}
	return out, nil
}

// SaveCharterDraft implements charter.Store.
func (m *MemStore) SaveCharterDraft(ctx context.Context, v *charter.Version) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 1
	for _, o := range m.versions {
		if o.Establishment == v.Establishment && o.Kind == v.Kind && !o.Draft() && o.Number >= n {
			n = o.Number + 1
		}
	}
	v.Number, v.UpdatedAt = n, m.now()
	m.versions = slices.DeleteFunc(m.versions, func(o *charter.Version) bool {
		return o.Establishment == v.Establishment && o.Kind == v.Kind && o.Draft()
	})
	c := *v
	m.versions = append(m.versions, &c)
	m.journal(ctx, journal.Entry{Chain: v.Establishment, Action: "charter.draft.save", TargetName: name(v.Kind, n)})
	return nil
}

// PublishCharter implements charter.Store.
func (m *MemStore) PublishCharter(ctx context.Context, est string, k charter.Kind, n int, seen time.Time) (*charter.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.versions {
		if v.Establishment == est && v.Kind == k && v.Number == n {
			if !v.Draft() {
				return nil, core.E("mem.PublishCharter", core.Conflict, "already published")
			}
			if !seen.IsZero() && !seen.Equal(v.UpdatedAt) {
				return nil, core.E("mem.PublishCharter", core.Conflict, "charter.publish.changed")
			}
			p := core.PrincipalFromContext(ctx)
			v.PublishedAt, v.PublisherID, v.PublisherName = m.now(), p.PersonID, p.Login
			m.journal(ctx, journal.Entry{Chain: est, Action: "charter.publish", TargetName: name(k, n)})
			c := *v
			return &c, nil
		}
	}
	return nil, core.E("mem.PublishCharter", core.NotFound, "no such draft")
}

// AcceptCharters implements charter.Store.
func (m *MemStore) AcceptCharters(ctx context.Context, refs []charter.Ref) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return core.E("mem.AcceptCharters", core.Permission, "only a person may accept a charter")
	}
	for _, r := range refs {
		if slices.ContainsFunc(m.accepts, func(a *charter.Acceptance) bool {
			return a.PersonID == p.PersonID && a.Establishment == r.Establishment && a.Kind == r.Kind && a.Number == r.Number
		}) {
			continue
		}
		m.accepts = append(m.accepts, &charter.Acceptance{PersonID: p.PersonID, Establishment: r.Establishment,
			Kind: r.Kind, Number: r.Number, At: m.now(), Channel: p.Channel, Source: p.Source})
		m.journal(ctx, journal.Entry{Chain: r.Establishment, Action: "charter.accept", TargetName: name(r.Kind, r.Number)})
	}
	return nil
}

// CharterAcceptances implements charter.Store.
func (m *MemStore) CharterAcceptances(_ context.Context, person string) ([]*charter.Acceptance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*charter.Acceptance
	for i := len(m.accepts) - 1; i >= 0; i-- {
		if a := m.accepts[i]; a.PersonID == person {
			c := *a
			out = append(out, &c)
		}
	}
	return out, nil
}

// CharterStats implements charter.Store.
func (m *MemStore) CharterStats(_ context.Context, ref charter.Ref) ([]charter.ProfileStat, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]charter.ProfileStat, len(core.Profiles))
	for i, pr := range core.Profiles {
		out[i].Profile = pr
		for id, ep := range m.people {
			if ep[0] != ref.Establishment || ep[1] != string(pr) {
				continue
			}
			out[i].People++
			if slices.ContainsFunc(m.accepts, func(a *charter.Acceptance) bool {
				return a.PersonID == id && a.Establishment == ref.Establishment && a.Kind == ref.Kind && a.Number == ref.Number
			}) {
				out[i].Accepted++
			}
		}
	}
	return out, nil
}
