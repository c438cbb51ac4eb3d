// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// cheapHash stands in for argon2id in these tests (hashing is not what
// they test; auth's tests cover it).
func cheapHash(pw string) string { return "$test$" + pw[:2] }

func pupil(id, given, family, class string) dirsync.Person {
	return dirsync.Person{Key: dirsync.Key{Kind: "siecle_eleve_id", Value: id}, GivenName: given, FamilyName: family,
		Profile: core.ProfilePupil, Class: class, ExternalIDs: map[string]string{"ine": "INE" + id}}
}

func siecle(people ...dirsync.Person) *dirsync.Incoming {
	return &dirsync.Incoming{Source: "siecle", UAI: "0999050Z", SchoolYear: 2026, Files: []string{"ElevesSansAdresses.xml"},
		Complete: true, People: people, Dropped: map[string]int{"DATE_NAISS": len(people)}}
}

// TestImportSyncSemantics: first import creates; the same import again
// plans nothing; a delta (class change, leaver, newcomer, new teacher
// service) gives exactly those changes; the run is journaled.
func TestImportSyncSemantics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		db := open(t)
		clock := core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		e := dirtest.NewEstablishment(999050, directory.Lycee)
		e.Domains = []string{"lyc.demo.test"}
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: clock, Hash: cheapHash}
		var first []dirsync.Person
		for i, n := range []string{"Zoé Martin", "Zoé Martin", "Léo Petit", "Inès Roux", "Ali Ben Saïd", "Emma Moreau",
			"Lucas Bernard", "Chloé Dubois", "Hugo Laurent", "Jade Simon", "Nathan Michel", "Manon Garcia"} {
			g, f, _ := strings.Cut(n, " ")
			first = append(first, pupil(string(rune('a'+i)), g, f, []string{"2NDE1", "2NDE2"}[i%2]))
		}
		plan, err := eng.Plan(ctx, siecle(first...), dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Creates) != 12 || len(plan.NewGroups) != 2 || len(plan.Credentials) != 12 {
			t.Fatalf("first import: %d creates, groups %v", len(plan.Creates), plan.NewGroups)
		}
		if plan.Creates[0].Login != "zoe.martin" || plan.Creates[1].Login != "zoe.martin2" {
			t.Fatalf("logins: %s %s", plan.Creates[0].Login, plan.Creates[1].Login)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		zoe, err := db.FindPersonByLogin(ctx, "zoe.martin")
		if err != nil || zoe.Mail != "zoe.martin@eleves.lyc.demo.test" || !zoe.MustChangePassword || zoe.ExternalIDs["ine"] != "INEa" {
			t.Fatalf("created pupil: %+v %v", zoe, err)
		}
		again, err := eng.Plan(ctx, siecle(first...), dirsync.Options{Mode: dirsync.Full})
		if err != nil || !again.Empty() {
			t.Fatalf("re-import must change nothing: %v %+v %+v %+v", err, again.Updates, again.Moves, again.Changes.AddMembers)
		}
		// Delta: Léo moves to 2NDE2, Inès leaves, Tom arrives, a teacher appears.
		delta := slices.Clone(first)
		delta[2].Class = "2NDE2"
		delta = append(delta[:3], delta[4:]...)
		delta = append(delta, pupil("z", "Tom", "Nouveau", "2NDE2"))
		plan, err = eng.Plan(ctx, siecle(delta...), dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Creates) != 1 || len(plan.Moves) != 1 || len(plan.Disables) != 1 || len(plan.Updates) != 0 ||
			plan.Moves[0].Detail != "2NDE1 → 2NDE2" || plan.Disables[0].Login != "ines.roux" {
			t.Fatalf("delta: creates %v moves %v disables %v updates %v", plan.Creates, plan.Moves, plan.Disables, plan.Updates)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		ines, _ := db.FindPersonByLogin(ctx, "ines.roux")
		if ines.State != directory.Disabled || ines.DeleteAfter.IsZero() {
			t.Fatalf("leaver: %+v", ines)
		}
		sts := &dirsync.Incoming{Source: "sts", UAI: "0999050Z", SchoolYear: 2026, Files: []string{"sts_emp_0999050Z_2026.xml"},
			Complete: true, People: []dirsync.Person{{Key: dirsync.Key{Kind: "sts_id", Value: "T1"}, GivenName: "Paul",
				FamilyName: "Durand", Profile: core.ProfileTeacher, Teaches: []string{"2NDE1", "SPE-MATHS-1"}}}}
		plan, err = eng.Plan(ctx, sts, dirsync.Options{Mode: dirsync.Full})
		if err != nil || len(plan.Creates) != 1 || !slices.Equal(plan.NewGroups, []string{"SPE-MATHS-1"}) || len(plan.Disables) != 0 {
			t.Fatalf("sts: %v %+v", err, plan)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "directory.import.run"})
		if err != nil || len(es) != 3 || !slices.Contains(es[1].Attributes, "moved:1") || es[1].TargetName != e.UAI {
			t.Fatalf("import runs journaled: %v %+v", err, es)
		}
		rep, _ := db.VerifyJournal(ctx, nil, nil)
		if len(rep.Problems) > 0 {
			t.Fatalf("journal: %+v", rep.Problems)
		}
	})
}

