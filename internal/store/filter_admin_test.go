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
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestFilterAdminStore: the download schedule, its runs, and the pupils'
// requests to open a site are stored and journaled in the same
// transaction; a request is answered once only; the staff of a group are
// found to be notified. Both back ends.
// CARINE: INF-SEC-6, INF-SEC-8
func TestFilterAdminStore_INF_SEC_8(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		ctx := dirtest.Ctx()
		bg := context.Background()
		est := dirtest.NewEstablishment(999074, directory.College)
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		teacher := dirtest.NewPerson("prof.ask", core.ProfileTeacher, est.ID)
		pupil := dirtest.NewPerson("eleve.ask", core.ProfilePupil, est.ID)
		other := dirtest.NewPerson("prof.autre", core.ProfileTeacher, est.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: teacher}, {Person: pupil}, {Person: other}}); err != nil {
			t.Fatal(err)
		}
		g := &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: "5B", Name: "5e B", Kind: directory.Class, SchoolYear: 2026}
		g2 := &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: "4C", Name: "4e C", Kind: directory.Class, SchoolYear: 2026}
		if err := db.CreateGroups(ctx, []*directory.Group{g, g2}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: teacher.ID, Role: directory.RoleOwner},
			{GroupID: g.ID, PersonID: pupil.ID, Role: directory.RoleMember},
			{GroupID: g2.ID, PersonID: other.ID, Role: directory.RoleMember}}); err != nil {
			t.Fatal(err)
		}
		staff, err := db.FilterGroupStaff(bg, est.ID, []string{"5B"}, 2026)
		if err != nil || len(staff) != 1 || staff[0].ID != teacher.ID {
			t.Fatalf("staff of 5B: %+v %v", staff, err)
		}
		members, err := db.FilterGroupMembers(bg, est.ID, []string{"5B"}, 2026)
		if _, ok := members[pupil.Login]; err != nil || len(members) != 1 || !ok {
			t.Fatalf("pupils of 5B: %v %v", members, err)
		}

		// The schedule: refused when invalid, stored and journaled otherwise.
		if _, err := db.FilterFetchConfig(bg); !core.IsKind(err, core.NotFound) {
			t.Fatalf("config before any: %v", err)
		}
		bad := &filter.FetchConfig{URL: "ftp://x", EveryHours: 24}
		if err := db.PutFilterFetchConfig(ctx, bad); !core.IsKind(err, core.Invalid) {
			t.Fatalf("bad URL stored: %v", err)
		}
		c := &filter.FetchConfig{URL: "https://lists.example/blacklists.tar.gz", Enabled: true, AtMinute: 150, EveryHours: 24}
		if err := db.PutFilterFetchConfig(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.FilterFetchConfig(bg)
		if err != nil || got.URL != c.URL || !got.Enabled || got.AtMinute != 150 || got.EveryHours != 24 {
			t.Fatalf("config %+v %v", got, err)
		}
		run := &filter.FetchRun{Started: clock.Now(), Finished: clock.Now(), URL: c.URL, Cause: "schedule", Message: "MD5 mismatch"}
		if err := db.RecordFilterFetch(bg, run); err != nil {
			t.Fatal(err)
		}
		runs, err := db.FilterFetchRuns(bg, 5)
		if err != nil || len(runs) != 1 || runs[0].OK || runs[0].Message != "MD5 mismatch" {
			t.Fatalf("runs %+v %v", runs, err)
		}

		// A request, answered once.
		pctx := core.ContextWithPrincipal(bg, core.Principal{PersonID: pupil.ID, Login: pupil.Login, Channel: core.ChannelWeb})
		a := &filter.Ask{Establishment: est.ID, PersonID: pupil.ID, Login: pupil.Login, Name: pupil.DisplayName,
			Groups: []string{"5B"}, Site: "jeux.example", Reason: "exposé"}
		if err := db.CreateFilterAsk(pctx, a); err != nil {
			t.Fatal(err)
		}
		pend, err := db.FilterAsks(bg, est.ID, filter.AskPending, time.Time{}, 10)
		if err != nil || len(pend) != 1 || pend[0].Site != "jeux.example" || len(pend[0].Groups) != 1 || pend[0].Groups[0] != "5B" {
			t.Fatalf("pending %+v %v", pend, err)
		}
		tctx := core.ContextWithPrincipal(bg, core.Principal{PersonID: teacher.ID, Login: teacher.Login, Channel: core.ChannelWeb})
		if err := db.DecideFilterAsk(tctx, est.ID, a.ID, filter.AskAccepted, "5B", "ovr1"); err != nil {
			t.Fatal(err)
		}
		if err := db.DecideFilterAsk(tctx, est.ID, a.ID, filter.AskRefused, "", ""); !core.IsKind(err, core.Conflict) {
			t.Fatalf("answered twice: %v", err)
		}
		if err := db.DecideFilterAsk(tctx, "other", a.ID, filter.AskRefused, "", ""); !core.IsKind(err, core.NotFound) {
			t.Fatalf("answered from another establishment: %v", err)
		}
		one, err := db.FilterAsk(bg, est.ID, a.ID)
		if err != nil || one.State != filter.AskAccepted || one.DecidedBy != teacher.Login || one.Target != "5B" || one.OverrideID != "ovr1" {
			t.Fatalf("decided %+v %v", one, err)
		}
		es, err := db.FindJournal(bg, journal.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]journal.Result{}
		for _, e := range es {
			seen[e.Action] = e.Result
		}
		for _, act := range []string{"filter.fetch.configure", "filter.lists.fetch", "filter.ask", "filter.ask.accept"} {
			if _, ok := seen[act]; !ok {
				t.Errorf("no %s in the journal: %v", act, seen)
			}
		}
		if seen["filter.lists.fetch"] != journal.Failed {
			t.Errorf("a failed download is journaled as %q", seen["filter.lists.fetch"])
		}
	})
}
