// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

// The operation context behaves as context.WithTimeout's, without arming
// anything until Done is called.
// CARINE: INF-ANN-2
func TestOpContext(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "zoe")

	// The deadline is seen by Err alone, without any timer.
	c := newOpContext(parent, 20*time.Millisecond)
	if err := c.Err(); err != nil {
		t.Fatalf("fresh context: %v", err)
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) > 20*time.Millisecond {
		t.Fatalf("Deadline = %v, %v", d, ok)
	}
	if c.Value(ctxKey{}) != "zoe" {
		t.Fatal("the parent's values are lost")
	}
	time.Sleep(25 * time.Millisecond)
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after the deadline Err = %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done after the deadline is not closed")
	}
	if c.timer != nil || c.stopParent != nil {
		t.Fatal("Done on an ended context armed a timer")
	}

	// Done closes at the deadline.
	c = newOpContext(parent, 10*time.Millisecond)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v", err)
	}

	// Done closes when the parent ends; Err says the parent's error.
	p, cancelP := context.WithCancel(parent)
	c = newOpContext(p, 0)
	done := c.Done()
	cancelP()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed when the parent ended")
	}
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v", err)
	}

	// Without Done, the parent's end is seen by Err.
	p, cancelP = context.WithCancel(parent)
	c = newOpContext(p, time.Hour)
	cancelP()
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err after the parent ended = %v", err)
	}

	// cancel ends it, closes Done, releases the timer, and a child context
	// ends with it.
	c = newOpContext(parent, time.Hour)
	child, stop := context.WithCancel(c)
	defer stop()
	if c.timer == nil {
		t.Fatal("a child context did not arm the deadline")
	}
	c.cancel(context.Canceled)
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the child did not end")
	}
	if c.timer != nil || c.stopParent != nil {
		t.Fatal("cancel left the timer or the parent's callback")
	}
	c.cancel(context.DeadlineExceeded) // a second cancel changes nothing
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err after two cancels = %v", err)
	}
}
