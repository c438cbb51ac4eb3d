// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"sync"
	"time"
)

// Limits bound the guessing of picture sequences. A sequence of 3 among 9
// pictures is one of 504: the bounds, not the sequence, keep an intruder
// out. No bound ever locks for good: a pupil's delay stops doubling at
// PupilMaxDelay, and a class window slides.
type Limits struct {
	// PupilFailures wrong sequences for one pupil (default 5) start a delay
	// of PupilFirstDelay (default 30 s), doubled at each further failure up
	// to PupilMaxDelay (default 15 min). A success resets the count.
	PupilFailures   int
	PupilFirstDelay time.Duration
	PupilMaxDelay   time.Duration
	// ClassFailures wrong attempts on one class board (default 60) within
	// ClassWindow (default 10 min) refuse every attempt on that board until
	// the oldest failure leaves the window. A class of 30 that logs in at
	// once, each child missing once, stays well under it.
	ClassFailures int
	ClassWindow   time.Duration
}

// Defaults fills zero fields.
func (l *Limits) Defaults() {
	if l.PupilFailures == 0 {
		l.PupilFailures = 5
	}
	if l.PupilFirstDelay == 0 {
		l.PupilFirstDelay = 30 * time.Second
	}
	if l.PupilMaxDelay == 0 {
		l.PupilMaxDelay = 15 * time.Minute
	}
	if l.ClassFailures == 0 {
		l.ClassFailures = 60
	}
	if l.ClassWindow == 0 {
		l.ClassWindow = 10 * time.Minute
	}
}

// guard keeps the failure counts in memory, per process: several nodes
// each allow the bounds (as the password throttle of package auth does).
// Entries are forgotten after an hour of quiet.
type guard struct {
	mu      sync.Mutex
	l       Limits
	pupils  map[string]*pupilFailures // person ID →
	classes map[string][]time.Time    // group ID → failure times in the window, oldest first
}

type pupilFailures struct {
	n     int
	until time.Time
	seen  time.Time
}

func newGuard(l Limits) *guard {
	return &guard{l: l, pupils: map[string]*pupilFailures{}, classes: map[string][]time.Time{}}
}

// classWait returns how long the board of class must still refuse
// attempts, or 0.
func (g *guard) classWait(class string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts := g.window(class, now)
	if len(ts) < g.l.ClassFailures {
		return 0
	}
	return ts[len(ts)-g.l.ClassFailures].Add(g.l.ClassWindow).Sub(now)
}

// window drops the failures of class older than the window and returns
// the others. g.mu must be held.
func (g *guard) window(class string, now time.Time) []time.Time {
	ts := g.classes[class]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-g.l.ClassWindow)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(g.classes, class)
		return nil
	}
	g.classes[class] = ts
	return ts
}

// pupilWait returns how long a pupil must still wait, or 0.
func (g *guard) pupilWait(person string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.pupils[person]
	if f == nil || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

// fail records a wrong attempt on class, for person when known ("" for
// an avatar that is nobody's).
func (g *guard) fail(class, person string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pupils) > 100000 {
		g.gc(now)
	}
	ts := g.window(class, now)
	if len(ts) >= 2*g.l.ClassFailures { // enough to know the board is closed
		ts = ts[1:]
	}
	g.classes[class] = append(ts, now)
	if person == "" {
		return
	}
	f := g.pupils[person]
	if f == nil || now.Sub(f.seen) > time.Hour {
		f = &pupilFailures{}
		g.pupils[person] = f
	}
	f.n++
	f.seen = now
	if f.n >= g.l.PupilFailures {
		d := g.l.PupilFirstDelay << min(f.n-g.l.PupilFailures, 20)
		f.until = now.Add(min(d, g.l.PupilMaxDelay))
	}
}

// succeed forgets the failures of a pupil.
func (g *guard) succeed(person string) {
	g.mu.Lock()
	delete(g.pupils, person)
	g.mu.Unlock()
}

func (g *guard) gc(now time.Time) {
	for k, f := range g.pupils {
		if now.Sub(f.seen) > time.Hour {
			delete(g.pupils, k)
		}
	}
	for k := range g.classes {
		g.window(k, now)
	}
}
