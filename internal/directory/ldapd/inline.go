// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"sync"
	"sync/atomic"
	"time"
)

// inlineGrace is how long an operation may run on the reader goroutine
// before another goroutine takes over reading (handOff).
const inlineGrace = 2 * time.Millisecond

// runInline runs o on the reader goroutine. A client that waits for each
// answer before asking again (most do) then costs one goroutine wake-up
// per request, the reader's, instead of two (reader, then a worker): on a
// busy machine each wake-up is a wait for a core, which is where latency
// tails come from. An operation that outlasts inlineGrace hands reading
// over to a new goroutine (the watchdog calls handOff), so that Abandon,
// further requests and the idle timeout keep being served while it runs.
//
// The watchdog is one goroutine per server that looks at the connections
// every inlineGrace/2 while operations run inline, and sleeps when none
// has for a while. A timer per connection, reset for every request, would
// cost more: each reset may wake the runtime's network poller or a thread
// (bench/ldap under strace: 0.12 futex and 0.32 nanosleep calls more per
// search).
func (c *conn) runInline(o *op) {
	v := c.inl.Load() // not running: only the reader starts inline operations
	c.inl.Store(v | 1)
	c.inlAt.Store(time.Now().UnixNano())
	c.srv.watch.kick(c.srv)
	o.run(o.fn)
	c.inlAt.Store(0)
	c.inl.CompareAndSwap(v|1, v) // fails when handed off: readLoop sees the new generation
}

// handOff makes a new goroutine the reader, of the next generation, when
// an operation still runs inline. A late call that lands on the next
// operation hands that one over early, which is harmless.
func (c *conn) handOff() {
	v := c.inl.Load()
	if v&1 != 0 && c.inl.CompareAndSwap(v, (v>>1+1)<<1) {
		go c.readLoop(v>>1 + 1)
	}
}

// inlineWatch is the server's watchdog of inline operations.
type inlineWatch struct {
	once   sync.Once
	parked atomic.Bool
	wake   chan struct{} // capacity 1
	quit   chan struct{} // closed by Shutdown
	closed sync.Once
}

// kick starts the watchdog on first use and wakes it when it sleeps. It
// runs after inlAt is set: either the watchdog's last look before sleeping
// sees the operation, or kick sees it asleep (both sides use sequentially
// consistent atomics).
func (w *inlineWatch) kick(s *Server) {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.quit == nil {
			w.quit = make(chan struct{})
		}
		go w.run(s)
	})
	if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// stop ends the watchdog (Shutdown).
func (w *inlineWatch) stop() {
	w.closed.Do(func() {
		w.once.Do(func() {}) // never start it afterwards
		if w.quit != nil {
			close(w.quit)
		}
	})
}

// idleTicks is how many looks finding no inline operation put the watchdog
// to sleep (50 ms).
const idleTicks = 50

// run looks at the connections every inlineGrace/2 and hands reading over
// on those whose inline operation has run for inlineGrace.
func (w *inlineWatch) run(s *Server) {
	t := time.NewTicker(inlineGrace / 2)
	defer t.Stop()
	idle := 0
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		if w.look(s) {
			idle = 0
			continue
		}
		if idle++; idle < idleTicks {
			continue
		}
		w.parked.Store(true)
		if w.look(s) && w.parked.CompareAndSwap(true, false) {
			idle = 0 // an operation started meanwhile: stay awake
			continue
		}
		t.Stop()
		select { // kick clears parked before it sends
		case <-w.quit:
			return
		case <-w.wake:
		}
		t.Reset(inlineGrace / 2)
		idle = 0
	}
}

// look hands reading over where an inline operation has lasted, and
// reports whether any runs.
func (w *inlineWatch) look(s *Server) bool {
	now := time.Now().UnixNano()
	busy := false
	s.mu.Lock()
	for c := range s.conns {
		at := c.inlAt.Load()
		if at == 0 {
			continue
		}
		busy = true
		if now-at >= int64(inlineGrace) {
			c.handOff()
		}
	}
	s.mu.Unlock()
	return busy
}
