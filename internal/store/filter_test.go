// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestFilterStore: settings, overrides and imports are stored, journaled
// with their author in the same transaction, and bump the filter counter
// that running nodes watch, on both back ends.
// CARINE: INF-SEC-6, INF-SEC-9
func TestFilterStore_INF_SEC_9(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		ctx := dirtest.Ctx()
		est := dirtest.NewEstablishment(999073, directory.College)
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		teacher := dirtest.NewPerson("prof.filtre", core.ProfileTeacher, est.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: teacher}}); err != nil {
			t.Fatal(err)
		}
		g := &directory.Group{Establishment: est.ID, Code: "6A", Name: "6e A", Kind: directory.Class, SchoolYear: 2026}
		if err := db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: teacher.ID, Role: directory.RoleOwner}}); err != nil {
			t.Fatal(err)
		}
		gs, err := db.FilterGroupsOf(context.Background(), teacher.ID, 2026)
		if err != nil || len(gs) != 1 || gs[0].Code != "6A" || gs[0].Role != directory.RoleOwner || gs[0].Establishment != est.ID {
			t.Fatalf("groups %+v %v", gs, err)
		}
		v0, _ := db.FilterVersion(context.Background())

		tctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: teacher.ID, Login: teacher.Login,
			Channel: core.ChannelWeb, Source: "10.0.0.5"})
		if err := db.PutFilterSettings(tctx, est.ID, `{"profiles":[]}`, "test"); err != nil {
			t.Fatal(err)
		}
		if err := db.PutFilterSettings(tctx, est.ID, `{not json`, ""); !core.IsKind(err, core.Invalid) {
			t.Fatalf("bad JSON stored: %v", err)
		}
		docs, err := db.FilterSettings(context.Background())
		if err != nil || docs[est.ID] != `{"profiles":[]}` {
			t.Fatalf("settings %v %v", docs, err)
		}
		o := &filter.Override{Establishment: est.ID, Kind: filter.KindDelegation, Target: "6A", Allow: true,
			Site: "wikipedia.org", From: clock.Now(), Until: clock.Now().Add(time.Hour), Note: "exposé"}
		if err := db.CreateFilterOverride(tctx, o); err != nil {
			t.Fatal(err)
		}
		ex := &filter.Override{Establishment: est.ID, Kind: filter.KindExam, Target: "6A", Sites: []string{"exam.example"},
			From: clock.Now(), Until: clock.Now().Add(2 * time.Hour)}
		if err := db.CreateFilterOverride(tctx, ex); err != nil {
			t.Fatal(err)
		}
		os, err := db.FilterOverrides(context.Background(), clock.Now())
		if err != nil || len(os) != 2 {
			t.Fatalf("overrides %+v %v", os, err)
		}
		if got := os[0]; got.ID != o.ID || !got.Allow || got.Site != "wikipedia.org" || got.AuthorLogin != "prof.filtre" ||
			!got.Until.Equal(o.Until) || got.Ended {
			t.Fatalf("override read back %+v", got)
		}
		if os[1].Sites[0] != "exam.example" {
			t.Fatalf("exam sites %+v", os[1])
		}
		if err := db.EndFilterOverride(tctx, est.ID, ex.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.EndFilterOverride(tctx, est.ID, ex.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("ended twice: %v", err)
		}
		os, _ = db.FilterOverrides(context.Background(), clock.Now())
		if !os[1].Ended {
			t.Fatalf("exam not ended: %+v", os[1])
		}
		if os, _ := db.FilterOverrides(context.Background(), clock.Now().Add(3*time.Hour)); len(os) != 0 {
			t.Fatalf("expired overrides listed: %+v", os)
		}
		if err := db.RecordFilterImport(tctx, &store.FilterImport{Source: "ut1.tar.gz", SHA256: "ab", Categories: 70, Domains: 5}); err != nil {
			t.Fatal(err)
		}
		if im, err := db.LastFilterImport(context.Background()); err != nil || im.Domains != 5 || im.By != "prof.filtre" {
			t.Fatalf("last import %+v %v", im, err)
		}
		if v, _ := db.FilterVersion(context.Background()); v != v0+5 {
			t.Fatalf("filter version %d → %d, want +5", v0, v)
		}
		es, err := db.FindJournal(context.Background(), journal.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			if strings.HasPrefix(e.Action, "filter.") {
				actions = append(actions, e.Action+"/"+e.ActorLogin)
			}
		}
		want := "filter.settings.put/prof.filtre filter.delegation.start/prof.filtre filter.exam.start/prof.filtre filter.exam.end/prof.filtre filter.lists.import/prof.filtre"
		if strings.Join(actions, " ") != want {
			t.Fatalf("journal %v\nwant %s", actions, want)
		}
	})
}
