// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package bandwidth shapes file transfers (WebDAV and the web file manager)
// so that synchronisation takes the bandwidth the establishment can spare
// (UTI-ESF-5): a token bucket per establishment, or per network zone of the
// establishment (internal/directory zones: admin, peda, wifi…), shared by
// every download, and another by every upload, from that place. Limits are
// off by default; administrators set them in the console's storage page,
// optionally only during school hours, and the portal tells users the
// matching settings for rclone and davfs2.
//
// The package imports only internal/core and internal/directory; it reads
// time through a core.Clock and waits through a Sleep function, so that
// tests measure shaping on an injected clock.
package bandwidth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Limits are rates in bytes per second; 0 means unlimited. In a zone's
// limits, Inherit (-1) means "as the establishment" for that direction.
type Limits struct {
	Down int64 `json:"down,omitempty"` // to users (GET, downloads)
	Up   int64 `json:"up,omitempty"`   // from users (PUT, uploads)
}

// Inherit in a zone's limit follows the establishment's for that direction.
const Inherit = -1

// Off reports whether neither direction is limited.
func (l Limits) Off() bool { return l.Down <= 0 && l.Up <= 0 }

// Policy is an establishment's bandwidth policy for file transfers.
type Policy struct {
	Limits                   // the establishment's transfers outside any zone with limits of its own
	Zones  map[string]Limits `json:"zones,omitempty"` // per network zone: replaces Limits for clients in that zone
	// From and To ("08:00", "17:30", establishment time) bound the hours
	// when the limits apply, Monday to Friday; both empty: always.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// Off reports whether the policy limits nothing (the default).
func (p Policy) Off() bool {
	if !p.Limits.Off() {
		return false
	}
	for _, l := range p.Zones {
		if !l.Off() {
			return false
		}
	}
	return true
}

// MinRate is the lowest limit accepted: 8 kB/s (64 kbit/s). Below, WebDAV
// clients time out on ordinary files.
const MinRate = 8000

// Validate reports a core.Invalid error naming what is wrong.
func (p Policy) Validate() error {
	const op = "bandwidth.Policy"
	check := func(what string, v int64) error {
		if v == Inherit && strings.HasPrefix(what, "zone ") {
			return nil
		}
		if v < 0 {
			return core.E(op, core.Invalid, "%s: a limit cannot be negative", what)
		}
		if v > 0 && v < MinRate {
			return core.E(op, core.Invalid, "%s: %s is too low (at least 0.064 Mbit/s, or 0 for no limit)", what, Mbits(v))
		}
		return nil
	}
	if err := check("download", p.Down); err != nil {
		return err
	}
	if err := check("upload", p.Up); err != nil {
		return err
	}
	for z, l := range p.Zones {
		if z == "" || strings.ContainsAny(z, " \t|") {
			return core.E(op, core.Invalid, "%q is not a zone name", z)
		}
		if err := check("zone "+z+" download", l.Down); err != nil {
			return err
		}
		if err := check("zone "+z+" upload", l.Up); err != nil {
			return err
		}
	}
	if (p.From == "") != (p.To == "") {
		return core.E(op, core.Invalid, "give both the start and the end of the limited hours, or neither")
	}
	if p.From != "" {
		f, err1 := parseClock(p.From)
		t, err2 := parseClock(p.To)
		if err1 != nil || err2 != nil {
			return core.E(op, core.Invalid, "limited hours are written HH:MM, for example 08:00 and 17:30")
		}
		if f >= t {
			return core.E(op, core.Invalid, "the limited hours must end after they start (%s–%s)", p.From, p.To)
		}
	}
	return nil
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

// Active reports whether the limits apply at t (in loc): always when no
// hours are set, else Monday to Friday between From and To.
func (p Policy) Active(t time.Time, loc *time.Location) bool {
	if p.From == "" {
		return true
	}
	t = t.In(loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	f, _ := parseClock(p.From)
	to, _ := parseClock(p.To)
	m := t.Hour()*60 + t.Minute()
	return m >= f && m < to
}

// For returns the limits of a client in zone ("" outside every zone), a
// zone's Inherit replaced by the establishment's value.
func (p Policy) For(zone string) Limits {
	l := p.Limits
	if zl, ok := p.Zones[zone]; ok && zone != "" {
		if zl.Down != Inherit {
			l.Down = zl.Down
		}
		if zl.Up != Inherit {
			l.Up = zl.Up
		}
	}
	return l
}

// scope names the bucket a direction of zone draws from: the zone's own
// when it sets that direction, else the establishment's ("").
func (p Policy) scope(zone string, down bool) string {
	zl, ok := p.Zones[zone]
	if !ok || zone == "" {
		return ""
	}
	if v := zl.Up; down {
		if zl.Down == Inherit {
			return ""
		}
	} else if v == Inherit {
		return ""
	}
	return zone
}

// Marshal is the stored form (one setting, so a change is one journaled write).
func (p Policy) Marshal() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// Parse reads the stored form; "" is the default (no limit).
func Parse(s string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return Policy{}, core.Wrap("bandwidth.Parse", core.Invalid, err)
	}
	return p, p.Validate()
}

// ParseMbits reads a rate typed by an administrator in Mbit/s ("10",
// "2,5", "0.5", empty for none) and returns bytes per second.
func ParseMbits(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), "mbit/s"), "mb/s"))
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 100000 {
		return 0, core.E("bandwidth", core.Invalid, "%q is not a rate in Mbit/s (examples: 10, 2.5, 0 for no limit)", s)
	}
	return int64(math.Round(f * 1e6 / 8)), nil
}

