// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"time"

	"github.com/preau/preau/internal/auth/throttle"
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
type guard struct {
	pupils  *throttle.Backoff // by person ID
	classes *throttle.Window  // by group ID
}

func newGuard(l Limits) *guard {
	return &guard{pupils: throttle.NewBackoff(l.PupilFailures, l.PupilFirstDelay, l.PupilMaxDelay),
		classes: throttle.NewWindow(l.ClassFailures, l.ClassWindow)}
}

// classWait returns how long the board of class must still refuse
// attempts, or 0.
func (g *guard) classWait(class string, now time.Time) time.Duration {
	return g.classes.Wait(class, now)
}

// pupilWait returns how long a pupil must still wait, or 0.
func (g *guard) pupilWait(person string, now time.Time) time.Duration {
	return g.pupils.Wait(person, now)
}

// fail records a wrong attempt on class, for person when known ("" for
// an avatar that is nobody's).
func (g *guard) fail(class, person string, now time.Time) {
	g.classes.Fail(class, now)
	if person != "" {
		g.pupils.Fail(person, now)
	}
}

// succeed forgets the failures of a pupil.
func (g *guard) succeed(person string) { g.pupils.Reset(person) }