// TestImportRefusals: unknown UAI, wrong school year, too many disables.
func TestImportRefusals(t *testing.T) {
	db := openSQLite(t)
	ctx := dirtest.Ctx()
	clock := core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
	eng := &dirsync.Engine{Store: db, Clock: clock, Hash: cheapHash}
	_, err := eng.Plan(ctx, siecle(pupil("a", "A", "B", "6A")), dirsync.Options{})
	if core.KindOf(err) != core.NotFound || !strings.Contains(err.Error(), "0999050Z") {
		t.Fatalf("unknown UAI: %v", err)
	}
	e := dirtest.NewEstablishment(999050, directory.College)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		t.Fatal(err)
	}
	old := siecle(pupil("a", "A", "B", "6A"))
	old.SchoolYear = 2025
	if _, err := eng.Plan(ctx, old, dirsync.Options{}); core.KindOf(err) != core.Invalid || !strings.Contains(err.Error(), "2025-2026") {
		t.Fatalf("other school year: %v", err)
	}
	var many []dirsync.Person
	for i := range 20 {
		many = append(many, pupil(string(rune('a'+i)), "Élève", string(rune('A'+i)), "6A"))
	}
	plan, err := eng.Plan(ctx, siecle(many...), dirsync.Options{Mode: dirsync.Full})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Apply(ctx, plan, nil); err != nil {
		t.Fatal(err)
	}
	_, err = eng.Plan(ctx, siecle(many[:10]...), dirsync.Options{Mode: dirsync.Full})
	if core.KindOf(err) != core.Conflict || !strings.Contains(err.Error(), "--confirm-disable") {
		t.Fatalf("mass disable not stopped: %v", err)
	}
	plan, err = eng.Plan(ctx, siecle(many[:10]...), dirsync.Options{Mode: dirsync.Partial})
	if err != nil || len(plan.Disables) != 0 {
		t.Fatalf("partial mode must never disable: %v %v", err, plan.Disables)
	}
}

// CARINE: INF-ANN-3 — TestLeaversDeletedAfterGrace: a leaver disabled by a full import is
// deleted, and the deletion journaled, once the grace period has passed.
func TestLeaversDeletedAfterGrace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		e := dirtest.NewEstablishment(999050, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: clock, Hash: cheapHash}
		var all []dirsync.Person
		for i := range 12 {
			all = append(all, pupil(string(rune('a'+i)), "Élève", string(rune('A'+i)), "6A"))
		}
		for _, in := range [][]dirsync.Person{all, all[1:]} {
			plan, err := eng.Plan(ctx, siecle(in...), dirsync.Options{Mode: dirsync.Full, Grace: 7 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Apply(ctx, plan, nil); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.DeleteExpired(ctx, clock.Now().Add(6*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("deleted %d before the end of the grace period (%v)", n, err)
		}
		n, err := db.DeleteExpired(ctx, clock.Now().Add(8*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d after the grace period (%v)", n, err)
		}
		if _, err := db.FindPersonByLogin(ctx, "eleve.a"); core.KindOf(err) != core.NotFound {
			t.Fatalf("the leaver still exists: %v", err)
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Action: "directory.person.delete"})
		if len(es) != 1 || es[0].TargetName != "eleve.a" {
			t.Fatalf("deletion journal: %+v", es)
		}
	})
}
