// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

var waitRE = regexp.MustCompile(`wait (\S+) before`)

// CARINE: INF-AUT-13 — 1,000 wrong passwords on one pupil's account from
// one address: the delays grow (30 s doubling, up to 15 min), almost every
// attempt is refused before any hashing, the owner still logs in from
// another zone after a one-minute cool-down (no lockout an attacker can
// inflict), a class of 30 typing badly behind one address all log in, and
// every attempt is in the journal.
func TestBruteForceIsSlowedNotLockedOut_INF_AUT_13(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		a := newAuth(db, clock)
		e := dirtest.NewEstablishment(999031, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		hash := a.Hash("Cartable-Bleu-2026")
		var nps []directory.NewPerson
		for i := range 31 {
			nps = append(nps, directory.NewPerson{Person: dirtest.NewPerson(fmt.Sprintf("eleve%02d", i), core.ProfilePupil, e.ID),
				PasswordHash: hash})
		}
		if err := db.CreatePeople(ctx, nps); err != nil {
			t.Fatal(err)
		}
		try := func(login, pw, source string) error {
			_, _, err := a.Authenticate(context.Background(), auth.Attempt{Login: login, Password: pw,
				Channel: core.ChannelWeb, Source: source})
			return err
		}
		const attacker = "203.0.113.9"
		var waits []time.Duration
		hashed, throttled := 0, 0
		lastWasFailure := false
		for i := range 1000 {
			if i > 0 && i%50 == 0 {
				clock.Advance(16 * time.Minute) // the attacker comes back after the longest delay
			}
			err := try("eleve00", fmt.Sprintf("devine-%d", i), attacker)
			switch core.KindOf(err) {
			case core.Unauthenticated:
				hashed++
				lastWasFailure = true
			case core.TooMany:
				throttled++
				if lastWasFailure {
					m := waitRE.FindStringSubmatch(core.MessageOf(err))
					d, perr := time.ParseDuration(m[1])
					if perr != nil {
						t.Fatalf("wait in %q: %v", core.MessageOf(err), perr)
					}
					waits = append(waits, d)
				}
				lastWasFailure = false
			default:
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if hashed > 30 || throttled < 970 {
			t.Fatalf("%d attempts checked, %d throttled: the attacker was not slowed", hashed, throttled)
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] < waits[i-1] {
				t.Fatalf("delays shrank: %v", waits)
			}
		}
		if waits[0] != 30*time.Second || waits[len(waits)-1] != 15*time.Minute {
			t.Fatalf("delays %v: want 30s growing to 15m", waits)
		}
		// The owner, from the school's network, after a minute's cool-down.
		clock.Advance(time.Minute)
		if err := try("eleve00", "Cartable-Bleu-2026", "10.12.0.23"); err != nil {
			t.Fatalf("the owner is locked out: %v", err)
		}
		// A class of 30 behind one address, each mistyping twice.
		for i := 1; i <= 30; i++ {
			login := fmt.Sprintf("eleve%02d", i)
			try(login, "cartable", "10.12.0.1")
			try(login, "Cartable-bleu", "10.12.0.1")
			if err := try(login, "Cartable-Bleu-2026", "10.12.0.1"); err != nil {
				t.Fatalf("%s behind the school's address: %v", login, err)
			}
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "auth.login", Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		refused, onTarget := 0, 0
		for _, e := range es {
			if e.TargetName == "eleve00" {
				onTarget++
				if e.Result == journal.Refused && e.Source == attacker {
					refused++
				}
			}
		}
		if refused != 1000 || onTarget != 1000 {
			t.Fatalf("journal: %d refused attempts from the attacker, %d entries on the account; want 1000 and 1000", refused, onTarget)
		}
	})
}
