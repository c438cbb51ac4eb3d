// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/monitor/probes"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/notify/notifytest"
	"github.com/preau/preau/internal/store"
)

// hookRecorder is a local webhook receiver.
type hookRecorder struct {
	mu     sync.Mutex
	alerts []monitor.Alert
	sigs   []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a monitor.Alert
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &a); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad alert", 400)
		return
	}
	h.mu.Lock()
	h.alerts = append(h.alerts, a)
	h.sigs = append(h.sigs, r.Header.Get("X-Preau-Signature"))
	h.mu.Unlock()
}

func (h *hookRecorder) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, a := range h.alerts {
		out = append(out, a.Event)
	}
	return out
}

// TestMonitorIncidentLifecycle drives the check engine against a local TCP
// target on both back ends: the target goes down → an incident opens and
// alerts reach an SMTP sink and a webhook receiver; it comes back → the
// incident resolves itself, with its timeline, journal entries and the
// hourly history of results.
// CARINE: MCO-SEI-1, MCO-SEI-2
func TestMonitorIncidentLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999081, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		go acceptAll(ln)

		sink, err := notifytest.NewSink(notifytest.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer sink.Close()
		mailer := notify.New(notify.MailConfig{Relay: sink.Addr(), From: "preau@clg.test", TLS: "none"}, core.SystemClock{}, nil)
		hook := &hookRecorder{}
		srv := httptest.NewServer(hook)
		defer srv.Close()
		al := &probes.Alerter{
			Settings: func(context.Context) (probes.AlertSettings, error) {
				return probes.AlertSettings{OnCall: []string{"astreinte@clg.test"}, Webhook: srv.URL, Secret: "s3cret"}, nil
			},
			Mail: func(ctx context.Context, to []string, subject, text string) error {
				_, err := mailer.Send(ctx, notify.Message{To: to, Subject: subject, Text: text})
				return err
			},
		}
		logged := &logSink{}
		eng := monitor.NewEngine(monitor.EngineDeps{Store: db, Checker: &probes.Checker{}, Alerter: al, Logs: logged,
			Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler), Names: func(context.Context, string) string { return e.UAI }})
		svc := monitor.NewService(monitor.Deps{Store: db, Clock: core.SystemClock{}})
		tg := &monitor.Target{Establishment: e.ID, Name: "Commutateur CDI", Kind: monitor.KindTCP, Address: addr,
			Service: "reseau", Interval: time.Second, Timeout: time.Second, Retries: 0, RestoreTarget: time.Hour, Enabled: true}
		if err := svc.SaveTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if err := eng.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		step := func() {
			now = now.Add(time.Second)
			eng.RunDue(ctx, now)
		}
		step()
		if s := eng.Snapshot(); len(s) != 1 || s[0].State != monitor.Up {
			t.Fatalf("after a first success: %+v", s)
		}
		ln.Close()
		step()
		incs, err := db.FindIncidents(ctx, monitor.IncidentFilter{TargetID: tg.ID})
		if err != nil || len(incs) != 1 || incs[0].State != monitor.Open || !incs[0].Auto || incs[0].Service != "reseau" {
			t.Fatalf("incident after the failure: %+v %v", incs, err)
		}
		msgs, err := sink.WaitFor(1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if msgs[0].To[0] != "astreinte@clg.test" {
			t.Fatalf("alert mail to %v", msgs[0].To)
		}
		m, _ := msgs[0].Parse()
		if body, _ := io.ReadAll(m.Body); !strings.Contains(string(body), "Commutateur CDI") {
			t.Fatalf("alert mail body:\n%s", body)
		}
		if ev := hook.events(); len(ev) != 1 || ev[0] != "incident.opened" || hook.alerts[0].Establishment != e.UAI ||
			!strings.HasPrefix(hook.sigs[0], "sha256=") {
			t.Fatalf("webhook: %v %+v", ev, hook.alerts)
		}
		// A second failure does not open a second incident.
		step()
		if incs, _ := db.FindIncidents(ctx, monitor.IncidentFilter{TargetID: tg.ID}); len(incs) != 1 {
			t.Fatalf("%d incidents after two failures", len(incs))
		}
		// The target comes back: two successes resolve the incident.
		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln2.Close()
		go acceptAll(ln2)
		step()
		if i, _ := db.FindIncident(ctx, incs[0].ID); i.State != monitor.Open {
			t.Fatal("resolved after one success only")
		}
		step()
		i, err := db.FindIncident(ctx, incs[0].ID)
		if err != nil || i.State != monitor.Resolved || i.ResolvedAt.IsZero() {
			t.Fatalf("after recovery: %+v %v", i, err)
		}
		var kinds []string
		for _, ev := range i.Events {
			kinds = append(kinds, string(ev.Kind))
		}
		if got := strings.Join(kinds, ","); got != "detected,alerted,recovered,alerted" {
			t.Fatalf("timeline: %s", got)
		}
		if ev := hook.events(); len(ev) != 2 || ev[1] != "incident.resolved" || hook.alerts[1].ResolvedAt.IsZero() {
			t.Fatalf("webhook after recovery: %v", ev)
		}
		if _, err := sink.WaitFor(2, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "monitor."})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
		}
		for _, want := range []string{"monitor.target.create", "monitor.incident.open", "monitor.incident.recovered"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Fatalf("journal lacks %s: %v", want, actions)
			}
		}
		if got := logged.actions(); got != "check.up,check.down,check.up" {
			t.Fatalf("log records: %s", got)
		}
		if r := logged.recs[1]; r.Class != logs.ClassSystem || r.Severity != 3 || r.Establishment != e.ID || r.Message == "" ||
			r.Object != "Commutateur CDI" || r.User != "" {
			t.Fatalf("down record: %+v", r)
		}
		eng.Flush(ctx)
		ss, err := db.FindSamples(ctx, []string{e.ID}, time.Now().Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var checks, fails int64
		for _, s := range ss {
			checks += s.Checks
			fails += s.Failures
		}
		if checks != 5 || fails != 2 {
			t.Fatalf("history: %d checks, %d failures (%+v)", checks, fails, ss)
		}
		sums, err := db.SumSamples(ctx, nil, time.Now().Add(-2*time.Hour))
		if err != nil || len(sums) != 1 || sums[0].Checks != 5 || sums[0].Failures != 2 {
			t.Fatalf("sums: %+v %v", sums, err)
		}
		if w, _ := db.FindTarget(ctx, tg.ID); w.WindowChecks != 5 || w.WindowFailures != 2 {
			t.Fatalf("window: %d/%d", w.WindowChecks, w.WindowFailures)
		}
		// Downsampling keeps the sums and leaves one row per day.
		day := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		var hours []monitor.Sample
		for h := 0; h < 24; h++ {
			hours = append(hours, monitor.Sample{TargetID: tg.ID, Hour: day.Add(time.Duration(h) * time.Hour), Checks: 60, Failures: int64(h % 2),
				LatencySum: time.Second, LatencyMax: time.Duration(h) * time.Millisecond})
		}
		if err := db.RecordChecks(ctx, hours, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := db.DownsampleSamples(ctx, day.Add(36*time.Hour)); err != nil || n != 23 {
			t.Fatalf("downsampled %d: %v", n, err)
		}
		ds, _ := db.FindSamples(ctx, []string{e.ID}, day.Add(-time.Hour))
		if len(ds) < 1 || !ds[0].Hour.Equal(day) || ds[0].Checks != 1440 || ds[0].Failures != 12 || ds[0].LatencyMax != 23*time.Millisecond ||
			ds[0].LatencySum != 24*time.Second || !ds[1].Hour.After(day.Add(30*24*time.Hour)) {
			t.Fatalf("after downsampling: %+v", ds)
		}
		if n, _ := db.DownsampleSamples(ctx, day.Add(36*time.Hour)); n != 0 {
			t.Fatal("downsampling twice merged again")
		}
		if err := db.RecomputeWindows(ctx, time.Now().Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		tt, _ := db.FindTarget(ctx, tg.ID)
		if tt.WindowChecks != 5 || tt.WindowFailures != 2 {
			t.Fatalf("window after recomputing: %d/%d", tt.WindowChecks, tt.WindowFailures)
		}
		if tt.State != monitor.Up || tt.LastCheck.IsZero() {
			t.Fatalf("stored state: %+v", tt)
		}
	})
}

