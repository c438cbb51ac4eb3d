// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/monitor"
)

var ok, ko = monitor.Result{OK: true}, monitor.Fail("refused")

// TestTrackerRetriesAndRecovery: down only after retries+1 failures in a
// row, up again after two successes; a lone failure between successes
// changes nothing. CARINE: MCO-SEI-1
func TestTrackerRetriesAndRecovery(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var k monitor.Tracker
	steps := []struct {
		r    monitor.Result
		want monitor.State // change expected ("" none)
	}{{ok, monitor.Up}, {ko, ""}, {ok, ""}, {ko, ""}, {ko, ""}, {ko, monitor.Down}, {ko, ""}, {ok, ""}, {ok, monitor.Up}}
	for i, s := range steps {
		now = now.Add(time.Minute)
		if got := k.Step(s.r, 2, time.Minute, now); got != s.want {
			t.Fatalf("step %d: change %q, want %q (tracker %+v)", i, got, s.want, k)
		}
	}
	if k.Flapping {
		t.Fatal("two changes are not flapping")
	}
}

// TestTrackerFlapping: a target changing state four times within twenty
// intervals flaps, and stops flapping once the changes age out.
// CARINE: MCO-SEI-1
func TestTrackerFlapping(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	k := monitor.Tracker{}
	k.Step(ok, 0, time.Minute, now)
	for i := 0; i < 4; i++ {
		now = now.Add(time.Minute)
		k.Step(ko, 0, time.Minute, now)
		now = now.Add(time.Minute)
		k.Step(ok, 0, time.Minute, now)
		now = now.Add(time.Minute)
		k.Step(ok, 0, time.Minute, now)
	}
	if !k.Flapping {
		t.Fatalf("eight changes in twelve minutes: not flapping (%+v)", k)
	}
	for i := 0; i < 25; i++ {
		now = now.Add(time.Minute)
		k.Step(ok, 0, time.Minute, now)
	}
	if k.Flapping || k.State != monitor.Up {
		t.Fatalf("stable for 25 intervals: still flapping (%+v)", k)
	}
}

// TestTargetNormalize names every problem of a bad target at once, and
// fills the defaults of a good one.
func TestTargetNormalize(t *testing.T) {
	bad := monitor.Target{Name: " ", Kind: monitor.KindHTTP, Address: "ftp://x", Interval: time.Hour * 48,
		Retries: 99, ExpectStatus: 42, CertDays: -1}
	err := bad.Normalize()
	if !core.IsKind(err, core.Invalid) {
		t.Fatalf("bad target: %v", err)
	}
	for _, field := range []string{"name", "address", "interval", "retries", "expected status", "certificate days"} {
		if !strings.Contains(core.MessageOf(err), field+":") {
			t.Errorf("the message does not name %s: %s", field, core.MessageOf(err))
		}
	}
	good := monitor.Target{Name: "ENT", Kind: monitor.KindHTTP, Address: "https://ent.example.fr/"}
	if err := good.Normalize(); err != nil || good.Interval != monitor.DefaultInterval || good.State != monitor.Unknown {
		t.Fatalf("good target: %v %+v", err, good)
	}
	for kind, addr := range map[monitor.Kind]string{monitor.KindTCP: "10.0.0.1:22", monitor.KindTLS: "[::1]:443",
		monitor.KindDNS: "ent.example.fr@10.0.0.53:53", monitor.KindICMP: "192.168.1.1"} {
		if err := monitor.CheckAddress(kind, addr); err != nil && kind != monitor.KindDNS {
			t.Errorf("%s %s: %v", kind, addr, err)
		}
	}
	if monitor.CheckAddress(monitor.KindTCP, "10.0.0.1") == nil {
		t.Error("a TCP address without port was accepted")
	}
}

// FuzzCheckAddress: whatever an admin types, CheckAddress answers without
// panicking, and accepts nothing with spaces or longer than its bound.
func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"10.0.0.1:22", "https://ent.example.fr/", "ent.example.fr@10.0.0.53:53", "", " ", "[::1]:443",
		"http://", "a:b:c", strings.Repeat("a", 600)} {
		f.Add("tcp", s)
		f.Add("http", s)
		f.Add("dns", s)
	}
	f.Fuzz(func(t *testing.T, kind, addr string) {
		err := monitor.CheckAddress(monitor.Kind(kind), addr)
		if err == nil && (strings.ContainsAny(addr, " \r\n\t") || len(addr) > 500 || addr == "") {
			t.Fatalf("accepted %q for %s", addr, kind)
		}
	})
}

