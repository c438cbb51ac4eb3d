// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"strings"
	"sync"
	"time"
)

// throttle slows password guessing: after max consecutive failures for a
// login from one source, attempts are refused for first, then twice as long
// after each further failure, up to last. It is per process; a success
// resets it. Entries expire after an hour of quiet.
type throttle struct {
	mu          sync.Mutex
	max         int
	first, last time.Duration
	m           map[string]*failures
}

type failures struct {
	n     int
	until time.Time
	seen  time.Time
}

func newThrottle(max int, first, last time.Duration) *throttle {
	return &throttle{max: max, first: first, last: last, m: map[string]*failures{}}
}

func throttleKey(login, source string) string {
	return strings.ToLower(strings.TrimSpace(login)) + "\x00" + source
}

// blocked returns how long key must still wait, or 0.
func (t *throttle) blocked(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.m[key]
	if f == nil || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) > 100000 {
		t.gc(now)
	}
	f := t.m[key]
	if f == nil || now.Sub(f.seen) > time.Hour {
		f = &failures{}
		t.m[key] = f
	}
	f.n++
	f.seen = now
	if f.n >= t.max {
		d := t.first << min(f.n-t.max, 20)
		f.until = now.Add(min(d, t.last))
	}
}

func (t *throttle) succeed(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

func (t *throttle) gc(now time.Time) {
	for k, f := range t.m {
		if now.Sub(f.seen) > time.Hour {
			delete(t.m, k)
		}
	}
}