func acceptAll(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// TestMonitorLease: one holder at a time; another takes over only once the
// lease has expired. CARINE: MCO-SEI-1 (background jobs on one node).
func TestMonitorLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		db, _ := store.Reopen(open(t), store.Config{Clock: clock})
		ctx := context.Background()
		for _, c := range []struct {
			holder string
			want   bool
		}{{"a", true}, {"b", false}, {"a", true}} {
			if ok, err := db.AcquireLease(ctx, "job", c.holder, 30*time.Second); err != nil || ok != c.want {
				t.Fatalf("%s: %v %v", c.holder, ok, err)
			}
		}
		clock.Advance(31 * time.Second)
		if ok, _ := db.AcquireLease(ctx, "job", "b", 30*time.Second); !ok {
			t.Fatal("b could not take an expired lease")
		}
		if ok, _ := db.AcquireLease(ctx, "job", "a", 30*time.Second); ok {
			t.Fatal("a took b's lease")
		}
	})
}

// TestMonitorRequestsStore: a request goes from filing to resolution with
// its timeline, its attachment and conditional moves; the statistics count
// it without naming anyone.
// CARINE: MCO-SEI-3, MCO-SEI-8
func TestMonitorRequestsStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999082, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		lou := dirtest.NewPerson("lou.martin", core.ProfilePupil, e.ID)
		adm := dirtest.NewPerson("paul.admin", core.ProfileAdmin, e.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: lou}, {Person: adm}}); err != nil {
			t.Fatal(err)
		}
		type note struct{ to, subject string }
		var notes []note
		svc := monitor.NewService(monitor.Deps{Store: db, Clock: core.SystemClock{},
			Notify: notifyFunc(func(_ context.Context, id, subject, _ string) error {
				notes = append(notes, note{id, subject})
				return nil
			}),
			Admins: func(context.Context, string) ([]string, error) { return []string{adm.ID}, nil }})
		as := func(p *directory.Person) context.Context {
			return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
				Profile: p.Profile, Establishments: []string{e.ID}, Channel: core.ChannelWeb})
		}
		r, err := svc.FileRequest(as(lou), monitor.NewRequest{Category: monitor.CatHardware, Device: "PC-CDI-04",
			Subject: "L'imprimante ne répond plus", Description: "Depuis ce matin.",
			Attachment: &monitor.Attachment{Name: "photo.png", Type: "image/png", Content: []byte("\x89PNG...")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || notes[0].to != adm.ID {
			t.Fatalf("admins not told: %+v", notes)
		}
		if _, err := svc.ActOnRequest(as(lou), r.ID, monitor.ReqActResolve, ""); !core.IsKind(err, core.Permission) {
			t.Fatalf("a pupil resolved a request: %v", err)
		}
		if _, err := svc.ActOnRequest(as(adm), r.ID, monitor.ReqActAnswer, "Je passe à 14 h."); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ActOnRequest(as(adm), r.ID, monitor.ReqActResolve, "Câble remplacé."); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ActOnRequest(as(adm), r.ID, monitor.ReqActResolve, ""); !core.IsKind(err, core.Conflict) {
			t.Fatalf("resolved twice: %v", err)
		}
		got, _, err := svc.Request(as(lou), r.ID)
		if err != nil || got.State != monitor.ReqResolved || got.AssigneeLogin != "paul.admin" || len(got.Events) != 3 {
			t.Fatalf("request: %+v %v", got, err)
		}
		if got.Events[1].Text != "Je passe à 14 h." || got.Attachment == nil || got.Attachment.Name != "photo.png" {
			t.Fatalf("timeline or attachment: %+v", got)
		}
		att, err := svc.Attachment(as(lou), r.ID)
		if err != nil || string(att.Content) != "\x89PNG..." {
			t.Fatalf("attachment: %v", err)
		}
		if len(notes) != 3 || notes[2].to != lou.ID || !strings.Contains(notes[2].subject, "résolue") {
			t.Fatalf("requester not told: %+v", notes)
		}
		other := dirtest.NewPerson("zoe.autre", core.ProfilePupil, e.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: other}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Request(as(other), r.ID); !core.IsKind(err, core.Permission) {
			t.Fatalf("another pupil read the request: %v", err)
		}
		stats, err := db.RequestStats(ctx, []string{e.ID}, time.Now().Add(-time.Hour))
		if err != nil || len(stats) != 1 || stats[0].N != 1 || stats[0].ResolvedN != 1 || stats[0].DelaySum <= 0 {
			t.Fatalf("stats: %+v %v", stats, err)
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Action: "monitor.request."})
		if len(es) != 3 {
			t.Fatalf("%d request journal entries", len(es))
		}
	})
}

