// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/throttle"
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
//   - a source on any login: sourceLimit failures within ten minutes
//     refuse that source until the oldest leaves the window (password
//     spraying). A class of 30 behind one address, typing badly at 8:00,
//     stays far below it.
//
// A success clears the login's counters (not the source's window).
type guard struct {
	pairs, accounts *throttle.Backoff
	sources         *throttle.Window
}

const sourceWindow = 10 * time.Minute

func newGuard(max int, first, last time.Duration, sourceLimit int) *guard {
	return &guard{pairs: throttle.NewBackoff(max, first, last), accounts: throttle.NewBackoff(3*max, time.Second, time.Minute),
		sources: throttle.NewWindow(sourceLimit, sourceWindow)}
}

func normLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// blocked returns how long an attempt must still wait, and why, or 0.
func (g *guard) blocked(login, source string, now time.Time) (time.Duration, string) {
	login = normLogin(login)
	if d := g.pairs.Wait(login+"\x00"+source, now); d > 0 {
		return d, "repeated failures of this login from this address"
	}
	if d := g.accounts.Wait(login, now); d > 0 {
		return d, "repeated failures of this login"
	}
	if d := g.sources.Wait(source, now); d > 0 {
		return d, "too many failures from this address"
	}
	return 0, ""
}

// fail records a failed attempt.
func (g *guard) fail(login, source string, now time.Time) {
	login = normLogin(login)
	g.pairs.Fail(login+"\x00"+source, now)
	g.accounts.Fail(login, now)
	g.sources.Fail(source, now)
}

// succeed clears the counters of a login after a success.
func (g *guard) succeed(login, source string) {
	login = normLogin(login)
	g.pairs.Reset(login + "\x00" + source)
	g.accounts.Reset(login)
}
