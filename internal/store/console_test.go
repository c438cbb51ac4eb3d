// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-ANN-4 — the console's group writes: rename, move a pupil to
// another class (leaving the old one of the same year, not last year's),
// delete a group with its memberships; each change journaled in its
// transaction; the class column and the role filter of the people list.
func TestConsoleGroupWrites_INF_ANN_4(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999301, directory.College)
		check(t, db.CreateEstablishment(ctx, e))
		pupil := dirtest.NewPerson("eleve", core.ProfilePupil, e.ID)
		teacher := dirtest.NewPerson("prof", core.ProfileTeacher, e.ID)
		check(t, db.CreatePeople(ctx, []directory.NewPerson{{Person: pupil}, {Person: teacher}}))
		mk := func(code string, kind directory.GroupKind, year int) *directory.Group {
			return &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: code, Name: code, Kind: kind, SchoolYear: year}
		}
		old, a, b, club := mk("5A", directory.Class, 2025), mk("6A", directory.Class, 2026), mk("6B", directory.Class, 2026),
			mk("CLUB", directory.Custom, 0)
		check(t, db.CreateGroups(ctx, []*directory.Group{old, a, b, club}))
		check(t, db.AddMembers(ctx, []directory.Membership{{GroupID: old.ID, PersonID: pupil.ID, Role: directory.RoleMember},
			{GroupID: a.ID, PersonID: pupil.ID, Role: directory.RoleMember}, {GroupID: a.ID, PersonID: teacher.ID, Role: directory.RoleOwner},
			{GroupID: club.ID, PersonID: pupil.ID, Role: directory.RoleMember}}))

		other := dirtest.NewEstablishment(999302, directory.Lycee)
		check(t, db.CreateEstablishment(ctx, other))
		if es, err := db.ListEstablishments(ctx, nil); err != nil || len(es) != 2 || es[0].UAI != e.UAI || es[1].Name != other.Name {
			t.Fatalf("every establishment: %v %+v", err, es)
		}
		if es, err := db.ListEstablishments(ctx, []string{other.ID}); err != nil || len(es) != 1 || es[0].ID != other.ID {
			t.Fatalf("one establishment: %v %+v", err, es)
		}
		if es, err := db.ListEstablishments(ctx, []string{}); err != nil || len(es) != 0 {
			t.Fatalf("no establishment: %v %+v", err, es)
		}

		name := "Club d’échecs"
		g, err := db.UpdateGroup(ctx, club.ID, directory.GroupUpdate{Name: &name})
		if err != nil || g.Name != name || g.Members != 1 {
			t.Fatalf("rename: %v %+v", err, g)
		}
		if _, err := db.UpdateGroup(ctx, core.NewID(), directory.GroupUpdate{Name: &name}); !core.IsKind(err, core.NotFound) {
			t.Fatalf("rename a missing group: %v", err)
		}

		check(t, db.MoveToClass(ctx, pupil.ID, b.ID))
		classes, err := db.PeopleClasses(ctx, []string{pupil.ID, teacher.ID}, 2026)
		check(t, err)
		if classes[pupil.ID] != "6B" || classes[teacher.ID] != "" {
			t.Fatalf("classes after the move: %v", classes)
		}
		if c, _ := db.PeopleClasses(ctx, []string{pupil.ID}, 2025); c[pupil.ID] != "5A" {
			t.Fatalf("last year's class was touched: %v", c)
		}
		check(t, db.MoveToClass(ctx, pupil.ID, b.ID)) // already there: nothing changes
		if err := db.MoveToClass(ctx, pupil.ID, club.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("move to a group that is not a class: %v", err)
		}
		owners, n, err := db.FindPeople(ctx, directory.PersonFilter{Group: a.ID, Role: directory.RoleOwner})
		check(t, err)
		if n != 1 || owners[0].Login != "prof" {
			t.Fatalf("owners of 6A: %d", n)
		}
		if _, n, _ := db.FindPeople(ctx, directory.PersonFilter{Group: a.ID, Role: directory.RoleMember}); n != 0 {
			t.Fatalf("6A keeps %d members", n)
		}

		check(t, db.DeleteGroup(ctx, club.ID))
		if gs, _ := db.FindGroups(ctx, directory.GroupFilter{ID: club.ID}); len(gs) != 0 {
			t.Fatal("group not deleted")
		}
		if ms, _ := db.FindMemberships(ctx, pupil.ID); len(ms) != 2 {
			t.Fatalf("memberships after the delete: %+v", ms)
		}
		if err := db.DeleteGroup(ctx, club.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		for action, want := range map[string]int{"directory.group.update": 1, "directory.group.delete": 1,
			"directory.group.member.remove": 1, "directory.group.member.add": 5} {
			es, err := db.FindJournal(ctx, journal.Filter{Action: action})
			check(t, err)
			if len(es) != want {
				t.Errorf("%s: %d entries, want %d", action, len(es), want)
			}
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Action: "directory.group.delete"})
		if len(es) == 1 && (es[0].TargetName != "CLUB" || es[0].Reason != "1 memberships removed") {
			t.Errorf("delete entry: %+v", es[0])
		}
	})
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
