// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package bandwidth

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// fakeSleep advances the fake clock instead of waiting, and records the
// total wait.
func fakeSleep(c *core.FakeClock, total *time.Duration) Sleep {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.Advance(d)
		*total += d
		return nil
	}
}

// TestShapedDownloadRate: 1 MB through a 100 kB/s bucket takes, on the
// injected clock, the time the rate gives for what exceeds the initial
// burst: 9.84 s, to the millisecond, and every byte arrives intact.
// CARINE: UTI-ESF-5
func TestShapedDownloadRate(t *testing.T) {
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	var waited time.Duration
	b := NewBucket(100_000, clock)
	var out bytes.Buffer
	w := NewWriter(t.Context(), &out, b, fakeSleep(clock, &waited))
	src := bytes.Repeat([]byte("0123456789"), 100_000) // 1,000,000 bytes
	start := clock.Now()
	n, err := io.Copy(w, bytes.NewReader(src))
	if err != nil || n != int64(len(src)) || !bytes.Equal(out.Bytes(), src) {
		t.Fatalf("copied %d bytes, err %v, intact %v", n, err, bytes.Equal(out.Bytes(), src))
	}
	// The burst is max(rate/10, 16 KiB) = 16,384 bytes.
	want := time.Duration(float64(len(src)-16384) / 100_000 * float64(time.Second))
	if got := clock.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("1 MB at 100 kB/s took %v on the clock, want %v", got, want)
	}
	// The rate actually achieved, over the whole transfer.
	if rate := float64(n) / clock.Now().Sub(start).Seconds(); rate > 102_000 {
		t.Fatalf("achieved %.0f B/s through a 100,000 B/s bucket", rate)
	}
}

// TestSharedBucketSplitsTheRate: two uploads through one establishment's
// bucket, read in turn, together get the rate (not twice it), and a
// bucket left idle refills only up to its burst.
// CARINE: UTI-ESF-5
func TestSharedBucketSplitsTheRate(t *testing.T) {
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	var waited time.Duration
	b := NewBucket(50_000, clock)
	sl := fakeSleep(clock, &waited)
	r1 := NewReader(t.Context(), strings.NewReader(strings.Repeat("a", 250_000)), b, sl)
	r2 := NewReader(t.Context(), strings.NewReader(strings.Repeat("b", 250_000)), b, sl)
	start := clock.Now()
	buf := make([]byte, 64<<10)
	total := 0
	for _, r := range []io.Reader{r1, r2, r1, r2} {
		for range 100 {
			n, err := r.Read(buf)
			total += n
			if err == io.EOF {
				break
			}
		}
	}
	if total != 500_000 {
		t.Fatalf("read %d bytes, want 500,000", total)
	}
	want := time.Duration(float64(500_000-16384) / 50_000 * float64(time.Second))
	if got := clock.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("500 kB through a shared 50 kB/s bucket took %v, want %v", got, want)
	}
	// An hour idle: the next 16 KiB go at once, the next byte waits.
	clock.Advance(time.Hour)
	if d := b.Reserve(16384); d != 0 {
		t.Fatalf("after an idle hour the burst waits %v", d)
	}
	if d := b.Reserve(5000); d != 100*time.Millisecond {
		t.Fatalf("beyond the burst: wait %v, want 100ms", d)
	}
}

// TestCanceledTransferStops: a canceled request stops waiting for tokens.
func TestCanceledTransferStops(t *testing.T) {
	clock := core.NewFakeClock(time.Now())
	var waited time.Duration
	ctx, cancel := context.WithCancel(t.Context())
	w := NewWriter(ctx, io.Discard, NewBucket(MinRate, clock), fakeSleep(clock, &waited))
	cancel()
	if _, err := w.Write(make([]byte, 100_000)); err == nil {
		t.Fatal("a canceled transfer kept writing")
	}
}