// Mbits writes a rate in bytes per second as Mbit/s for people ("2.5").
func Mbits(bps int64) string {
	return strconv.FormatFloat(float64(bps)*8/1e6, 'f', -1, 64)
}

// Rclone is the --bwlimit value matching the policy's establishment-wide
// limits ("" when none): rclone counts in bytes (KiB/s with a K suffix), and
// takes a timetable, so limits restricted to school hours become
// "Mon-08:00,UP:DOWN Mon-17:30,off …" for each weekday.
func (p Policy) Rclone(l Limits) string {
	if l.Off() {
		return ""
	}
	rate := func(v int64) string {
		if v <= 0 {
			return "off"
		}
		return strconv.FormatInt(max(v/1024, 1), 10) + "K"
	}
	// rclone's "UP:DOWN" form: upload first.
	val := rate(l.Up) + ":" + rate(l.Down)
	if p.From == "" {
		return val
	}
	var parts []string
	for _, d := range []string{"Mon", "Tue", "Wed", "Thu", "Fri"} {
		parts = append(parts, d+"-"+p.From+","+val, d+"-"+p.To+",off")
	}
	return strings.Join(parts, " ")
}

// Bucket is a token bucket: Reserve hands out bytes at Rate per second,
// with a burst of a tenth of a second (at least 16 KiB). Reservations beyond
// the tokens at hand go into debt, so transfers sharing a bucket wait in
// turn and together get the rate. It is safe for concurrent use.
type Bucket struct {
	mu     sync.Mutex
	rate   float64 // bytes per second
	burst  float64
	tokens float64
	last   time.Time
	clock  core.Clock
}

// NewBucket returns a full bucket of rate bytes per second (rate > 0).
func NewBucket(rate int64, clock core.Clock) *Bucket {
	burst := math.Max(float64(rate)/10, 16<<10)
	return &Bucket{rate: float64(rate), burst: burst, tokens: burst, last: clock.Now(), clock: clock}
}

// Chunk is the largest piece reserved at once.
func (b *Bucket) Chunk() int { return int(b.burst) }

// Reserve takes n bytes and returns how long to wait before sending them.
func (b *Bucket) Reserve(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// SetRate changes the rate (a policy change), keeping the debt.
func (b *Bucket) SetRate(rate int64) {
	b.mu.Lock()
	b.rate = float64(rate)
	b.burst = math.Max(float64(rate)/10, 16<<10)
	b.tokens = math.Min(b.tokens, b.burst)
	b.mu.Unlock()
}

// Sleep waits d or until ctx is done.
type Sleep func(ctx context.Context, d time.Duration) error

// RealSleep is Sleep on the system clock.
func RealSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Writer sends writes to w at the bucket's pace.
type Writer struct {
	ctx   context.Context
	w     io.Writer
	b     *Bucket
	sleep Sleep
}

// NewWriter shapes w by b.
func NewWriter(ctx context.Context, w io.Writer, b *Bucket, sleep Sleep) *Writer {
	return &Writer{ctx: ctx, w: w, b: b, sleep: sleep}
}

func (w *Writer) Write(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		n := min(len(p), w.b.Chunk())
		if d := w.b.Reserve(n); d > 0 {
			if err := w.sleep(w.ctx, d); err != nil {
				return done, err
			}
		}
		m, err := w.w.Write(p[:n])
		done += m
		if err != nil {
			return done, err
		}
		p = p[n:]
	}
	return done, nil
}

// Reader reads from r at the bucket's pace.
type Reader struct {
	ctx   context.Context
	r     io.Reader
	b     *Bucket
	sleep Sleep
}

