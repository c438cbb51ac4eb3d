// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Source is what the view reads from the store.
type Source interface {
	FindEstablishments(ctx context.Context, ids []string, schoolYear int) ([]*directory.EstablishmentSummary, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
	AllMemberships(ctx context.Context) ([]directory.Membership, error)
	ServiceScopes(ctx context.Context) (map[string]directory.ServiceScope, error)
	DirectoryVersion(ctx context.Context) (int64, error)
}

// Loader keeps the current snapshot: it loads the whole directory, then
// reloads it when the directory version moves (a change made here, by
// the CLI or by another node), so that LDAP clients see changes within the
// poll interval (design §4: 5 seconds).
type Loader struct {
	src     Source
	base    string
	clock   core.Clock
	log     *slog.Logger
	current atomic.Pointer[Snapshot]
	counter atomic.Int64
	loading sync.Mutex // one load at a time; waiters then find the view fresh
}

// NewLoader returns a Loader; call Load before serving.
func NewLoader(src Source, base string, clock core.Clock, log *slog.Logger) *Loader {
	return &Loader{src: src, base: base, clock: clock, log: log}
}

// Snapshot returns the current snapshot (nil before the first Load).
func (l *Loader) Snapshot() *Snapshot { return l.current.Load() }

// Load reads the whole directory and installs a new snapshot.
func (l *Loader) Load(ctx context.Context) error {
	l.loading.Lock()
	defer l.loading.Unlock()
	return l.load(ctx)
}

func (l *Loader) load(ctx context.Context) error {
	n, err := l.src.DirectoryVersion(ctx)
	if err != nil {
		return err
	}
	d, err := LoadData(ctx, l.src, core.SchoolYear(l.clock.Now()))
	if err != nil {
		return err
	}
	l.current.Store(Build(l.base, d))
	l.counter.Store(n)
	return nil
}

// LoadData reads the whole directory (for the view, and for exports).
func LoadData(ctx context.Context, src Source, schoolYear int) (*Data, error) {
	d := &Data{SchoolYear: schoolYear}
	ests, err := src.FindEstablishments(ctx, nil, d.SchoolYear)
	if err != nil {
		return nil, err
	}
	for _, e := range ests {
		d.Establishments = append(d.Establishments, &e.Establishment)
	}
	for off := 0; ; off += 1000 {
		page, total, err := src.FindPeople(ctx, directory.PersonFilter{Sort: "login", Offset: off, Limit: 1000})
		if err != nil {
			return nil, err
		}
		d.People = append(d.People, page...)
		if len(page) == 0 || off+len(page) >= total {
			break
		}
	}
	if d.Groups, err = src.FindGroups(ctx, directory.GroupFilter{}); err != nil {
		return nil, err
	}
	if d.Memberships, err = src.AllMemberships(ctx); err != nil {
		return nil, err
	}
	if d.Scopes, err = src.ServiceScopes(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Refresh reloads when the directory version moved since the last load.
func (l *Loader) Refresh(ctx context.Context) error {
	n, err := l.src.DirectoryVersion(ctx)
	if err != nil || n == l.counter.Load() {
		return err
	}
	l.loading.Lock()
	defer l.loading.Unlock()
	if l.counter.Load() >= n {
		return nil // another caller loaded it meanwhile
	}
	return l.load(ctx)
}

// Run refreshes every interval until ctx ends.
func (l *Loader) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("LDAP view refresh failed", "err", err)
			}
		}
	}
}
