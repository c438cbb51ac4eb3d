// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
)

// Thresholds of Step.
const (
	// RecoverAfter is how many successes in a row bring a down target up.
	RecoverAfter = 2
	// FlapChanges changes of state within FlapWindow intervals make a
	// target flapping.
	FlapChanges = 4
	// FlapWindow is counted in check intervals of the target.
	FlapWindow = 20
)

// Tracker follows one target's consecutive results.
type Tracker struct {
	State    State
	Fails    int
	Passes   int
	Changes  []time.Time // changes of state (up↔down) within the window
	Flapping bool
}

// Step counts result r of a target tolerating retries failures, checked at
// interval, at now, and returns the new state when it changed ("" else).
// A target goes down after retries+1 failures in a row, comes up after
// RecoverAfter successes in a row (at once when it was never checked), and
// flaps while it changed FlapChanges times within FlapWindow intervals.
func (k *Tracker) Step(r Result, retries int, interval time.Duration, now time.Time) State {
	var to State
	if r.OK {
		k.Fails = 0
		k.Passes++
		if k.State == Unknown || k.State == "" || (k.State == Down && k.Passes >= RecoverAfter) {
			to = Up
		}
	} else {
		k.Passes = 0
		k.Fails++
		if k.State != Down && k.Fails > retries {
			to = Down
		}
	}
	if to != "" && k.State != Unknown && k.State != "" {
		k.Changes = append(k.Changes, now)
	}
	cut := now.Add(-FlapWindow * interval)
	k.Changes = slices.DeleteFunc(k.Changes, func(t time.Time) bool { return t.Before(cut) })
	k.Flapping = len(k.Changes) >= FlapChanges
	if to != "" {
		k.State = to
	}
	return to
}

// Alerter sends an alert to the on-call admins. It returns where it went
// (for the timeline), and an error when nothing could be sent.
type Alerter interface {
	Alert(ctx context.Context, a Alert) (sent []string, err error)
}

// EngineDeps are the collaborators of an Engine. Store, Checker and Clock
// are required.
type EngineDeps struct {
	Store   Store
	Checker Checker
	Alerter Alerter // nil: no alerts
	Clock   core.Clock
	Log     *slog.Logger
	// Node names this process for the lease (several nodes share a store).
	Node string
	// SelfInterval is the interval of self-checks (default 30 s).
	SelfInterval time.Duration
	// Names returns an establishment's UAI for alerts ("" when unknown).
	Names func(ctx context.Context, est string) string
	// PublicURL prefixes the incident links of alerts.
	PublicURL string
	// Concurrency bounds the checks run at once (default 64).
	Concurrency int
	// Logs receives a system record at each change of state (nil: none).
	Logs logs.Sink
}

// Engine runs the checks on the node holding the lease, keeps the state of
// every target and opens and resolves incidents.
type Engine struct {
	deps EngineDeps
	log  *slog.Logger

	mu      sync.Mutex
	probes  map[string]Probe // target ID → probe (self-checks)
	entries map[string]*entry
	samples map[sampleKey]*Sample
	dirty   map[string]*Target // state to save at the next flush
	leader  bool

	checks   atomic.Int64 // checks run by this process
	failures atomic.Int64
	alerts   atomic.Int64
}

type entry struct {
	t        *Target
	track    Tracker
	next     time.Time
	running  bool
	incident string // the unresolved incident of the target, when known
}

type sampleKey struct {
	target string
	hour   int64
}

// Lease is the name of the engine's lease in the store.
const Lease = "monitor.engine"

// NewEngine returns an engine; Run starts it.
func NewEngine(deps EngineDeps) *Engine {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.SelfInterval <= 0 {
		deps.SelfInterval = 30 * time.Second
	}
	if deps.Concurrency <= 0 {
		deps.Concurrency = 64
	}
	if deps.Node == "" {
		deps.Node = core.NewID()
	}
	return &Engine{deps: deps, log: deps.Log, probes: map[string]Probe{}, entries: map[string]*entry{},
		samples: map[sampleKey]*Sample{}, dirty: map[string]*Target{}}
}

// SelfID returns the target ID of the self-check called name.
func SelfID(name string) string { return "self-" + name }

// Register adds a self-check of a Préau service: name is the service
// ("https", "ldap", "proxy"…), p its probe. Call it before Run.
func (e *Engine) Register(name string, p Probe) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.probes[SelfID(name)] = p
}

