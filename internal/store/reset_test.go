// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-AUT-9 — a teacher resets the passwords of the pupils of the
// classes they teach, not of other classes' pupils nor of staff; the head
// resets anyone of the establishment; every reset, and every refusal, is
// journaled.
func TestTeacherResetsOwnPupilsOnly_INF_AUT_9(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		a := newAuth(db, clock)
		e := dirtest.NewEstablishment(999051, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		teacher := dirtest.NewPerson("prof.durand", core.ProfileTeacher, e.ID)
		mine := dirtest.NewPerson("eleve.mien", core.ProfilePupil, e.ID)
		other := dirtest.NewPerson("eleve.autre", core.ProfilePupil, e.ID)
		staff := dirtest.NewPerson("cpe.martin", core.ProfileStaff, e.ID)
		head := dirtest.NewPerson("principal", core.ProfileHead, e.ID)
		var nps []directory.NewPerson
		for _, p := range []*directory.Person{teacher, mine, other, staff, head} {
			nps = append(nps, directory.NewPerson{Person: p})
		}
		if err := db.CreatePeople(ctx, nps); err != nil {
			t.Fatal(err)
		}
		g4b := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "4B", Name: "4e B", Kind: directory.Class,
			SchoolYear: 2026, Level: "4e"}
		g4c := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "4C", Name: "4e C", Kind: directory.Class,
			SchoolYear: 2026, Level: "4e"}
		if err := db.CreateGroups(ctx, []*directory.Group{g4b, g4c}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, []directory.Membership{{GroupID: g4b.ID, PersonID: teacher.ID, Role: directory.RoleOwner},
			{GroupID: g4b.ID, PersonID: mine.ID, Role: directory.RoleMember},
			{GroupID: g4c.ID, PersonID: other.ID, Role: directory.RoleMember}}); err != nil {
			t.Fatal(err)
		}
		as := func(p *directory.Person) context.Context {
			pr, err := a.PrincipalForLogin(context.Background(), p.Login)
			if err != nil {
				t.Fatal(err)
			}
			pr.Channel = core.ChannelWeb
			return core.ContextWithPrincipal(context.Background(), pr)
		}
		const pw = "Nouveau-Depart-2026"
		if err := a.ResetPassword(as(teacher), mine.Login, pw); err != nil {
			t.Fatalf("teacher resets a pupil of their class: %v", err)
		}
		for _, target := range []*directory.Person{other, staff} {
			if err := a.ResetPassword(as(teacher), target.Login, pw); !core.IsKind(err, core.Permission) {
				t.Fatalf("teacher resets %s: %v", target.Login, err)
			}
		}
		if err := a.ResetPassword(as(head), staff.Login, pw); err != nil {
			t.Fatalf("head resets staff: %v", err)
		}
		cs, err := a.TaughtPupils(as(teacher))
		if err != nil || len(cs) != 1 || len(cs[0].Pupils) != 1 || cs[0].Pupils[0].Login != mine.Login {
			t.Fatalf("taught pupils: %v %+v", err, cs)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "auth.password.reset"})
		if err != nil {
			t.Fatal(err)
		}
		ok, refused := 0, 0
		for _, e := range es {
			if e.Result == journal.Refused {
				refused++
			} else {
				ok++
			}
		}
		if ok != 2 || refused != 2 {
			t.Fatalf("journal: %d resets, %d refusals; want 2 and 2", ok, refused)
		}
	})
}