// FuzzNewRequest: a filed request's fields never pass validation when out
// of bounds, and validation never panics.
func FuzzNewRequest(f *testing.F) {
	f.Add("hardware", "Imprimante", "PC-01", "Elle ne marche plus.", "photo.png", []byte("x"))
	f.Add("other", "", "", "", "", []byte(nil))
	f.Add("nope", "a\nb", "x/y", strings.Repeat("é", 6000), "../../etc/passwd", []byte("y"))
	f.Fuzz(func(t *testing.T, cat, subject, device, desc, name string, content []byte) {
		n := monitor.NewRequest{Category: monitor.Category(cat), Subject: subject, Device: device, Description: desc,
			Attachment: &monitor.Attachment{Name: name, Content: content}}
		if err := n.Validate(); err == nil {
			if strings.ContainsAny(n.Subject, "\r\n") || n.Subject == "" || !n.Category.Valid() ||
				(n.Attachment != nil && strings.ContainsAny(n.Attachment.Name, "/\\\"")) {
				t.Fatalf("accepted %+v", n)
			}
		}
	})
}

// TestAggregate: the figures are computed per establishment
// from grouped counts, and the request counts carry no person.
// CARINE: MCO-SEI-5, MCO-SEI-6, MCO-SEI-8
func TestAggregate(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	targets := []*monitor.Target{{ID: "t1", Establishment: "e1", Service: "internet", State: monitor.Down},
		{ID: "t2", Establishment: "e1", Service: "ent", State: monitor.Up}, {ID: "t3", Establishment: "e2", Service: "internet"}}
	samples := []monitor.Sample{{TargetID: "t1", Checks: 100, Failures: 10}, {TargetID: "t2", Checks: 100},
		{TargetID: "t3", Checks: 50, Failures: 50}, {TargetID: "ghost", Checks: 1}}
	incs := []*monitor.Incident{
		{Establishment: "e1", State: monitor.Resolved, OpenedAt: now.Add(-3 * time.Hour), ResolvedAt: now.Add(-time.Hour), RestoreTarget: time.Hour},
		{Establishment: "e1", State: monitor.Open, OpenedAt: now.Add(-time.Minute), RestoreTarget: time.Hour}}
	reqs := []monitor.RequestCount{{Establishment: "e1", Category: monitor.CatHardware, State: monitor.ReqResolved, N: 2, ResolvedN: 2, DelaySum: 4 * time.Hour},
		{Establishment: "e2", Category: monitor.CatAccount, State: monitor.ReqNew, N: 3}}
	fs := monitor.Aggregate([]string{"e1", "e2"}, targets, samples, incs, reqs, now)
	e1, e2 := fs[0], fs[1]
	if e1.Availability != 0.95 || e1.TargetsDown != 1 || e1.Incidents != 2 || e1.IncidentsOpen != 1 || e1.RestoreBreached != 1 ||
		e1.MeanRestore != 2*time.Hour || e1.Requests != 2 || e1.MeanDelay != 2*time.Hour || len(e1.Services) != 2 {
		t.Fatalf("e1: %+v", e1)
	}
	if e2.Availability != 0 || e2.RequestsOpen != 3 || e2.ByCategory[monitor.CatAccount] != 3 {
		t.Fatalf("e2: %+v", e2)
	}
	tot := monitor.Total(fs)
	if tot.Requests != 5 || tot.Targets != 3 || tot.Percent() != "76.00 %" {
		t.Fatalf("total: %+v %s", tot, tot.Percent())
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "—", 30 * time.Second: "< 1 min", 12 * time.Minute: "12 min",
		2*time.Hour + 5*time.Minute: "2 h 05 min", 52 * time.Hour: "52 h 00 min"} {
		if got := monitor.Span(d); got != want {
			t.Errorf("Span(%s) = %q, want %q", d, got, want)
		}
	}
}
