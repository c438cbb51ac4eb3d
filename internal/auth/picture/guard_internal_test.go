// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"testing"
	"time"

	"github.com/preau/preau/internal/directory"
)

// CARINE: INF-AUT-1 (rate limiting, lockout never permanent) — the delay
// of a pupil doubles from 30 s and stops at 15 min; a class board reopens
// as its window slides.
func TestGuard_INF_AUT_1(t *testing.T) {
	t.Parallel()
	var l Limits
	l.Defaults()
	g := newGuard(l)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i := range 4 {
		g.fail("class", "pupil", now)
		if w := g.pupilWait("pupil", now); w != 0 {
			t.Fatalf("after %d failures: wait %s", i+1, w)
		}
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		15 * time.Minute, 15 * time.Minute}
	for _, w := range want {
		g.fail("class", "pupil", now)
		if got := g.pupilWait("pupil", now); got != w {
			t.Fatalf("wait %s, want %s", got, w)
		}
		now = now.Add(w)
		if got := g.pupilWait("pupil", now); got != 0 {
			t.Fatalf("still waiting %s after the delay", got)
		}
	}
	g.succeed("pupil")
	g.fail("class", "pupil", now)
	if w := g.pupilWait("pupil", now); w != 0 {
		t.Fatalf("a success did not reset the count: %s", w)
	}

	g = newGuard(l)
	start := now
	for i := range 60 {
		if w := g.classWait("board", now); w != 0 {
			t.Fatalf("board closed after %d failures", i)
		}
		g.fail("board", "", now)
		now = now.Add(5 * time.Second)
	}
	if w := g.classWait("board", now); w <= 0 || w > 10*time.Minute {
		t.Fatalf("board open after 60 failures in 5 minutes: %s", w)
	}
	now = start.Add(10*time.Minute + time.Second) // the first failure left the window
	if w := g.classWait("board", now); w != 0 {
		t.Fatalf("board still closed: %s", w)
	}
	// That a quiet board is forgotten is tested with the limiter, in
	// package throttle (TestQuietKeysForgotten).
}

// Every pupil of the largest class gets a different avatar, the animals
// on a disc first.
func TestAssignAvatars(t *testing.T) {
	t.Parallel()
	pupils := make([]Pupil, MaxPupils)
	for i := range pupils {
		pupils[i].Person = &directory.Person{}
	}
	pupils[3].Avatar, pupils[7].Avatar = "lion", "lion" // a clash from two classes
	assignAvatars(pupils)
	seen := map[string]bool{}
	for _, pu := range pupils {
		if _, ok := AvatarByID(pu.Avatar); !ok || seen[pu.Avatar] {
			t.Fatalf("avatar %q unknown or given twice", pu.Avatar)
		}
		seen[pu.Avatar] = true
	}
	small := make([]Pupil, 24)
	assignAvatars(small)
	for _, pu := range small {
		if a, _ := AvatarByID(pu.Avatar); a.Square {
			t.Fatalf("a class of 24 got %s", pu.Avatar)
		}
	}
}
