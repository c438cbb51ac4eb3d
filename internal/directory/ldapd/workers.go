// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import "sync"

// maxIdleWorkers bounds the goroutines kept waiting for operations.
const maxIdleWorkers = 64

// workers runs operations on goroutines that are kept between operations,
// so that their stacks, grown by a first search, are reused instead of
// starting (and growing) a goroutine per operation.
type workers struct {
	mu     sync.Mutex
	idle   []chan *op
	closed bool
}

// run runs operation fn (op.run with op.fn) on an idle worker, or on a new
// one; passing the operation rather than a closure saves an allocation per
// request.
func (w *workers) run(fn *op) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 {
		ch := w.idle[n-1]
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		ch <- fn // buffered: never blocks
		return
	}
	w.mu.Unlock()
	go w.loop(fn)
}

// loop runs fn, then waits for more work unless enough workers are idle.
// fn must not panic (op.run recovers).
func (w *workers) loop(fn *op) {
	ch := make(chan *op, 1)
	for {
		fn.run(fn.fn)
		w.mu.Lock()
		if w.closed || len(w.idle) >= maxIdleWorkers {
			w.mu.Unlock()
			return
		}
		w.idle = append(w.idle, ch)
		w.mu.Unlock()
		var ok bool
		if fn, ok = <-ch; !ok {
			return
		}
	}
}

// close ends the idle workers; busy ones end after their operation.
func (w *workers) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, ch := range w.idle {
		close(ch)
	}
	w.idle = nil
}
