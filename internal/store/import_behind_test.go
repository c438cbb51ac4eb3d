// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestImportLateFailureStoresNothing: an import's many-row statements run
// behind the goroutine that prepares them (store's writeBehind); a
// statement failing late — a person row of the fourth chunk, or a
// membership of the last one — fails the whole import: no person, group,
// membership nor journal entry of it stays, the journal still verifies, and
// the next import appends after the chain as it was.
// CARINE: INF-ANN-4
func TestImportLateFailureStoresNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		db := open(t)
		e := dirtest.NewEstablishment(999070, directory.Lycee)
		e.Domains = []string{"lyc.late.test"}
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		first := siecle(pupil("0", "Zoé", "Martin", "2NDE1"))
		first.UAI = e.UAI
		plan, err := eng.Plan(ctx, first, dirsync.Options{Mode: dirsync.Partial})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		counts := func() (people, entries int) {
			t.Helper()
			_, n, err := db.FindPeople(ctx, directory.PersonFilter{})
			if err != nil {
				t.Fatal(err)
			}
			es, err := db.FindJournal(ctx, journal.Filter{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			return n, len(es)
		}
		people0, entries0 := counts()
		var many []dirsync.Person
		for i := range 300 {
			many = append(many, pupil(fmt.Sprint(i+1), "Élève", fmt.Sprintf("Nom%03d", i), fmt.Sprintf("1ERE%d", i/30)))
		}
		in := siecle(many...)
		in.UAI = e.UAI
		for _, tc := range []struct {
			name   string
			tamper func(c *directory.ImportChanges)
		}{
			{"person of the fourth chunk takes a login in use", func(c *directory.ImportChanges) {
				c.NewPeople[250].Person.Login = "zoe.martin"
			}},
			{"last membership names no group", func(c *directory.ImportChanges) {
				c.AddMembers[len(c.AddMembers)-1].GroupID = core.NewID()
			}},
		} {
			plan, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Changes.NewPeople) != 300 || len(plan.Changes.AddMembers) != 300 {
				t.Fatalf("plan: %d people, %d memberships", len(plan.Changes.NewPeople), len(plan.Changes.AddMembers))
			}
			tc.tamper(plan.Changes)
			if err := eng.Apply(ctx, plan, nil); err == nil {
				t.Fatalf("%s: the import must fail", tc.name)
			}
			if p, n := counts(); p != people0 || n != entries0 {
				t.Fatalf("%s: %d people and %d journal entries after the failed import, want %d and %d",
					tc.name, p, n, people0, entries0)
			}
			if gs, err := db.FindGroups(ctx, directory.GroupFilter{Establishment: e.ID}); err != nil || len(gs) != 1 {
				t.Fatalf("%s: groups after the failed import: %v %d", tc.name, err, len(gs))
			}
		}
		plan, err = eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial})
		if err != nil {
			t.Fatal(err)
		}
		// Memberships asked twice (of people the import creates: no
		// RETURNING tells which are new) are added and journaled once: one
		// asked again in another statement, one in the same statement.
		am := plan.Changes.AddMembers
		plan.Changes.AddMembers = append(am, am[0], am[299])
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		gs, err := db.FindGroups(ctx, directory.GroupFilter{Establishment: e.ID})
		members := 0
		for _, g := range gs {
			members += g.Members
		}
		if err != nil || members != 301 {
			t.Fatalf("memberships after the good import: %v %d, want 301", err, members)
		}
		// Rows written in many-row statements (their shared columns bound
		// once: see sharedInsert) read back as created.
		last, err := db.FindPersonByLogin(ctx, "eleve.nom299")
		if err != nil || last.GivenName != "Élève" || last.FamilyName != "Nom299" || last.Profile != core.ProfilePupil ||
			last.State != directory.Active || !last.MustChangePassword || last.Mail != "eleve.nom299@eleves.lyc.late.test" ||
			len(last.Establishments) != 1 || last.Establishments[0] != e.ID || last.ExternalIDs["ine"] != "INE300" ||
			last.ExternalIDs["siecle_eleve_id"] != "300" || last.CreatedAt.IsZero() || !last.CreatedAt.Equal(last.UpdatedAt) ||
			!last.DeleteAfter.IsZero() || last.UIDNumber == 0 {
			t.Fatalf("created pupil: %v %+v", err, last)
		}
		// 300 people and 300 memberships, 10 classes, the run's summary.
		if p, n := counts(); p != people0+300 || n != entries0+300+300+10+1 {
			t.Fatalf("after the good import: %d people, %d journal entries (from %d, %d)", p, n, people0, entries0)
		}
		rep, err := db.VerifyJournal(ctx, nil, nil)
		if err != nil || len(rep.Problems) > 0 {
			t.Fatalf("journal: %v %+v", err, rep.Problems)
		}
	})
}
