// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
)

// Limiter paces transfers to a rate in bytes per second (a token bucket
// holding at most one second of transfer), so a backup to an off-site
// receiver leaves the school's line usable (MCO-SVG-12).
type Limiter struct {
	rate  float64 // bytes per second
	mu    sync.Mutex
	avail float64
	last  time.Time
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter returns a limiter of bytesPerSec (> 0).
func NewLimiter(bytesPerSec int64) *Limiter {
	return &Limiter{rate: float64(bytesPerSec), now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wait blocks until n bytes may go.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	for n > 0 {
		step := min(n, max(1, int(l.rate))) // at most a second's worth at a time
		l.mu.Lock()
		now := l.now()
		if l.last.IsZero() {
			l.last = now
		}
		l.avail = min(l.rate, l.avail+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
		l.avail -= float64(step)
		wait := time.Duration(0)
		if l.avail < 0 {
			wait = time.Duration(-l.avail / l.rate * float64(time.Second))
		}
		l.mu.Unlock()
		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		}
		n -= step
	}
	return nil
}

// Throttled wraps a backend so that what it saves and loads goes at most at
// bytesPerSec (<= 0: unthrottled).
func Throttled(be Backend, bytesPerSec int64) Backend {
	if bytesPerSec <= 0 {
		return be
	}
	return &throttled{Backend: be, l: NewLimiter(bytesPerSec)}
}

type throttled struct {
	Backend
	l *Limiter
}

func (t *throttled) Save(ctx context.Context, h Handle, data []byte) error {
	if err := t.l.Wait(ctx, len(data)); err != nil {
		return err
	}
	return t.Backend.Save(ctx, h, data)
}

func (t *throttled) Load(ctx context.Context, h Handle, offset, length int64) (io.ReadCloser, error) {
	rc, err := t.Backend.Load(ctx, h, offset, length)
	if err != nil {
		return nil, err
	}
	return &throttledReader{rc: rc, ctx: ctx, l: t.l}, nil
}

type throttledReader struct {
	rc  io.ReadCloser
	ctx context.Context
	l   *Limiter
}

func (r *throttledReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		if werr := r.l.Wait(r.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (r *throttledReader) Close() error { return r.rc.Close() }

// ParseRate reads a rate like 500k, 2M, 10m, 1g (bytes per second, binary
// multiples) or 0/"" for none.
func ParseRate(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/s"), "b")
	if s == "" || s == "0" {
		return 0, nil
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'k':
		mult, s = 1<<10, s[:len(s)-1]
	case 'm':
		mult, s = 1<<20, s[:len(s)-1]
	case 'g':
		mult, s = 1<<30, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if v := f * float64(mult); err != nil || !(v >= 1024 && v <= 1<<40) {
		return 0, core.E("backup.ParseRate", core.Invalid, "rate %q: write 500k, 2m or 1g (bytes per second, at least 1k), or 0 for none", s)
	}
	return int64(f * float64(mult)), nil
}

// Window is a daily time window "HH:MM-HH:MM" (it may cross midnight)
// within which scheduled transfers may start.
type Window struct {
	from, to int // minutes of the day
	set      bool
}

// ParseWindow reads "22:00-06:00"; "" is always open.
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
	}
	bad := core.E("backup.ParseWindow", core.Invalid, "time window %q: write HH:MM-HH:MM, e.g. 22:00-06:00", s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, bad
	}
	m := func(x string) (int, bool) {
		h, mm, ok := strings.Cut(strings.TrimSpace(x), ":")
		hi, e1 := strconv.Atoi(h)
		mi, e2 := strconv.Atoi(mm)
		return hi*60 + mi, ok && e1 == nil && e2 == nil && hi >= 0 && hi < 24 && mi >= 0 && mi < 60
	}
	f, ok1 := m(a)
	t, ok2 := m(b)
	if !ok1 || !ok2 || f == t {
		return Window{}, bad
	}
	return Window{from: f, to: t, set: true}, nil
}

// Open reports whether t (in the deployment's time zone) is inside.
func (w Window) Open(t time.Time) bool {
	if !w.set {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if w.from < w.to {
		return m >= w.from && m < w.to
	}
	return m >= w.from || m < w.to
}

// Until returns how long from t until the window opens (0 when open).
func (w Window) Until(t time.Time) time.Duration {
	if w.Open(t) {
		return 0
	}
	m := t.Hour()*60 + t.Minute()
	d := w.from - m
	if d <= 0 {
		d += 24 * 60
	}
	return time.Duration(d)*time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond())
}

// Windowed wraps a backend so that saving waits while the transfer window
// is closed: a scheduled run that reaches the repository outside its
// window, or is still sending when the window closes, pauses until it
// opens again (the repository lock is kept fresh meanwhile).
func Windowed(be Backend, w Window, now func() time.Time) Backend {
	if !w.set {
		return be
	}
	if now == nil {
		now = time.Now
	}
	return &windowed{Backend: be, w: w, now: now, sleep: sleepCtx}
}

type windowed struct {
	Backend
	w     Window
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func (x *windowed) Save(ctx context.Context, h Handle, data []byte) error {
	// Locks are not transfers: a paused run keeps its lock fresh.
	for h.Kind != KindLock {
		d := x.w.Until(x.now().In(time.Local))
		if d <= 0 {
			break
		}
		if err := x.sleep(ctx, min(d, time.Minute)); err != nil {
			return err
		}
	}
	return x.Backend.Save(ctx, h, data)
}
