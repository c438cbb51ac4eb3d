// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package throttle_test

import (
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/throttle"
)

// CARINE: INF-AUT-13 — a backoff doubles from its first delay up to its
// last and never locks for good; a window reopens as it slides.
func TestBackoffAndWindow_INF_AUT_13(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	b := throttle.NewBackoff(3, time.Second, 5*time.Second)
	for range 2 {
		b.Fail("k", now)
	}
	if w := b.Wait("k", now); w != 0 {
		t.Fatalf("before the free failures are used: %s", w)
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		b.Fail("k", now)
		if got := b.Wait("k", now); got != want {
			t.Fatalf("wait %s, want %s", got, want)
		}
		now = now.Add(want)
	}
	if b.Wait("other", now) != 0 {
		t.Fatal("another key waits")
	}
	b.Reset("k")
	b.Fail("k", now)
	if w := b.Wait("k", now); w != 0 {
		t.Fatalf("after a reset: %s", w)
	}
	b.Fail("k", now)
	b.Fail("k", now.Add(2*time.Hour)) // an hour of quiet forgets the past failures
	if w := b.Wait("k", now.Add(2*time.Hour)); w != 0 {
		t.Fatalf("after an hour of quiet: %s", w)
	}

	w := throttle.NewWindow(3, time.Minute)
	for i := range 3 {
		if d := w.Wait("a", now); d != 0 {
			t.Fatalf("closed after %d failures", i)
		}
		w.Fail("a", now.Add(time.Duration(i)*10*time.Second))
	}
	if d := w.Wait("a", now.Add(20*time.Second)); d != 40*time.Second {
		t.Fatalf("wait %s, want 40s (the oldest failure leaves the minute)", d)
	}
	if d := w.Wait("a", now.Add(time.Minute)); d != 0 {
		t.Fatalf("the window did not slide: %s", d)
	}
	for range 10 {
		w.Fail("b", now)
	}
	if d := w.Wait("b", now); d != time.Minute {
		t.Fatalf("after 10 failures at once: %s", d)
	}
}
