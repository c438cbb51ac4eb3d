// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"io"
	"testing"
	"time"
)

// fakePace makes a limiter run on a simulated clock: sleeping advances it,
// and the total slept is what the throttle imposed.
func fakePace(l *Limiter) *time.Duration {
	now := time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)
	var slept time.Duration
	l.now = func() time.Time { return now }
	l.sleep = func(_ context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil }
	return &slept
}

// TestThrottle: saving and loading through a throttled backend take the
// time the rate gives (on a simulated clock: no timing in tests), and a
// cancelled transfer stops waiting. CARINE: MCO-SVG-12
func TestThrottle(t *testing.T) {
	be := Local{Root: t.TempDir()}
	th := Throttled(be, 100<<10).(*throttled) // 100 KiB/s
	slept := fakePace(th.l)
	data := make([]byte, 1<<20) // 1 MiB: 10.24 s at 100 KiB/s
	ctx := context.Background()
	h := Handle{KindData, Hash(data).String()}
	if err := th.Save(ctx, h, data); err != nil {
		t.Fatal(err)
	}
	if d := *slept; d < 10200*time.Millisecond || d > 10300*time.Millisecond {
		t.Fatalf("1 MiB at 100 KiB/s waited %s, want about 10.24 s", d)
	}
	*slept = 0
	rc, err := th.Load(ctx, h, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, rc)
	rc.Close()
	if n != 1<<20 || *slept < 10*time.Second {
		t.Fatalf("load: %d bytes, waited %s", n, *slept)
	}
	if Throttled(be, 0) != Backend(be) {
		t.Fatal("a zero rate must not wrap")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l := NewLimiter(1 << 10)
	if err := l.Wait(cctx, 10<<10); err == nil {
		t.Fatal("a cancelled wait went on")
	}
	for in, want := range map[string]int64{"500k": 500 << 10, "2M": 2 << 20, "1g": 1 << 30, "": 0, "0": 0, "1.5m": 3 << 19} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Fatalf("ParseRate(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"vite", "-1m", "10", "nan", "inf", "1e300g"} {
		if _, err := ParseRate(bad); err == nil {
			t.Fatalf("ParseRate(%q) accepted", bad)
		}
	}
}

// TestWindow: a transfer window across midnight. CARINE: MCO-SVG-2
func TestWindow(t *testing.T) {
	w, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 29, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		t    time.Time
		open bool
	}{{at(21, 59), false}, {at(22, 0), true}, {at(3, 0), true}, {at(5, 59), true}, {at(6, 0), false}, {at(12, 0), false}} {
		if w.Open(c.t) != c.open {
			t.Fatalf("%s: open %v", c.t.Format("15:04"), !c.open)
		}
	}
	day, _ := ParseWindow("12:00-14:00")
	if day.Open(at(11, 0)) || !day.Open(at(13, 0)) {
		t.Fatal("day window")
	}
	if all, _ := ParseWindow(""); !all.Open(at(12, 0)) {
		t.Fatal("no window must be always open")
	}
	for _, bad := range []string{"22h-6h", "25:00-06:00", "06:00-06:00", "6"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Fatalf("ParseWindow(%q) accepted", bad)
		}
	}
}

// TestWindowedPauses: a save outside the transfer window waits until the
// window opens (simulated clock), and a lock is saved at once.
// CARINE: MCO-SVG-2
func TestWindowedPauses(t *testing.T) {
	w, _ := ParseWindow("22:00-06:00")
	be := Windowed(Local{Root: t.TempDir()}, w, nil).(*windowed)
	now := time.Date(2026, 11, 29, 20, 30, 0, 0, time.Local)
	var slept time.Duration
	be.now = func() time.Time { return now }
	be.sleep = func(_ context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil }
	data := []byte("pack")
	if err := be.Save(context.Background(), Handle{KindLock, Hash(data).String()}, data); err != nil || slept != 0 {
		t.Fatalf("a lock waited %s (%v)", slept, err)
	}
	if err := be.Save(context.Background(), Handle{KindData, Hash(data).String()}, data); err != nil {
		t.Fatal(err)
	}
	if slept != 90*time.Minute {
		t.Fatalf("saved at 20:30 after waiting %s, want 1h30 (until 22:00)", slept)
	}
	slept = 0
	data = []byte("pack 2")
	if err := be.Save(context.Background(), Handle{KindData, Hash(data).String()}, data); err != nil || slept != 0 {
		t.Fatalf("inside the window: waited %s (%v)", slept, err)
	}
	if Windowed(be.Backend, Window{}, nil) != be.Backend {
		t.Fatal("no window must not wrap")
	}
}

func FuzzParseWindowAndRate(f *testing.F) {
	for _, s := range []string{"22:00-06:00", "12:00-14:00", "", "25:00-1:00", "2m", "500k", "1.5g", "-1", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if w, err := ParseWindow(s); err == nil && w.set {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := 0; i < 24*60; i += 7 {
				x := at.Add(time.Duration(i) * time.Minute)
				d := w.Until(x)
				if d < 0 || d > 24*time.Hour || (d == 0) != w.Open(x) || !w.Open(x.Add(d)) {
					t.Fatalf("%q at %s: until %s", s, x.Format("15:04"), d)
				}
			}
		}
		if r, err := ParseRate(s); err == nil && r < 0 {
			t.Fatalf("%q: negative rate %d", s, r)
		}
	})
}