// logSink records what the engine logs (MCO-JAL-1 records).
type logSink struct {
	mu   sync.Mutex
	recs []logs.Record
}

func (s *logSink) Append(r logs.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
}

func (s *logSink) actions() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.recs {
		out = append(out, r.Action)
	}
	return strings.Join(out, ",")
}

type notifyFunc func(ctx context.Context, id, subject, body string) error

func (f notifyFunc) NotifyPerson(ctx context.Context, id, subject, body string) error {
	return f(ctx, id, subject, body)
}

// TestMonitorFlappingHoldsAlerts: a target that keeps changing state
// flaps; its incident then stays open without new alerts, and resolves
// once the target has been stable long enough.
// CARINE: MCO-SEI-1, MCO-SEI-2
func TestMonitorFlappingHoldsAlerts(t *testing.T) {
	db := openSQLite(t)
	ctx := dirtest.Ctx()
	e := dirtest.NewEstablishment(999083, directory.College)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		t.Fatal(err)
	}
	clock := core.NewFakeClock(time.Now())
	var alerts []string
	al := alerterFunc(func(_ context.Context, a monitor.Alert) ([]string, error) {
		alerts = append(alerts, a.Event)
		return []string{"test"}, nil
	})
	up := true
	checker := checkerFunc(func(context.Context, *monitor.Target) monitor.Result {
		if up {
			return monitor.Result{OK: true}
		}
		return monitor.Fail("down")
	})
	eng := monitor.NewEngine(monitor.EngineDeps{Store: db, Checker: checker, Alerter: al, Clock: clock, Log: slog.New(slog.DiscardHandler)})
	tg := &monitor.Target{ID: core.NewID(), Establishment: e.ID, Name: "Borne Wi-Fi", Kind: monitor.KindTCP, Address: "10.0.0.9:22",
		Interval: time.Second, Timeout: time.Second, Enabled: true, CreatedAt: clock.Now(), State: monitor.Unknown}
	if err := db.CreateTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if err := eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	step := func(ok bool) {
		up = ok
		clock.Advance(time.Second)
		eng.RunDue(ctx, clock.Now())
	}
	// up, then down/up/up three times: six changes within twenty intervals.
	step(true)
	for i := 0; i < 3; i++ {
		step(false)
		step(true)
		step(true)
	}
	if s := eng.Snapshot()[0]; !s.Flapping {
		t.Fatalf("not flapping: %+v", s)
	}
	if got := strings.Join(alerts, ","); got != "incident.opened,incident.resolved,incident.opened" {
		t.Fatalf("alerts while starting to flap: %s", got)
	}
	incs, _ := db.FindIncidents(ctx, monitor.IncidentFilter{TargetID: tg.ID, States: []monitor.IncidentState{monitor.Open}})
	if len(incs) != 1 {
		t.Fatalf("%d open incidents while flapping", len(incs))
	}
	for i := 0; i < 25; i++ {
		step(true)
	}
	if got := strings.Join(alerts, ","); got != "incident.opened,incident.resolved,incident.opened,incident.resolved" {
		t.Fatalf("alerts after settling: %s", got)
	}
	if incs, _ := db.FindIncidents(ctx, monitor.IncidentFilter{TargetID: tg.ID, States: []monitor.IncidentState{monitor.Open}}); len(incs) != 0 {
		t.Fatal("the incident stayed open once stable")
	}
}

