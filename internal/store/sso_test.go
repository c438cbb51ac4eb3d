// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-AUT-3 — SSO state on both back ends: a ticket is redeemed
// once; a refresh token rotates once and a replay revokes its family; a
// refresh token dies with its session; dead sessions and what they left
// are purged.
func TestSSOStateSingleUse_INF_AUT_3(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		a := newAuth(db, clock)
		e := dirtest.NewEstablishment(999041, directory.Lycee)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: dirtest.NewPerson("ines.roy", core.ProfilePupil, e.ID),
			PasswordHash: a.Hash("Cahier-Rouge-2026")}}); err != nil {
			t.Fatal(err)
		}
		_, p, err := a.Login(context.Background(), auth.Attempt{Login: "ines.roy", Password: "Cahier-Rouge-2026",
			Channel: core.ChannelWeb, Source: "10.0.0.2"})
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := sso.Register(ctx, db, clock, sso.NewClient{Protocol: sso.OIDC, Name: "ENT",
			URIs: []string{"https://ent.example.test/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		tk := &sso.Ticket{ID: "t1", Kind: "oidc_code", ClientID: id, PersonID: p.PersonID, SessionID: p.SessionID,
			Service: "https://ent.example.test/cb", ExpiresAt: clock.Now().Add(time.Minute)}
		if err := db.CreateTicket(ctx, tk, journal.Entry{Action: "auth.sso.oidc", TargetID: id}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.RedeemTicket(ctx, "t1", "oidc_code"); err != nil || got.PersonID != p.PersonID {
			t.Fatalf("redeem: %v %+v", err, got)
		}
		if _, err := db.RedeemTicket(ctx, "t1", "oidc_code"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("second redemption: %v", err)
		}
		rt := func(id2, parent string) error {
			return db.CreateRefreshToken(ctx, &sso.RefreshToken{ID: id2, Family: "f1", ClientID: id, PersonID: p.PersonID,
				SessionID: p.SessionID, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}, parent)
		}
		if err := rt("r1", ""); err != nil {
			t.Fatal(err)
		}
		if err := rt("r2", "r1"); err != nil {
			t.Fatal(err)
		}
		if err := rt("r3", "r1"); !core.IsKind(err, core.Conflict) {
			t.Fatalf("replayed parent: %v", err)
		}
		if _, err := db.FindRefreshToken(ctx, "r2"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("the family survived a replay: %v", err)
		}
		if err := rt("r4", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindRefreshToken(ctx, "r4"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(13 * time.Hour) // past the session's absolute end
		if _, err := db.FindRefreshToken(ctx, "r4"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("a refresh token outlived its session: %v", err)
		}
		if n, err := db.PurgeAuthState(ctx, clock.Now()); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
	})
}