// NewReader shapes r by b.
func NewReader(ctx context.Context, r io.Reader, b *Bucket, sleep Sleep) *Reader {
	return &Reader{ctx: ctx, r: r, b: b, sleep: sleep}
}

func (r *Reader) Read(p []byte) (int, error) {
	if len(p) > r.b.Chunk() {
		p = p[:r.b.Chunk()]
	}
	n, err := r.r.Read(p)
	if n > 0 {
		if d := r.b.Reserve(n); d > 0 {
			if serr := r.sleep(r.ctx, d); serr != nil {
				return n, serr
			}
		}
	}
	return n, err
}

// Source loads an establishment's policy and zones.
type Source func(ctx context.Context, est string) (Policy, []*directory.Zone, error)

// Shaper hands out the shared buckets. Policies are read again after TTL, so
// a change applies to new transfers within that time on every node; when
// the policy is off (the default) transfers are not wrapped at all.
type Shaper struct {
	src   Source
	clock core.Clock
	sleep Sleep
	loc   *time.Location
	ttl   time.Duration

	mu       sync.Mutex
	policies map[string]cachedPolicy
	buckets  map[string]sharedBucket // est|zone|dir
}

type sharedBucket struct {
	b    *Bucket
	rate int64
}

type cachedPolicy struct {
	p     Policy
	zones []*directory.Zone
	at    time.Time
}

// TTL is how long a policy read is used.
const TTL = 30 * time.Second

// NewShaper returns a Shaper; sleep nil means RealSleep, loc nil Europe/Paris
// (or UTC without time zone data).
func NewShaper(src Source, clock core.Clock, sleep Sleep, loc *time.Location) *Shaper {
	if sleep == nil {
		sleep = RealSleep
	}
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("Europe/Paris"); err != nil {
			loc = time.UTC
		}
	}
	return &Shaper{src: src, clock: clock, sleep: sleep, loc: loc, ttl: TTL,
		policies: map[string]cachedPolicy{}, buckets: map[string]sharedBucket{}}
}

// Policy returns the establishment's policy (cached for TTL).
func (s *Shaper) policy(ctx context.Context, est string) (Policy, []*directory.Zone) {
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.policies[est]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < s.ttl && now.Sub(c.at) >= 0 {
		return c.p, c.zones
	}
	p, zones, err := s.src(ctx, est)
	if err != nil {
		p, zones = c.p, c.zones // keep the last known policy
	}
	s.mu.Lock()
	s.policies[est] = cachedPolicy{p: p, zones: zones, at: now}
	s.mu.Unlock()
	return p, zones
}

// Forget drops a cached policy (after a change on this node).
func (s *Shaper) Forget(est string) {
	s.mu.Lock()
	delete(s.policies, est)
	s.mu.Unlock()
}

// bucket returns the shared bucket for a direction, nil when unlimited now.
func (s *Shaper) bucket(ctx context.Context, est, addr string, down bool) *Bucket {
	if s == nil || est == "" {
		return nil
	}
	p, zones := s.policy(ctx, est)
	if p.Off() || !p.Active(s.clock.Now(), s.loc) {
		return nil
	}
	zone := directory.ZoneOf(zones, addr)
	l, scope := p.For(zone), p.scope(zone, down)
	rate, dir := l.Up, "up"
	if down {
		rate, dir = l.Down, "down"
	}
	if rate <= 0 {
		return nil
	}
	key := est + "|" + scope + "|" + dir
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, ok := s.buckets[key]
	if !ok {
		sb = sharedBucket{NewBucket(rate, s.clock), rate}
		s.buckets[key] = sb
	} else if sb.rate != rate {
		sb.b.SetRate(rate)
		sb.rate = rate
		s.buckets[key] = sb
	}
	return sb.b
}

// Download returns w shaped by the download bucket of est and the zone of
// addr, or w itself when downloads are not limited now.
func (s *Shaper) Download(ctx context.Context, est, addr string, w io.Writer) (io.Writer, bool) {
	if b := s.bucket(ctx, est, addr, true); b != nil {
		return NewWriter(ctx, w, b, s.sleep), true
	}
	return w, false
}

// Upload returns r shaped by the upload bucket of est and the zone of addr,
// or r itself when uploads are not limited now.
func (s *Shaper) Upload(ctx context.Context, est, addr string, r io.Reader) io.Reader {
	if b := s.bucket(ctx, est, addr, false); b != nil {
		return NewReader(ctx, r, b, s.sleep)
	}
	return r
}

// ZoneNames lists the zones with limits of their own, sorted.
func (p Policy) ZoneNames() []string {
	var out []string
	for z := range p.Zones {
		out = append(out, z)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