type alerterFunc func(ctx context.Context, a monitor.Alert) ([]string, error)

func (f alerterFunc) Alert(ctx context.Context, a monitor.Alert) ([]string, error) { return f(ctx, a) }

type checkerFunc func(ctx context.Context, t *monitor.Target) monitor.Result

func (f checkerFunc) Check(ctx context.Context, t *monitor.Target) monitor.Result { return f(ctx, t) }

// TestMonitorIncidentsByHand: an admin declares an incident, acknowledges,
// annotates and resolves it; a teacher may not; a resolved incident moves
// no more; every step is journaled.
// CARINE: MCO-SEI-2
func TestMonitorIncidentsByHand(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999084, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		svc := monitor.NewService(monitor.Deps{Store: db, Clock: core.SystemClock{}})
		as := func(login string, p core.Profile) context.Context {
			return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: login,
				Profile: p, Establishments: []string{e.ID}, Channel: core.ChannelWeb})
		}
		if _, err := svc.OpenIncident(as("prof", core.ProfileTeacher), e.ID, "ENT lent", "ent", "", 0); !core.IsKind(err, core.Permission) {
			t.Fatalf("a teacher declared an incident: %v", err)
		}
		tech := as("tech", core.ProfileAdmin)
		if _, err := svc.OpenIncident(tech, e.ID, "", "ent", "", 0); !core.IsKind(err, core.Invalid) {
			t.Fatalf("no title: %v", err)
		}
		i, err := svc.OpenIncident(tech, e.ID, "ENT lent", "ent", "Signalé par la vie scolaire", 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []monitor.IncidentAction{monitor.ActAcknowledge, monitor.ActNote, monitor.ActResolve} {
			if _, err := svc.ActOnIncident(tech, i.ID, a, "Prestataire appelé"); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		if _, err := svc.ActOnIncident(tech, i.ID, monitor.ActResolve, ""); !core.IsKind(err, core.Conflict) {
			t.Fatalf("resolved twice: %v", err)
		}
		got, err := svc.Incident(tech, i.ID)
		if err != nil || got.State != monitor.Resolved || got.AcknowledgedAt.IsZero() || len(got.Events) != 4 ||
			got.Events[0].Actor != "tech" || got.RestoreTarget != 2*time.Hour {
			t.Fatalf("incident: %+v %v", got, err)
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Action: "monitor.incident."})
		if len(es) != 4 || es[0].Chain != e.ID {
			t.Fatalf("%d journal entries", len(es))
		}
	})
}

