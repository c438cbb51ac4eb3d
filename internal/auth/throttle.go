// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"strings"
	"sync"
	"time"
)

// guard slows password guessing with three limits (INF-AUT-13), per
// process (each node limits on its own):
//
//   - a login from one source: after max consecutive failures, attempts
//     are refused for first, doubling after each further failure up to
//     last (30 s … 15 min by default). This is what stops one attacker.
//   - a login from anywhere: after 3×max failures, for 1 s doubling up to
//     one minute. A distributed attack on a pupil's account is slowed to a
//     guess a minute, but the owner, from another address, is never locked
//     out for more than a minute: no attacker can lock a pupil out.
//   - a source on any login: more than sourceLimit failures in ten minutes
//     refuses that source until the window moves on (password spraying).
//     A class of 30 behind one address, typing badly at 8:00, stays far
//     below it.
//
// A success clears the login's counters (not the source's window).
// Entries expire after an hour of quiet.
type guard struct {
	mu              sync.Mutex
	pair, account   backoff
	sourceLimit     int
	pairs, accounts map[string]*failures
	sources         map[string]*window
}

type backoff struct {
	free        int
	first, last time.Duration
}

type failures struct {
	n     int
	until time.Time
	seen  time.Time
}

type window struct {
	start time.Time
	n     int
}

const sourceWindow = 10 * time.Minute

func newGuard(max int, first, last time.Duration, sourceLimit int) *guard {
	return &guard{pair: backoff{max, first, last}, account: backoff{3 * max, time.Second, time.Minute},
		sourceLimit: sourceLimit, pairs: map[string]*failures{}, accounts: map[string]*failures{},
		sources: map[string]*window{}}
}

func normLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// blocked returns how long an attempt must still wait, and why, or 0.
func (g *guard) blocked(login, source string, now time.Time) (time.Duration, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	login = normLogin(login)
	if f := g.pairs[login+"\x00"+source]; f != nil && now.Before(f.until) {
		return f.until.Sub(now), "repeated failures of this login from this address"
	}
	if f := g.accounts[login]; f != nil && now.Before(f.until) {
		return f.until.Sub(now), "repeated failures of this login"
	}
	if w := g.sources[source]; w != nil && w.n >= g.sourceLimit && now.Sub(w.start) < sourceWindow {
		return sourceWindow - now.Sub(w.start), "too many failures from this address"
	}
	return 0, ""
}

// fail records a failed attempt.
func (g *guard) fail(login, source string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pairs)+len(g.accounts)+len(g.sources) > 100000 {
		g.gc(now)
	}
	login = normLogin(login)
	g.pair.fail(g.pairs, login+"\x00"+source, now)
	g.account.fail(g.accounts, login, now)
	w := g.sources[source]
	if w == nil || now.Sub(w.start) >= sourceWindow {
		w = &window{start: now}
		g.sources[source] = w
	}
	w.n++
}

func (b backoff) fail(m map[string]*failures, key string, now time.Time) {
	f := m[key]
	if f == nil || now.Sub(f.seen) > time.Hour {
		f = &failures{}
		m[key] = f
	}
	f.n++
	f.seen = now
	if f.n >= b.free {
		d := b.first << min(f.n-b.free, 20)
		f.until = now.Add(min(d, b.last))
	}
}

// succeed clears the counters of a login after a success.
func (g *guard) succeed(login, source string) {
	g.mu.Lock()
	login = normLogin(login)
	delete(g.pairs, login+"\x00"+source)
	delete(g.accounts, login)
	g.mu.Unlock()
}

func (g *guard) gc(now time.Time) {
	for _, m := range []map[string]*failures{g.pairs, g.accounts} {
		for k, f := range m {
			if now.Sub(f.seen) > time.Hour {
				delete(m, k)
			}
		}
	}
	for k, w := range g.sources {
		if now.Sub(w.start) > sourceWindow {
			delete(g.sources, k)
		}
	}
}
