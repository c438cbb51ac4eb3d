// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package demoseed loads a generated demo deployment (package demo) into the
// store, in transactions small enough that a server stays responsive while
// it runs, and so that a crash at any point leaves whole batches only: a
// rerun skips what exists and completes the rest with the same seed, then
// writes demo-accounts.csv by rename.
package demoseed

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
)

// Store is what the seeder needs from the store.
type Store interface {
	CreateEstablishment(ctx context.Context, e *directory.Establishment) error
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	CreatePeople(ctx context.Context, people []directory.NewPerson) error
	FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	CreateGroups(ctx context.Context, groups []*directory.Group) error
	FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
	AddMembers(ctx context.Context, ms []directory.Membership) error
	Setting(ctx context.Context, scope, name string) (string, error)
	PutSetting(ctx context.Context, scope, name, value string) error
}

// Progress reports how far seeding went.
type Progress struct {
	Stage string // "people", "groups", "members", "done"
	Done  int
	Total int
}

// AccountsFile is the name of the demo accounts file in the data folder.
const AccountsFile = "demo-accounts.csv"

// batchSize is the number of people created per transaction.
const batchSize = 100

// Seeder fills a store with a demo deployment.
type Seeder struct {
	Store    Store
	Hash     func(password string) string // argon2id hashing, the slow part
	DataDir  string
	Clock    core.Clock
	Progress func(Progress) // may be nil
}

// Done reports whether a previous run completed.
func (s *Seeder) Done(ctx context.Context) bool {
	v, err := s.Store.Setting(ctx, "demo", "done")
	return err == nil && v == "yes"
}

