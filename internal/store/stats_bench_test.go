// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/privacy"
	"github.com/preau/preau/internal/store"
)

// bigSchool fills a store with a lycée of n people (journal off, as an
// import would be fast) and returns it with the establishment's ID and one
// pupil's.
func bigSchool(b *testing.B, be backend, n int) (*store.DB, string, string) {
	db := openForBench(b, be)
	ctx := dirtest.Ctx()
	e := dirtest.NewEstablishment(999098, directory.Lycee)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		b.Fatal(err)
	}
	var nps []directory.NewPerson
	for i := range n {
		prof := core.ProfilePupil
		if i%12 == 0 {
			prof = core.ProfileTeacher
		}
		p := dirtest.NewPerson(fmt.Sprintf("p%05d", i), prof, e.ID)
		p.MustChangePassword = i%3 == 0
		nps = append(nps, directory.NewPerson{Person: p, PasswordHash: "h"})
	}
	if err := db.CreatePeople(ctx, nps); err != nil {
		b.Fatal(err)
	}
	return db, e.ID, nps[1].Person.ID
}

// BenchmarkPeopleStats measures the dashboard's grouped count over a
// 10,000-person establishment.
func BenchmarkPeopleStats(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db, est, _ := bigSchool(b, be, 10000)
			ctx := dirtest.Ctx()
			b.ResetTimer()
			for range b.N {
				if _, err := db.PeopleStats(ctx, []string{est}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMyDataExport measures building one person's "my data" export in
// a 10,000-person establishment whose journal holds every creation.
func BenchmarkMyDataExport(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db, _, pupil := bigSchool(b, be, 10000)
			ctx := dirtest.Ctx()
			deps := privacy.Deps{Source: db, Clock: core.SystemClock{}}
			b.ResetTimer()
			for range b.N {
				if _, err := privacy.Build(ctx, deps, pupil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
