// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package breakglasstest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Harness is one fresh store for the suite.
type Harness struct {
	Store breakglass.Store
	Clock *core.FakeClock // the store's clock
	// Establishments are two existing establishment IDs.
	Establishments [2]string
	// AddPerson creates a person (notices need one to exist).
	AddPerson func(t *testing.T, p *directory.Person)
	// Notices returns the subjects of person id's notices.
	Notices func(t *testing.T, id string) []string
	// Journal returns the entries whose action starts with prefix.
	Journal func(t *testing.T, prefix string) []*journal.Entry
}

// Ctx is a system principal's context.
func Ctx() context.Context {
	return core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
}

// StoreSuite runs the conformance suite against stores made by open. Each
// subtest gets a fresh, empty store.
func StoreSuite(t *testing.T, open func(t *testing.T) Harness) {
	t.Run("RoundTripAndTimeline", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("ConditionalUpdate", func(t *testing.T) { testConditional(t, open(t)) })
	t.Run("UsesOnlyInForce", func(t *testing.T) { testUses(t, open(t)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open(t)) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, k core.Kind) {
	t.Helper()
	if core.KindOf(err) != k || err == nil {
		t.Fatalf("error %v, want kind %s", err, k)
	}
}

// people creates an admin and a teacher in est.
func people(t *testing.T, h Harness, est string) (admin, target breakglass.Party) {
	sfx := core.NewID()[30:]
	a := &directory.Person{ID: core.NewID(), Login: "adm" + sfx, GivenName: "Sam", FamilyName: "Tech",
		DisplayName: "Sam Tech", Profile: core.ProfileAdmin, State: directory.Active, Establishments: []string{est}}
	b := &directory.Person{ID: core.NewID(), Login: "lou" + sfx, GivenName: "Lou", FamilyName: "Petit",
		DisplayName: "Lou Petit", Profile: core.ProfileTeacher, State: directory.Active, Establishments: []string{est}}
	h.AddPerson(t, a)
	h.AddPerson(t, b)
	return breakglass.Party{ID: a.ID, Login: a.Login, Name: a.DisplayName}, breakglass.Party{ID: b.ID, Login: b.Login, Name: b.DisplayName}
}

func newRequest(h Harness, est string, admin, target breakglass.Party) *breakglass.Request {
	now := h.Clock.Now()
	return &breakglass.Request{ID: core.NewID(), Establishment: est, Requester: admin, Target: target,
		Scope: breakglass.ScopeFiles, Object: "/home/lou/PERSONNEL", Basis: breakglass.Judicial,
		Reference: "PV 2026/118 TJ Lyon", Reason: "Réquisition du parquet pour une enquête", Duration: 4 * time.Hour,
		State: breakglass.Requested, CreatedAt: now}
}

func entry(r *breakglass.Request, action string) journal.Entry {
	return journal.Entry{Chain: r.Establishment, Action: "breakglass." + action, TargetType: "person",
		TargetID: r.Target.ID, TargetName: r.Target.Login, Attributes: []string{"request:" + r.ID}}
}

func approve(t *testing.T, h Harness, r *breakglass.Request) {
	now := h.Clock.Now()
	r.State, r.Approver, r.DecidedAt, r.Comment = breakglass.Approved, r.Requester, now, "vu"
	r.From, r.Until = now, now.Add(r.Duration)
	must(t, h.Store.UpdateBreakGlass(Ctx(), r, breakglass.Requested,
		&breakglass.Event{RequestID: r.ID, At: now, Action: "approve", Detail: "vu"},
		[]breakglass.Notice{{PersonID: r.Target.ID, Subject: "Accès exceptionnel à vos données", Body: "…"}}, entry(r, "approve")))
}

func testRoundTrip(t *testing.T, h Harness) {
	ctx := Ctx()
	admin, target := people(t, h, h.Establishments[0])
	r := newRequest(h, h.Establishments[0], admin, target)
	must(t, h.Store.CreateBreakGlass(ctx, r, &breakglass.Event{RequestID: r.ID, At: r.CreatedAt, Actor: admin,
		Action: "request", Detail: r.Reason}, nil, entry(r, "request")))
	got, err := h.Store.FindBreakGlass(ctx, r.ID)
	must(t, err)
	if got.Requester != admin || got.Target != target || got.Scope != r.Scope || got.Object != r.Object ||
		got.Basis != r.Basis || got.Reference != r.Reference || got.Reason != r.Reason || got.Duration != r.Duration ||
		got.State != breakglass.Requested || !got.CreatedAt.Equal(r.CreatedAt) || !got.From.IsZero() {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	h.Clock.Advance(time.Minute)
	approve(t, h, r)
	got, err = h.Store.FindBreakGlass(ctx, r.ID)
	must(t, err)
	if got.State != breakglass.Approved || !got.From.Equal(r.From) || !got.Until.Equal(r.Until) ||
		got.Approver != admin || got.Comment != "vu" || !got.DecidedAt.Equal(r.DecidedAt) {
		t.Fatalf("after approval: %+v", got)
	}
	evs, err := h.Store.FindBreakGlassEvents(ctx, r.ID)
	must(t, err)
	if len(evs) != 2 || evs[0].Action != "request" || evs[0].Actor != admin || evs[1].Action != "approve" {
		t.Fatalf("timeline: %+v", evs)
	}
	if n := h.Notices(t, target.ID); len(n) != 1 || n[0] != "Accès exceptionnel à vos données" {
		t.Fatalf("notices of the target: %v", n)
	}
	es := h.Journal(t, "breakglass.")
	if len(es) != 2 || es[0].Action != "breakglass.request" || es[1].Action != "breakglass.approve" ||
		es[1].Chain != h.Establishments[0] || es[1].TargetID != target.ID {
		t.Fatalf("journal: %+v", es)
	}
	_, err = h.Store.FindBreakGlass(ctx, core.NewID())
	wantKind(t, err, core.NotFound)
	if evs, err := h.Store.FindBreakGlassEvents(ctx, core.NewID()); err != nil || len(evs) != 0 {
		t.Fatalf("events of an unknown request: %v %v", evs, err)
	}
}

func testConditional(t *testing.T, h Harness) {
	ctx := Ctx()
	admin, target := people(t, h, h.Establishments[0])
	r := newRequest(h, h.Establishments[0], admin, target)
	must(t, h.Store.CreateBreakGlass(ctx, r, nil, nil, entry(r, "request")))
	stale := *r
	approve(t, h, r)
	stale.State = breakglass.Cancelled
	err := h.Store.UpdateBreakGlass(ctx, &stale, breakglass.Requested, &breakglass.Event{RequestID: r.ID,
		Action: "cancel"}, []breakglass.Notice{{PersonID: target.ID, Subject: "x", Body: "y"}}, entry(r, "cancel"))
	wantKind(t, err, core.Conflict)
	got, _ := h.Store.FindBreakGlass(ctx, r.ID)
	evs, _ := h.Store.FindBreakGlassEvents(ctx, r.ID)
	if got.State != breakglass.Approved || len(evs) != 1 || len(h.Notices(t, target.ID)) != 1 ||
		len(h.Journal(t, "breakglass.cancel")) != 0 {
		t.Fatalf("a refused update half-wrote: %s, %d events, notices %v", got.State, len(evs), h.Notices(t, target.ID))
	}
	// A second open request for the same requester, person and scope is a
	// conflict (two nodes racing); once the first has ended it is allowed.
	dup := newRequest(h, h.Establishments[0], admin, target)
	err = h.Store.CreateBreakGlass(ctx, dup, nil, nil, entry(dup, "request"))
	wantKind(t, err, core.Conflict)
	if !errors.Is(err, breakglass.ErrDuplicate) {
		t.Fatalf("duplicate open request: %v", err)
	}
	other := newRequest(h, h.Establishments[0], admin, target)
	other.Scope = breakglass.ScopeMail
	must(t, h.Store.CreateBreakGlass(ctx, other, nil, nil, entry(other, "request")))
	r.State, r.EndedAt = breakglass.Closed, h.Clock.Now()
	must(t, h.Store.UpdateBreakGlass(ctx, r, breakglass.Approved, nil, nil, entry(r, "close")))
	must(t, h.Store.CreateBreakGlass(ctx, dup, nil, nil, entry(dup, "request")))
	missing := *r
	missing.ID = core.NewID()
	wantKind(t, h.Store.UpdateBreakGlass(ctx, &missing, breakglass.Approved, nil, nil, entry(&missing, "close")),
		core.NotFound)
}

func testUses(t *testing.T, h Harness) {
	ctx := Ctx()
	admin, target := people(t, h, h.Establishments[0])
	r := newRequest(h, h.Establishments[0], admin, target)
	must(t, h.Store.CreateBreakGlass(ctx, r, nil, nil, entry(r, "request")))
	use := func() error {
		return h.Store.RecordBreakGlassUse(ctx, r.ID, &breakglass.Event{RequestID: r.ID, Actor: admin, Action: "use",
			Detail: "/home/lou/PERSONNEL/a.txt"}, entry(r, "use"))
	}
	wantKind(t, use(), core.Conflict) // not approved yet
	approve(t, h, r)
	must(t, use())
	h.Clock.Advance(time.Hour)
	must(t, use())
	got, _ := h.Store.FindBreakGlass(ctx, r.ID)
	if got.Uses != 2 || !got.LastUsedAt.Equal(h.Clock.Now()) {
		t.Fatalf("uses %d, last %v (now %v)", got.Uses, got.LastUsedAt, h.Clock.Now())
	}
	h.Clock.Advance(3 * time.Hour) // exactly Until: the window is over
	wantKind(t, use(), core.Conflict)
	evs, _ := h.Store.FindBreakGlassEvents(ctx, r.ID)
	if len(evs) != 3 || evs[2].Action != "use" || evs[2].Detail != "/home/lou/PERSONNEL/a.txt" ||
		!evs[2].At.Equal(h.Clock.Now().Add(-3*time.Hour)) {
		t.Fatalf("timeline of uses: %+v", evs)
	}
	if n := len(h.Journal(t, "breakglass.use")); n != 2 {
		t.Fatalf("%d use entries journaled, want 2", n)
	}
}

func ids(rs []*breakglass.Request) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Reference)
	}
	return strings.Join(s, ",")
}

func testFilters(t *testing.T, h Harness) {
	ctx := Ctx()
	a1, t1 := people(t, h, h.Establishments[0])
	a2, t2 := people(t, h, h.Establishments[1])
	mk := func(est string, a, tg breakglass.Party, ref string) *breakglass.Request {
		h.Clock.Advance(time.Minute)
		r := newRequest(h, est, a, tg)
		r.Reference = ref
		must(t, h.Store.CreateBreakGlass(ctx, r, nil, nil, entry(r, "request")))
		return r
	}
	r1 := mk(h.Establishments[0], a1, t1, "R1")
	mk(h.Establishments[1], a2, t2, "R2")
	r3 := mk(h.Establishments[0], a1, a2, "R3")
	approve(t, h, r1)
	for _, tc := range []struct {
		name string
		f    breakglass.Filter
		want string
	}{
		{"all, newest first", breakglass.Filter{}, "R3,R2,R1"},
		{"establishment", breakglass.Filter{Establishments: []string{h.Establishments[0]}}, "R3,R1"},
		{"no establishment", breakglass.Filter{Establishments: []string{}}, ""},
		{"requester and target", breakglass.Filter{Requester: a1.ID, Target: t1.ID}, "R1"},
		{"not target", breakglass.Filter{NotTarget: a2.ID}, "R2,R1"},
		{"states", breakglass.Filter{States: []breakglass.State{breakglass.Approved}}, "R1"},
		{"limit", breakglass.Filter{Limit: 1}, "R3"},
		{"due: none yet", breakglass.Filter{DueBefore: h.Clock.Now()}, ""},
		{"due: window over", breakglass.Filter{DueBefore: r1.Until}, "R1"},
		{"due: pending lapsed", breakglass.Filter{DueBefore: r3.CreatedAt.Add(breakglass.PendingLifetime)}, "R3,R2,R1"},
	} {
		got, err := h.Store.FindBreakGlasses(ctx, tc.f)
		must(t, err)
		if ids(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, ids(got), tc.want)
		}
	}
}