// Probes lists the names of the registered self-checks.
func (e *Engine) Probes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for id := range e.probes {
		out = append(out, strings.TrimPrefix(id, "self-"))
	}
	slices.Sort(out)
	return out
}

// Run stores the self-check targets, then runs due checks every second
// while this node holds the lease, until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	for _, name := range e.Probes() {
		t := &Target{ID: SelfID(name), Name: name, Kind: KindSelf, Address: name, Service: name,
			Interval: e.deps.SelfInterval, Timeout: min(e.deps.SelfInterval, 10*time.Second), Retries: 1,
			Enabled: true, CreatedAt: e.deps.Clock.Now()}
		if err := e.deps.Store.EnsureSelfTarget(ctx, t); err != nil {
			// Checked anyway once Reload finds it; a store that is down
			// now will be retried by the next start.
			e.log.Warn("registering a self-check", "probe", name, "err", err)
		}
	}
	var lastLease, lastLoad, lastFlush time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer e.flush(context.WithoutCancel(ctx))
	for {
		now := e.deps.Clock.Now()
		if now.Sub(lastLease) >= 10*time.Second {
			lastLease = now
			ok, err := e.deps.Store.AcquireLease(ctx, Lease, e.deps.Node, 30*time.Second)
			if err != nil && ctx.Err() == nil {
				e.log.Warn("monitor lease", "err", err)
			}
			e.mu.Lock()
			e.leader = ok
			e.mu.Unlock()
		}
		if e.Leader() {
			if now.Sub(lastLoad) >= 10*time.Second {
				lastLoad = now
				if err := e.Reload(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("loading monitor targets", "err", err)
				}
			}
			e.RunDue(ctx, now)
			if now.Sub(lastFlush) >= time.Minute {
				lastFlush = now
				e.flush(ctx)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Leader reports whether this node runs the checks.
func (e *Engine) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// Reload reads the targets from the store, keeping the state of those
// already followed.
func (e *Engine) Reload(ctx context.Context) error {
	ts, err := e.deps.Store.FindTargets(ctx, nil)
	if err != nil {
		return err
	}
	open, err := e.deps.Store.FindIncidents(ctx, IncidentFilter{States: []IncidentState{Open, Acknowledged}})
	if err != nil {
		return err
	}
	openBy := map[string]string{}
	for _, i := range open {
		if i.TargetID != "" {
			openBy[i.TargetID] = i.ID
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	now := e.deps.Clock.Now()
	for _, t := range ts {
		if !t.Enabled || (t.Kind == KindSelf && e.probes[t.ID] == nil) {
			continue
		}
		seen[t.ID] = true
		en := e.entries[t.ID]
		if en == nil {
			en = &entry{track: Tracker{State: t.State}, next: now}
			e.entries[t.ID] = en
		} else {
			// Keep the live state; take the declared fields.
			t.State, t.StateSince, t.Flapping = en.t.State, en.t.StateSince, en.t.Flapping
			t.LastCheck, t.LastLatency, t.LastError = en.t.LastCheck, en.t.LastLatency, en.t.LastError
			if t.Interval != en.t.Interval {
				en.next = now
			}
		}
		en.t = t
		if id, ok := openBy[t.ID]; ok {
			en.incident = id
		} else if !en.running {
			en.incident = ""
		}
	}
	for id := range e.entries {
		if !seen[id] {
			delete(e.entries, id)
		}
	}
	return nil
}

// RunDue starts the checks due at now, at most Concurrency at once, and
// waits for them.
func (e *Engine) RunDue(ctx context.Context, now time.Time) {
	e.mu.Lock()
	var due []*entry
	for _, en := range e.entries {
		if !en.running && !now.Before(en.next) {
			en.running = true
			en.next = now.Add(en.t.Interval)
			due = append(due, en)
		}
	}
	e.mu.Unlock()
	sem := make(chan struct{}, e.deps.Concurrency)
	var wg sync.WaitGroup
	for _, en := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.checkOne(ctx, en)
		}()
	}
	wg.Wait()
}

// checkOne runs one check and acts on its result.
func (e *Engine) checkOne(ctx context.Context, en *entry) {
	e.mu.Lock()
	t := *en.t
	probe := e.probes[t.ID]
	e.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, t.Timeout)
	start := e.deps.Clock.Now()
	var r Result
	if t.Kind == KindSelf {
		if probe == nil {
			r = Fail("no probe registered")
		} else {
			r = probe.Probe(cctx)
		}
	} else {
		r = e.deps.Checker.Check(cctx, &t)
	}
	cancel()
	if r.Latency == 0 {
		r.Latency = e.deps.Clock.Now().Sub(start)
	}
	if ctx.Err() != nil {
		e.mu.Lock()
		en.running = false
		e.mu.Unlock()
		return
	}
	e.Observe(ctx, en, r)
}

// Observe counts r for the target of en and opens or resolves its incident.
func (e *Engine) Observe(ctx context.Context, en *entry, r Result) {
	now := e.deps.Clock.Now()
	e.checks.Add(1)
	if !r.OK {
		e.failures.Add(1)
	}
	e.mu.Lock()
	en.running = false
	t := en.t
	to := en.track.Step(r, t.Retries, t.Interval, now)
	t.LastCheck, t.LastLatency, t.LastError = now, r.Latency, r.Error
	t.Flapping = en.track.Flapping
	if to != "" {
		t.State, t.StateSince = to, now
	}
	hour := now.UTC().Truncate(time.Hour)
	k := sampleKey{t.ID, hour.UnixMicro()}
	s := e.samples[k]
	if s == nil {
		s = &Sample{TargetID: t.ID, Hour: hour}
		e.samples[k] = s
	}
	s.add(r)
	snap := *t
	e.dirty[t.ID] = &snap
	incident, flapping := en.incident, en.track.Flapping
	e.mu.Unlock()

	if to != "" {
		e.logChange(&snap, r, now)
	}
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:monitor", core.ChannelJob))
	switch {
	case to == Down && incident == "":
		if err := e.openAuto(jctx, en, &snap, r, flapping); err != nil {
			e.log.Error("opening an incident", "target", snap.Name, "err", err)
		}
		e.saveState(jctx, &snap)
	case to != "" || (snap.State == Up && incident != "" && !flapping):
		if snap.State == Up && incident != "" && !flapping {
			if err := e.recover(jctx, en, incident, &snap); err != nil {
				e.log.Error("resolving an incident", "target", snap.Name, "err", err)
			}
		}
		e.saveState(jctx, &snap)
	}
}

// logChange writes a system log record (MCO-JAL-1) for a change of state.
func (e *Engine) logChange(t *Target, r Result, now time.Time) {
	if e.deps.Logs == nil {
		return
	}
	rec := logs.Record{Time: now.UTC(), Establishment: t.Establishment, Class: logs.ClassSystem, Service: "monitor",
		Facility: 3, Severity: 5, Action: "check." + string(t.State), Object: t.Name, Result: "ok",
		Fields: map[string]string{"kind": string(t.Kind), "address": t.Address, "service": t.Service,
			"latency_ms": fmt.Sprint(r.Latency.Milliseconds())}}
	if t.State == Down {
		rec.Severity, rec.Result, rec.Message = 3, "error", r.Error
	}
	if t.Flapping {
		rec.Fields["flapping"] = "true"
	}
	e.deps.Logs.Append(rec)
}

// saveState writes a target's state at once (changes of state are rare;
// the rest waits for the minute's flush).
func (e *Engine) saveState(ctx context.Context, t *Target) {
	e.mu.Lock()
	delete(e.dirty, t.ID)
	e.mu.Unlock()
	if err := e.deps.Store.RecordChecks(ctx, nil, []*Target{t}); err != nil {
		e.log.Warn("saving a target's state", "target", t.Name, "err", err)
	}
}

func (e *Engine) openAuto(ctx context.Context, en *entry, t *Target, r Result, flapping bool) error {
	inc := &Incident{ID: core.NewID(), Establishment: t.Establishment, TargetID: t.ID, Service: t.Service,
		Title: fmt.Sprintf("%s ne répond plus / %s is down", t.Name, t.Name), State: Open, Auto: true,
		OpenedAt: e.deps.Clock.Now(), RestoreTarget: t.Restore()}
	err := e.deps.Store.OpenIncident(ctx, inc, IncidentEvent{At: inc.OpenedAt, Kind: EvDetected, Text: r.Error})
	if core.IsKind(err, core.Exists) {
		return e.Reload(ctx) // another path opened it: learn its ID
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	en.incident = inc.ID
	e.mu.Unlock()
	if flapping {
		_, err = e.deps.Store.AddIncidentEvent(ctx, inc.ID, IncidentEvent{At: e.deps.Clock.Now(), Kind: EvNote,
			Text: "flapping: alert suppressed / instable : alerte retenue"}, "")
		return err
	}
	e.alert(ctx, inc, t, "incident.opened", r.Error)
	return nil
}

func (e *Engine) recover(ctx context.Context, en *entry, id string, t *Target) error {
	inc, err := e.deps.Store.AddIncidentEvent(ctx, id, IncidentEvent{At: e.deps.Clock.Now(), Kind: EvRecovered,
		Text: fmt.Sprintf("%s", t.LastLatency.Round(time.Millisecond))}, Resolved)
	if core.IsKind(err, core.Conflict) || core.IsKind(err, core.NotFound) {
		err = nil // resolved by hand meanwhile
	}
	e.mu.Lock()
	en.incident = ""
	e.mu.Unlock()
	if err != nil || inc == nil {
		return err
	}
	e.alert(ctx, inc, t, "incident.resolved", "")
	return nil
}

// alert sends the alert of inc and records it on the timeline.
func (e *Engine) alert(ctx context.Context, inc *Incident, t *Target, event, why string) {
	if e.deps.Alerter == nil {
		return
	}
	a := Alert{Event: event, IncidentID: inc.ID, Title: inc.Title, Service: inc.Service, Error: why,
		At: e.deps.Clock.Now().UTC(), OpenedAt: inc.OpenedAt.UTC(), TargetSecs: int64(inc.RestoreTarget / time.Second)}
	if t != nil {
		a.Target = t.Name
	}
	if !inc.ResolvedAt.IsZero() {
		a.ResolvedAt = inc.ResolvedAt.UTC()
		a.RestoreSecs = int64(inc.ResolvedAt.Sub(inc.OpenedAt) / time.Second)
	}
	if e.deps.Names != nil && inc.Establishment != "" {
		a.Establishment = e.deps.Names(ctx, inc.Establishment)
	}
	if e.deps.PublicURL != "" {
		a.URL = strings.TrimSuffix(e.deps.PublicURL, "/") + "/admin/monitor/incidents/" + inc.ID
	}
	sent, err := e.deps.Alerter.Alert(ctx, a)
	e.alerts.Add(int64(len(sent)))
	text := strings.Join(sent, ", ")
	if err != nil {
		e.log.Warn("alert", "incident", inc.ID, "err", err)
		if text != "" {
			text += "; "
		}
		text += "failed: " + core.MessageOf(err)
	}
	if text == "" {
		return
	}
	if _, err := e.deps.Store.AddIncidentEvent(ctx, inc.ID, IncidentEvent{At: e.deps.Clock.Now(), Kind: EvAlerted,
		Text: text}, ""); err != nil && !core.IsKind(err, core.Conflict) {
		e.log.Warn("recording an alert", "incident", inc.ID, "err", err)
	}
}

// flush writes the aggregated samples and the states changed since the
// last flush.
func (e *Engine) flush(ctx context.Context) {
	e.mu.Lock()
	var samples []Sample
	for k, s := range e.samples {
		samples = append(samples, *s)
		delete(e.samples, k)
	}
	var states []*Target
	for id, t := range e.dirty {
		states = append(states, t)
		delete(e.dirty, id)
	}
	e.mu.Unlock()
	if len(samples) == 0 && len(states) == 0 {
		return
	}
	if err := e.deps.Store.RecordChecks(ctx, samples, states); err != nil {
		e.log.Warn("saving check results", "err", err)
	}
}

// Flush writes what the engine holds in memory (tests, shutdown).
func (e *Engine) Flush(ctx context.Context) { e.flush(ctx) }

// Snapshot returns a copy of the state of every followed target.
func (e *Engine) Snapshot() []Target {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Target, 0, len(e.entries))
	for _, en := range e.entries {
		out = append(out, *en.t)
	}
	slices.SortFunc(out, func(a, b Target) int {
		return strings.Compare(a.Establishment+"\x00"+a.Name, b.Establishment+"\x00"+b.Name)
	})
	return out
}

// Counters returns the checks, failures and alerts counted by this process.
func (e *Engine) Counters() (checks, failures, alerts int64) {
	return e.checks.Load(), e.failures.Load(), e.alerts.Load()
}

// Follow adds t to the followed targets at once (tests and benchmarks
// drive RunDue without Run).
func (e *Engine) Follow(t *Target) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries[t.ID] = &entry{t: t, track: Tracker{State: t.State}, next: e.deps.Clock.Now()}
	e.leader = true
}