// CARINE: MCO-SEI-3 — an admin triages a request to a colleague: the
// colleague and the requester are told, the timeline names who has it; a
// request cannot be given to someone who does not administer the
// establishment, and a pupil cannot assign.
func TestMonitorRequestAssignedToColleague(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999083, directory.Lycee)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		lou := dirtest.NewPerson("lou.martin", core.ProfilePupil, e.ID)
		adm := dirtest.NewPerson("paul.admin", core.ProfileAdmin, e.ID)
		rita := dirtest.NewPerson("rita.tech", core.ProfileAdmin, e.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: lou}, {Person: adm}, {Person: rita}}); err != nil {
			t.Fatal(err)
		}
		var notes []string
		svc := monitor.NewService(monitor.Deps{Store: db, Clock: core.SystemClock{},
			Notify: notifyFunc(func(_ context.Context, id, subject, _ string) error {
				notes = append(notes, id+" "+subject)
				return nil
			}),
			Triagers: func(context.Context, string) ([]monitor.Triager, error) {
				return []monitor.Triager{{ID: adm.ID, Login: adm.Login, Name: "Paul Admin"}, {ID: rita.ID, Login: rita.Login, Name: "Rita Tech"}}, nil
			}})
		as := func(p *directory.Person) context.Context {
			return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
				Profile: p.Profile, Establishments: []string{e.ID}, Channel: core.ChannelWeb})
		}
		r, err := svc.FileRequest(as(lou), monitor.NewRequest{Category: monitor.CatHardware, Subject: "Vidéoprojecteur en panne",
			Description: "Salle 12."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AssignRequest(as(lou), r.ID, rita.ID); !core.IsKind(err, core.Permission) {
			t.Fatalf("a pupil assigned a request: %v", err)
		}
		if _, err := svc.AssignRequest(as(adm), r.ID, lou.ID); !core.IsKind(err, core.Invalid) {
			t.Fatalf("assigned to a pupil: %v", err)
		}
		got, err := svc.AssignRequest(as(adm), r.ID, rita.ID)
		if err != nil || got.State != monitor.ReqAssigned || got.AssigneeLogin != "rita.tech" {
			t.Fatalf("assigned to a colleague: %+v %v", got, err)
		}
		got, _, _ = svc.Request(as(lou), r.ID)
		last := got.Events[len(got.Events)-1]
		if last.Kind != monitor.EvAssigned || last.Text != "→ Rita Tech" || last.ActorLogin != "paul.admin" {
			t.Fatalf("timeline: %+v", last)
		}
		if len(notes) != 2 || !strings.HasPrefix(notes[0], rita.ID+" Demande d'assistance confiée") ||
			!strings.HasPrefix(notes[1], lou.ID+" Votre demande est prise en charge") {
			t.Fatalf("notices: %q", notes)
		}
	})
}