// Run seeds the deployment generated from seed (or from the seed recorded by
// an interrupted earlier run) and writes demo-accounts.csv. The context must
// carry the principal to journal as (a system principal on the job channel).
func (s *Seeder) Run(ctx context.Context, seed int64) (*demo.Deployment, error) {
	seed, year, err := s.params(ctx, seed)
	if err != nil {
		return nil, err
	}
	d := demo.Generate(seed, time.Date(year, time.October, 1, 0, 0, 0, 0, time.UTC))
	ests, err := s.establishments(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := s.people(ctx, d, ests); err != nil {
		return nil, err
	}
	ids, err := s.personIDs(ctx, ests)
	if err != nil {
		return nil, err
	}
	if err := s.groups(ctx, d, ests, ids); err != nil {
		return nil, err
	}
	if err := s.writeAccounts(d); err != nil {
		return nil, err
	}
	if err := s.Store.PutSetting(ctx, "demo", "done", "yes"); err != nil {
		return nil, err
	}
	n := len(d.People())
	s.report(Progress{Stage: "done", Done: n, Total: n})
	return d, nil
}

// params returns the seed and school year, recording them on the first run.
func (s *Seeder) params(ctx context.Context, seed int64) (int64, int, error) {
	if v, err := s.Store.Setting(ctx, "demo", "seed"); err == nil {
		n, err1 := strconv.ParseInt(v, 10, 64)
		y, err2 := s.Store.Setting(ctx, "demo", "year")
		year, err3 := strconv.Atoi(y)
		if err1 != nil || err2 != nil || err3 != nil {
			return 0, 0, fmt.Errorf("demo settings are damaged: seed %q, year %q", v, y)
		}
		return n, year, nil
	} else if !core.IsKind(err, core.NotFound) {
		return 0, 0, err
	}
	year := core.SchoolYear(s.Clock.Now())
	if err := s.Store.PutSetting(ctx, "demo", "year", strconv.Itoa(year)); err != nil {
		return 0, 0, err
	}
	if err := s.Store.PutSetting(ctx, "demo", "seed", strconv.FormatInt(seed, 10)); err != nil {
		return 0, 0, err
	}
	return seed, year, nil
}

func (s *Seeder) report(p Progress) {
	if s.Progress != nil {
		s.Progress(p)
	}
}

// establishments creates the missing establishments and returns UAI → ID.
func (s *Seeder) establishments(ctx context.Context, d *demo.Deployment) (map[string]string, error) {
	ids := map[string]string{}
	for _, de := range d.Establishments {
		e, err := s.Store.FindEstablishment(ctx, de.UAI)
		if core.IsKind(err, core.NotFound) {
			e = &directory.Establishment{ID: core.NewID(), UAI: de.UAI, Type: directory.EstablishmentType(de.Type),
				Name: de.Name, Academie: de.Academie, Domains: []string{de.Domain, de.PupilDomain()}}
			if err := e.Validate(); err != nil {
				return nil, err
			}
			err = s.Store.CreateEstablishment(ctx, e)
		}
		if err != nil {
			return nil, err
		}
		ids[de.UAI] = e.ID
	}
	return ids, nil
}

// batch is people created in one transaction.
type batch struct {
	people []demo.Person
	ests   []string
}

// batches orders the work so that the accounts people log in with first
// (the admin, then each head) exist within seconds.
func batches(d *demo.Deployment, ests map[string]string) []batch {
	all := make([]string, 0, len(d.Establishments))
	for _, e := range d.Establishments {
		all = append(all, ests[e.UAI])
	}
	out := []batch{{people: []demo.Person{d.Admin}, ests: all}}
	for _, e := range d.Establishments {
		var heads []demo.Person
		for _, p := range e.People {
			if p.Profile == core.ProfileHead {
				heads = append(heads, p)
			}
		}
		out = append(out, batch{people: heads, ests: []string{ests[e.UAI]}})
	}
	for _, e := range d.Establishments {
		var rest []demo.Person
		for _, p := range e.People {
			if p.Profile != core.ProfileHead {
				rest = append(rest, p)
			}
		}
		for i := 0; i < len(rest); i += batchSize {
			out = append(out, batch{people: rest[i:min(i+batchSize, len(rest))], ests: []string{ests[e.UAI]}})
		}
	}
	return out
}

func (s *Seeder) people(ctx context.Context, d *demo.Deployment, ests map[string]string) error {
	bs := batches(d, ests)
	total := len(d.People())
	done := 0
	for _, b := range bs {
		if len(b.people) == 0 {
			continue
		}
		if _, err := s.Store.FindPersonByLogin(ctx, b.people[0].Login); err == nil {
			done += len(b.people) // this batch committed in an earlier run
			continue
		} else if !core.IsKind(err, core.NotFound) {
			return err
		}
		hashes := s.hashAll(ctx, b.people)
		if err := ctx.Err(); err != nil {
			return err
		}
		nps := make([]directory.NewPerson, len(b.people))
		for i, p := range b.people {
			person := &directory.Person{ID: core.NewID(), Login: p.Login, GivenName: p.GivenName, FamilyName: p.FamilyName,
				Profile: p.Profile, State: directory.Active, Mail: p.Mail, MustChangePassword: p.MustChange,
				Establishments: b.ests, ExternalIDs: p.ExternalIDs}
			if err := person.Validate(); err != nil {
				return fmt.Errorf("demo person %s: %w", p.Login, err)
			}
			nps[i] = directory.NewPerson{Person: person, PasswordHash: hashes[i]}
		}
		if err := s.Store.CreatePeople(ctx, nps); err != nil {
			return err
		}
		done += len(b.people)
		s.report(Progress{Stage: "people", Done: done, Total: total})
	}
	return nil
}

// hashAll hashes the passwords of people on every core.
func (s *Seeder) hashAll(ctx context.Context, people []demo.Person) []string {
	out := make([]string, len(people))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(core.CPUs(), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = s.Hash(people[i].Password)
			}
		}()
	}
	for i := range people {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// personIDs maps login → person ID for every person of the establishments.
func (s *Seeder) personIDs(ctx context.Context, ests map[string]string) (map[string]string, error) {
	ids := map[string]string{}
	for _, est := range ests {
		for off := 0; ; off += 1000 {
			page, total, err := s.Store.FindPeople(ctx, directory.PersonFilter{Establishments: []string{est},
				Sort: "login", Offset: off, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, p := range page {
				ids[p.Login] = p.ID
			}
			if off+len(page) >= total || len(page) == 0 {
				break
			}
		}
	}
	return ids, nil
}

func (s *Seeder) writeAccounts(d *demo.Deployment) error {
	return fsutil.WriteFile(filepath.Join(s.DataDir, AccountsFile), 0o600, false, d.AccountsCSV)
}