func zones(t *testing.T) []*directory.Zone {
	return []*directory.Zone{
		{Name: "wifi", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/16")}},
		{Name: "peda", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}},
		{Name: "byod", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.3.0.0/16")}},
	}
}

// TestShaperZonesAndHours: the wifi zone has its own limit, other places
// share the establishment's; outside the limited hours and on weekends
// transfers are not shaped; a policy that is off wraps nothing; a policy
// change applies once the cache expires.
// CARINE: UTI-ESF-5
func TestShaperZonesAndHours(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data")
	}
	// Monday 30 November 2026, 10:00 in Paris.
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 10, 0, 0, 0, paris))
	pol := Policy{Limits: Limits{Down: 1_000_000, Up: 250_000},
		Zones: map[string]Limits{"wifi": {Down: 125_000}, "byod": {Down: Inherit, Up: 100_000}},
		From:  "08:00", To: "17:30"}
	loads := 0
	src := func(ctx context.Context, est string) (Policy, []*directory.Zone, error) {
		loads++
		if est != "E1" {
			return Policy{}, nil, nil
		}
		return pol, zones(t), nil
	}
	var waited time.Duration
	s := NewShaper(src, clock, fakeSleep(clock, &waited), paris)
	ctx := t.Context()
	if _, shaped := s.Download(ctx, "E2", "10.2.0.5", io.Discard); shaped {
		t.Fatal("an establishment without a policy is shaped")
	}
	wifi := s.bucket(ctx, "E1", "10.2.0.5", true)
	peda := s.bucket(ctx, "E1", "10.1.0.9", true)
	other := s.bucket(ctx, "E1", "192.0.2.1", true)
	if wifi == nil || peda == nil || wifi == peda || peda != other {
		t.Fatalf("buckets: wifi %p, peda %p, outside %p: want wifi apart, the others shared", wifi, peda, other)
	}
	if wifi.rate != 125_000 || peda.rate != 1_000_000 {
		t.Fatalf("rates: wifi %v, peda %v", wifi.rate, peda.rate)
	}
	if up := s.bucket(ctx, "E1", "10.2.0.5", false); up != nil {
		t.Fatal("wifi uploads are limited although the wifi zone sets no upload limit")
	}
	pedaUp := s.bucket(ctx, "E1", "10.1.0.9", false)
	if pedaUp == nil || pedaUp.rate != 250_000 {
		t.Fatal("uploads from the peda zone are not limited to 250 kB/s")
	}
	// byod inherits the establishment's downloads (and shares its bucket)
	// but has its own upload limit.
	if b := s.bucket(ctx, "E1", "10.3.0.1", true); b != peda {
		t.Fatal("byod downloads do not share the establishment's bucket")
	}
	if b := s.bucket(ctx, "E1", "10.3.0.1", false); b == nil || b == pedaUp || b.rate != 100_000 {
		t.Fatal("byod uploads do not have their own 100 kB/s bucket")
	}
	clock.Set(time.Date(2026, 11, 30, 18, 0, 0, 0, paris))
	if s.bucket(ctx, "E1", "10.1.0.9", true) != nil {
		t.Fatal("shaped after 17:30")
	}
	clock.Set(time.Date(2026, 12, 5, 10, 0, 0, 0, paris)) // Saturday
	if s.bucket(ctx, "E1", "10.1.0.9", true) != nil {
		t.Fatal("shaped on a Saturday")
	}
	// The policy is switched off: within the cache's life, the old one holds.
	clock.Set(time.Date(2026, 12, 7, 10, 0, 0, 0, paris))
	s.bucket(ctx, "E1", "10.1.0.9", true)
	pol = Policy{}
	if s.bucket(ctx, "E1", "10.1.0.9", true) == nil {
		t.Fatal("the cached policy was dropped before its time")
	}
	clock.Advance(TTL)
	if s.bucket(ctx, "E1", "10.1.0.9", true) != nil {
		t.Fatal("a policy switched off still shapes after the cache's life")
	}
}

// TestPolicyValidate names what is wrong in a policy.
func TestPolicyValidate(t *testing.T) {
	for _, c := range []struct {
		p    Policy
		want string
	}{
		{Policy{Limits: Limits{Down: -1}}, "negative"},
		{Policy{Limits: Limits{Up: 100}}, "too low"},
		{Policy{Zones: map[string]Limits{"wifi": {Down: 5}}}, "zone wifi"},
		{Policy{Zones: map[string]Limits{"wifi": {Down: -2}}}, "negative"},
		{Policy{Limits: Limits{Down: Inherit}}, "negative"},
		{Policy{From: "08:00"}, "both"},
		{Policy{From: "8h", To: "17:00"}, "HH:MM"},
		{Policy{From: "18:00", To: "08:00"}, "end after"},
	} {
		err := c.p.Validate()
		if !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), c.want) {
			t.Errorf("%+v: %v, want Invalid mentioning %q", c.p, err, c.want)
		}
	}
	ok := Policy{Limits: Limits{Down: 1_250_000}, Zones: map[string]Limits{"wifi": {Up: 125_000}}, From: "08:00", To: "17:30"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(ok.Marshal())
	if err != nil || back.Down != ok.Down || back.Zones["wifi"] != ok.Zones["wifi"] || back.To != "17:30" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if p, err := Parse(""); err != nil || !p.Off() {
		t.Fatalf("the default policy: %+v %v", p, err)
	}
}

// TestParseMbitsAndRclone: administrators type Mbit/s; rclone gets KiB/s
// in its UP:DOWN form, as a weekday timetable when hours are set.
func TestParseMbitsAndRclone(t *testing.T) {
	for in, want := range map[string]int64{"10": 1_250_000, "2,5": 312_500, " 0.5 Mbit/s": 62_500, "": 0, "0": 0} {
		if got, err := ParseMbits(in); err != nil || got != want {
			t.Errorf("ParseMbits(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"dix", "-1", "NaN", "1e9"} {
		if _, err := ParseMbits(bad); !core.IsKind(err, core.Invalid) {
			t.Errorf("ParseMbits(%q) accepted", bad)
		}
	}
	if got := Mbits(1_250_000); got != "10" {
		t.Errorf("Mbits = %q", got)
	}
	p := Policy{Limits: Limits{Down: 1_250_000, Up: 125_000}}
	if got := p.Rclone(p.Limits); got != "122K:1220K" {
		t.Errorf("rclone always = %q", got)
	}
	p.From, p.To = "08:00", "17:30"
	got := p.Rclone(p.Limits)
	if !strings.HasPrefix(got, "Mon-08:00,122K:1220K Mon-17:30,off Tue-08:00") || !strings.HasSuffix(got, "Fri-17:30,off") {
		t.Errorf("rclone timetable = %q", got)
	}
	if (Policy{}).Rclone(Limits{}) != "" {
		t.Error("no limit gives a --bwlimit")
	}
}

// FuzzParse: the stored policy never panics the parser, and what it accepts
// is valid and survives a round trip.
func FuzzParse(f *testing.F) {
	f.Add(`{"down":1250000,"up":125000,"zones":{"wifi":{"down":125000}},"from":"08:00","to":"17:30"}`)
	f.Add(``)
	f.Add(`{"from":"25:00","to":"26:00"}`)
	f.Add(`{"zones":{"":{"down":1}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid policy: %v", err)
		}
		if _, err := Parse(p.Marshal()); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