// CARINE: MCO-SEI-5 — daily internet counts add up across flushes and
// nodes, and are summed per establishment over a period.
func TestInternetUseDaily(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		day := func(est, d string, a, b, n int64) store.FilterDay {
			return store.FilterDay{Establishment: est, Day: d, InternetUse: monitor.InternetUse{Allowed: a, Blocked: b, Bytes: n}}
		}
		if err := db.AddFilterDays(ctx, []store.FilterDay{day("e1", "2026-11-01", 10, 2, 1000), day("e2", "2026-11-20", 5, 0, 50)}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddFilterDays(ctx, []store.FilterDay{day("e1", "2026-11-20", 7, 1, 300), day("e1", "2026-11-20", 3, 0, 200)}); err != nil {
			t.Fatal(err)
		}
		since := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
		use, err := db.InternetUse(ctx, nil, since)
		if err != nil || len(use) != 2 || use["e1"] != (monitor.InternetUse{Allowed: 10, Blocked: 1, Bytes: 500}) ||
			use["e2"].Allowed != 5 {
			t.Fatalf("since the 10th: %+v %v", use, err)
		}
		use, err = db.InternetUse(ctx, []string{"e2"}, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || len(use) != 1 || use["e2"].Bytes != 50 {
			t.Fatalf("one establishment: %+v %v", use, err)
		}
		if use, err := db.InternetUse(ctx, []string{}, since); err != nil || len(use) != 0 {
			t.Fatalf("no establishment in scope: %+v %v", use, err)
		}
	})
}
