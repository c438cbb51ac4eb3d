// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// opContext is the context of one operation. It ends when the operation
// is cancelled (Abandon, or its end), when its parent (the connection's,
// carrying the principal) ends, or at its deadline (the search time
// limit). context.WithTimeout would arm a runtime timer and register with
// the parent for every request, even the many that take microseconds;
// opContext does neither until something waits on Done (a store query,
// say). Err compares the clock with the deadline itself, so a search over
// the in-memory view, which polls Err, sees the time limit all the same.
type opContext struct {
	parent   context.Context
	deadline time.Time // zero: none

	err atomic.Pointer[error] // set once

	mu         sync.Mutex
	done       chan struct{} // made by the first Done
	timer      *time.Timer   // the deadline, armed by the first Done
	stopParent func() bool   // the parent's AfterFunc, registered by the first Done
}

// newOpContext returns the context of an operation under parent, ending
// after timeout when timeout > 0.
func newOpContext(parent context.Context, timeout time.Duration) *opContext {
	c := &opContext{parent: parent}
	if timeout > 0 {
		c.deadline = time.Now().Add(timeout)
	}
	return c
}

func (c *opContext) Deadline() (time.Time, bool) {
	d, ok := c.parent.Deadline()
	if !c.deadline.IsZero() && (!ok || c.deadline.Before(d)) {
		return c.deadline, true
	}
	return d, ok
}

func (c *opContext) Value(key any) any { return c.parent.Value(key) }

func (c *opContext) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	if err := c.parent.Err(); err != nil {
		c.cancel(err)
		return c.Err()
	}
	if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		c.cancel(context.DeadlineExceeded)
		return c.Err()
	}
	return nil
}

func (c *opContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err.Load() != nil {
		close(c.done)
		return c.done
	}
	// Both callbacks run on goroutines of their own and take c.mu then.
	c.stopParent = context.AfterFunc(c.parent, func() { c.cancel(c.parent.Err()) })
	if !c.deadline.IsZero() {
		c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
	}
	return c.done
}

// cancel ends the context with err, unless it has ended already, and
// releases the timer and the parent's callback.
func (c *opContext) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err.Load() == nil {
		c.err.Store(&err)
		if c.done != nil {
			close(c.done)
		}
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.stopParent != nil {
		c.stopParent()
		c.stopParent = nil
	}
}
