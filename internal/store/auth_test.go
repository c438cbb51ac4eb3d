// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

func newAuth(db *store.DB, clock core.Clock) *auth.Service {
	cfg := auth.Config{}
	cfg.Defaults()
	return auth.New(cfg, auth.Deps{Store: db, Clock: clock, Log: slog.New(slog.DiscardHandler)})
}

// CARINE: INF-ANN-4 (attempts traced) — every login attempt is journaled,
// with the login tried even when it matches nobody; sessions end at their
// idle timeout and when the account is disabled.
func TestLoginJournalAndSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
		db0 := open(t)
		db, _ := store.Reopen(db0, store.Config{Clock: clock})
		a := newAuth(db, clock)
		e := dirtest.NewEstablishment(999020, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		p := dirtest.NewPerson("lea.petit", core.ProfileTeacher, e.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: a.Hash("correct horse")}}); err != nil {
			t.Fatal(err)
		}
		att := func(login, pw string) auth.Attempt {
			return auth.Attempt{Login: login, Password: pw, Channel: core.ChannelWeb, Source: "192.0.2.44"}
		}
		if _, _, err := a.Login(context.Background(), att("nobody.here", "x")); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("unknown login: %v", err)
		}
		if _, _, err := a.Login(context.Background(), att("lea.petit", "wrong")); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("wrong password: %v", err)
		}
		cookie, pr, err := a.Login(context.Background(), att("lea.petit", "correct horse"))
		if err != nil || pr.Login != "lea.petit" || pr.Profile != core.ProfileTeacher {
			t.Fatalf("login: %v %+v", err, pr)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "auth.login"})
		if err != nil || len(es) != 3 {
			t.Fatalf("login journal: %v %d entries", err, len(es))
		}
		if es[0].TargetName != "nobody.here" || es[0].Result != journal.Refused || es[0].Reason != "unknown login" ||
			es[1].Reason != "wrong password" || es[2].Result != journal.Done || es[2].Source != "192.0.2.44" {
			t.Fatalf("entries: %+v %+v %+v", es[0], es[1], es[2])
		}
		if _, err := a.SessionPrincipal(context.Background(), cookie); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
		clock.Advance(3 * time.Hour) // past the 2 h idle timeout
		if _, err := a.SessionPrincipal(context.Background(), cookie); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("idle session still valid: %v", err)
		}
		cookie, _, err = a.Login(context.Background(), att("lea.petit", "correct horse"))
		if err != nil {
			t.Fatal(err)
		}
		st := directory.Disabled
		if _, err := db.UpdatePerson(ctx, p.ID, directory.PersonUpdate{State: &st}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SessionPrincipal(context.Background(), cookie); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("session of a disabled account still valid: %v", err)
		}
		if _, _, err := a.Login(context.Background(), att("lea.petit", "correct horse")); core.KindOf(err) != core.Permission {
			t.Fatalf("disabled account logged in: %v", err)
		}
	})
}

// TestThrottleAfterRepeatedFailures checks that password guessing is slowed
// and that the throttled attempts are journaled too.
func TestThrottleAfterRepeatedFailures(t *testing.T) {
	db := openSQLite(t)
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
	a := newAuth(db, clock)
	for i := range 6 {
		_, _, err := a.Authenticate(context.Background(), auth.Attempt{Login: "x", Password: "y", Source: "192.0.2.1"})
		want := core.Unauthenticated
		if i == 5 {
			want = core.TooMany
		}
		if core.KindOf(err) != want {
			t.Fatalf("attempt %d: %v, want %s", i+1, err, want)
		}
	}
	clock.Advance(31 * time.Second)
	if _, _, err := a.Authenticate(context.Background(), auth.Attempt{Login: "x", Password: "y", Source: "192.0.2.1"}); core.KindOf(err) != core.Unauthenticated {
		t.Fatalf("after the lock-out: %v", err)
	}
	es, _ := db.FindJournal(dirtest.Ctx(), journal.Filter{Action: "auth.login"})
	if len(es) != 7 {
		t.Fatalf("%d journal entries, want 7", len(es))
	}
}

// TestRehashOnLogin checks the transparent rehash when parameters change.
func TestRehashOnLogin(t *testing.T) {
	db := openSQLite(t)
	ctx := dirtest.Ctx()
	e := dirtest.NewEstablishment(999021, directory.Ecole)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		t.Fatal(err)
	}
	p := dirtest.NewPerson("old.hash", core.ProfileStaff, e.ID)
	old := auth.HashPassword("pass phrase", auth.Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1})
	if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: old}}); err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 24 * 1024, Time: 2, Threads: 1}}
	cfg.Defaults()
	a := auth.New(cfg, auth.Deps{Store: db, Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler)})
	if _, _, err := a.Authenticate(context.Background(), auth.Attempt{Login: "old.hash", Password: "pass phrase"}); err != nil {
		t.Fatal(err)
	}
	h, _ := db.PasswordHash(ctx, p.ID)
	if h == old || h[:31] != "$argon2id$v=19$m=24576,t=2,p=1$" {
		t.Fatalf("not rehashed: %s", h)
	}
}
