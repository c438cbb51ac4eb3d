// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package throttle

import (
	"fmt"
	"testing"
	"time"
)

// TestQuietKeysForgotten checks that memory stays bounded: a window whose
// failures left the span is dropped when looked at, and past maxKeys the
// quiet keys of both limiters are swept.
func TestQuietKeysForgotten(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	w := NewWindow(60, 10*time.Minute)
	w.Fail("board", now)
	if w.Wait("board", now.Add(time.Hour)); len(w.m) != 0 {
		t.Fatalf("%d windows kept after an hour", len(w.m))
	}
	b := NewBackoff(5, time.Second, time.Minute)
	for i := range maxKeys + 1 {
		k := fmt.Sprint(i)
		b.Fail(k, now)
		w.Fail(k, now)
	}
	later := now.Add(2 * time.Hour)
	b.Fail("new", later)
	w.Fail("new", later)
	if len(b.m) != 1 || len(w.m) != 1 {
		t.Fatalf("after a sweep: %d backoff keys, %d windows; want 1 and 1", len(b.m), len(w.m))
	}
}
