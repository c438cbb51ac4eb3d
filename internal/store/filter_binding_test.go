// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestFilterBinding: a portal login binds an address to a person while the
// session lives; the newest login from an address wins; logout, the end of
// the session and expiry unbind it; every bind and unbind is journaled, on
// both back ends.
// CARINE: INF-AUT-1
func TestFilterBinding_INF_AUT_1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		ctx := dirtest.Ctx()
		est := dirtest.NewEstablishment(999074, directory.College)
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		zoe := dirtest.NewPerson("zoe.bind", core.ProfilePupil, est.ID)
		max := dirtest.NewPerson("max.bind", core.ProfilePupil, est.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: zoe}, {Person: max}}); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		session := func(id, person string) {
			t.Helper()
			if err := db.CreateSession(ctx, &auth.Session{ID: id, PersonID: person, CreatedAt: now, LastSeen: now,
				ExpiresAt: now.Add(12 * time.Hour), Methods: []string{"pwd"}, AuthTime: now},
				journal.Entry{Action: "auth.login"}); err != nil {
				t.Fatal(err)
			}
		}
		session("s-zoe", zoe.ID)
		session("s-max", max.ID)
		pctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: zoe.ID, Login: zoe.Login,
			Channel: core.ChannelWeb, Source: "10.1.2.3"})
		b := &store.FilterBinding{Address: "10.1.2.3", PersonID: zoe.ID, Login: zoe.Login, Establishment: est.ID,
			SessionID: "s-zoe", ExpiresAt: now.Add(12 * time.Hour)}
		if err := db.BindFilterAddress(pctx, b); err != nil {
			t.Fatal(err)
		}
		idle := now.Add(-2 * time.Hour)
		got, err := db.FilterBindingOf(context.Background(), "10.1.2.3", now, idle)
		if err != nil || got.PersonID != zoe.ID || got.Login != "zoe.bind" || got.Profile != core.ProfilePupil ||
			got.Establishment != est.ID || !got.ExpiresAt.Equal(b.ExpiresAt) {
			t.Fatalf("binding %+v %v", got, err)
		}
		if _, err := db.FilterBindingOf(context.Background(), "10.9.9.9", now, idle); !core.IsKind(err, core.NotFound) {
			t.Fatalf("unbound address: %v", err)
		}
		// Past the session's idle timeout the binding no longer counts.
		if _, err := db.FilterBindingOf(context.Background(), "10.1.2.3", now, now.Add(time.Second)); !core.IsKind(err, core.NotFound) {
			t.Fatalf("idle session still binds: %v", err)
		}
		// A newer login from the same address replaces the binding; the
		// older session's logout then leaves it alone.
		if err := db.BindFilterAddress(pctx, &store.FilterBinding{Address: "10.1.2.3", PersonID: max.ID, Login: max.Login,
			Establishment: est.ID, SessionID: "s-max", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if gone, err := db.UnbindFilterSession(pctx, "s-zoe"); err != nil || len(gone) != 0 {
			t.Fatalf("unbinding an older session: %v %v", gone, err)
		}
		if got, err := db.FilterBindingOf(context.Background(), "10.1.2.3", now, idle); err != nil || got.PersonID != max.ID {
			t.Fatalf("newest login: %+v %v", got, err)
		}
		if gone, err := db.UnbindFilterSession(pctx, "s-max"); err != nil || len(gone) != 1 || gone[0] != "10.1.2.3" {
			t.Fatalf("logout: %v %v", gone, err)
		}
		if _, err := db.FilterBindingOf(context.Background(), "10.1.2.3", now, idle); !core.IsKind(err, core.NotFound) {
			t.Fatalf("binding after logout: %v", err)
		}
		// A session that ends (deleted) or a binding that expires is swept.
		if err := db.BindFilterAddress(pctx, &store.FilterBinding{Address: "10.1.2.4", PersonID: zoe.ID, Login: zoe.Login,
			Establishment: est.ID, SessionID: "s-zoe", ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.BindFilterAddress(pctx, &store.FilterBinding{Address: "10.1.2.5", PersonID: max.ID, Login: max.Login,
			Establishment: est.ID, SessionID: "s-max", ExpiresAt: now.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSession(ctx, "s-max", journal.Entry{Action: "auth.logout"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FilterBindingOf(context.Background(), "10.1.2.5", now, idle); !core.IsKind(err, core.NotFound) {
			t.Fatalf("binding of a deleted session: %v", err)
		}
		if gone, err := db.SweepFilterBindings(ctx, now, idle); err != nil || len(gone) != 1 || gone[0] != "10.1.2.5" {
			t.Fatalf("sweep of the ended session: %v %v", gone, err)
		}
		later := now.Add(2 * time.Hour)
		if gone, err := db.SweepFilterBindings(ctx, later, later.Add(-3*time.Hour)); err != nil || len(gone) != 1 || gone[0] != "10.1.2.4" {
			t.Fatalf("sweep of the expired binding: %v %v", gone, err)
		}
		if err := db.BindFilterAddress(pctx, &store.FilterBinding{Address: "", PersonID: zoe.ID, SessionID: "x"}); !core.IsKind(err, core.Invalid) {
			t.Fatalf("empty address: %v", err)
		}
		binds, _ := db.FindJournal(ctx, journal.Filter{Action: "filter.bind"})
		unbinds, _ := db.FindJournal(ctx, journal.Filter{Action: "filter.unbind"})
		if len(binds) != 4 || len(unbinds) != 3 {
			t.Fatalf("journal: %d binds, %d unbinds", len(binds), len(unbinds))
		}
		if binds[0].ActorLogin != "zoe.bind" || binds[0].Chain != est.ID || unbinds[0].Reason != "logout" ||
			unbinds[2].Reason != "expired" {
			t.Fatalf("journal entries %+v %+v", binds[0], unbinds)
		}
	})
}
