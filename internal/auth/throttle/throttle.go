// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package throttle holds the two limiters that slow guessing on every way
// of logging in (INF-AUT-13): a Backoff per key (a login, a pupil) whose
// delay doubles after repeated failures and never locks for good, and a
// sliding Window per key (an address, a class board) that caps failures in
// a span of time. They are per process: each node applies the bounds.
// Keys quiet for an hour are forgotten. Both are safe for concurrent use.
package throttle

import (
	"sync"
	"time"
)

// forget is how long a quiet key is remembered.
const forget = time.Hour

// maxKeys bounds memory: past it, quiet keys are swept.
const maxKeys = 100000

// Backoff refuses a key for First after Free consecutive failures, then
// twice as long after each further failure, up to Last. A success resets it.
type Backoff struct {
	mu          sync.Mutex
	free        int
	first, last time.Duration
	m           map[string]*failures
}

type failures struct {
	n     int
	until time.Time
	seen  time.Time
}

// NewBackoff returns a Backoff.
func NewBackoff(free int, first, last time.Duration) *Backoff {
	return &Backoff{free: free, first: first, last: last, m: map[string]*failures{}}
}

// Wait returns how long key must still wait, or 0.
func (b *Backoff) Wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f := b.m[key]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// Fail records a failure of key.
func (b *Backoff) Fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.m) > maxKeys {
		for k, f := range b.m {
			if now.Sub(f.seen) > forget {
				delete(b.m, k)
			}
		}
	}
	f := b.m[key]
	if f == nil || now.Sub(f.seen) > forget {
		f = &failures{}
		b.m[key] = f
	}
	f.n++
	f.seen = now
	if f.n >= b.free {
		f.until = now.Add(min(b.first<<min(f.n-b.free, 20), b.last))
	}
}

// Reset forgets the failures of key.
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	delete(b.m, key)
	b.mu.Unlock()
}

// Window refuses a key that failed Max times within the last Span, until
// the oldest of those failures leaves the span.
type Window struct {
	mu   sync.Mutex
	max  int
	span time.Duration
	m    map[string][]time.Time // failure times in the span, oldest first
}

// NewWindow returns a Window.
func NewWindow(max int, span time.Duration) *Window {
	return &Window{max: max, span: span, m: map[string][]time.Time{}}
}

// Wait returns how long key must still wait, or 0.
func (w *Window) Wait(key string, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.recent(key, now)
	if len(ts) < w.max {
		return 0
	}
	return ts[len(ts)-w.max].Add(w.span).Sub(now)
}

// Fail records a failure of key. Only the last Max failures are kept: they
// are all Wait needs.
func (w *Window) Fail(key string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.m) > maxKeys {
		for k := range w.m {
			w.recent(k, now)
		}
	}
	ts := w.recent(key, now)
	if len(ts) >= w.max {
		ts = ts[len(ts)-w.max+1:]
	}
	w.m[key] = append(ts, now)
}

// recent drops the failures of key older than the span and returns the
// others. w.mu must be held.
func (w *Window) recent(key string, now time.Time) []time.Time {
	ts := w.m[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-w.span)) {
		i++
	}
	if i == len(ts) {
		delete(w.m, key)
		return nil
	}
	w.m[key] = ts[i:]
	return ts[i:]
}
