// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// TestSessionPrincipalInOneQuery checks the hot path of the web on both
// back ends: a session's principal carries the person's establishments in
// order and exactly the grants in force (not revoked, started, not ended).
func TestSessionPrincipalInOneQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		a := newAuth(db, clock)
		e1, e2 := dirtest.NewEstablishment(999061, directory.College), dirtest.NewEstablishment(999062, directory.Lycee)
		for _, e := range []*directory.Establishment{e1, e2} {
			if err := db.CreateEstablishment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		p := dirtest.NewPerson("anne.roux", core.ProfileTeacher, e2.ID, e1.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: a.Hash("Tableau-Noir-2026")}}); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		for _, g := range []*directory.Grant{
			{ID: core.NewID(), Establishment: e1.ID, PersonID: p.ID, Right: core.RightSignagePublish, From: now.Add(-time.Hour)},
			{ID: core.NewID(), Establishment: e2.ID, PersonID: p.ID, Right: core.RightSMSSend, From: now.Add(time.Hour)},
			{ID: core.NewID(), Establishment: e2.ID, PersonID: p.ID, Right: core.RightLogsRead, From: now.Add(-2 * time.Hour),
				Until: now.Add(-time.Hour)},
			{ID: core.NewID(), Establishment: e2.ID, PersonID: p.ID, Right: core.RightMonitorRead, From: now.Add(-time.Hour)},
		} {
			if err := db.CreateGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		// Grants to a group she belongs to: one in force with a zone, one revoked.
		grp := &directory.Group{ID: core.NewID(), Establishment: e2.ID, Code: "VS", Name: "Vie scolaire",
			Kind: directory.Staff}
		if err := db.CreateGroups(ctx, []*directory.Group{grp}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembers(ctx, []directory.Membership{{GroupID: grp.ID, PersonID: p.ID, Role: directory.RoleMember}}); err != nil {
			t.Fatal(err)
		}
		viaGroup := &directory.Grant{ID: core.NewID(), Establishment: e2.ID, GroupID: grp.ID, Right: core.RightPeopleManage,
			Zone: "admin", From: now.Add(-time.Hour)}
		revoked := &directory.Grant{ID: core.NewID(), Establishment: e2.ID, GroupID: grp.ID, Right: core.RightJournalRead,
			From: now.Add(-time.Hour)}
		for _, g := range []*directory.Grant{viaGroup, revoked} {
			if err := db.CreateGrant(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RevokeGrant(ctx, revoked.ID); err != nil {
			t.Fatal(err)
		}
		cookie, _, err := a.Login(context.Background(), auth.Attempt{Login: "anne.roux", Password: "Tableau-Noir-2026",
			Channel: core.ChannelWeb, Source: "10.0.0.3"})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := a.SessionPrincipal(context.Background(), cookie)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pr.Establishments, []string{e2.ID, e1.ID}) {
			t.Fatalf("establishments %v, want the lycée then the collège", pr.Establishments)
		}
		got := map[core.Grant]bool{}
		for _, g := range pr.Grants {
			got[g] = true
		}
		want := map[core.Grant]bool{{Right: core.RightSignagePublish, Establishment: e1.ID}: true,
			{Right: core.RightMonitorRead, Establishment: e2.ID}:                 true,
			{Right: core.RightPeopleManage, Establishment: e2.ID, Zone: "admin"}: true}
		if !maps.Equal(got, want) {
			t.Fatalf("grants in force: %v, want %v", pr.Grants, want)
		}
		all, err := db.FindGrants(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 6 || all[5].GroupID != grp.ID && all[4].GroupID != grp.ID {
			t.Fatalf("FindGrants: own and group grants, got %d", len(all))
		}
		byEst, err := db.FindEstablishmentGrants(ctx, e2.ID)
		if err != nil || len(byEst) != 5 {
			t.Fatalf("establishment grants: %d %v", len(byEst), err)
		}
	})
}
