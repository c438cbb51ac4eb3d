// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

func smallLists(t testing.TB) *Lists {
	l, err := Load(writeTree(t, map[string]string{
		"adult/domains":           "porn.example\n",
		"adult/usage":             "black\n",
		"gambling/domains":        "casino.example\n",
		"gambling/usage":          "black\n",
		"games/domains":           "game.example\n",
		"games/usage":             "black\n",
		"social_networks/domains": "social.example\n",
		"social_networks/usage":   "black\n",
		"liste_blanche/domains":   "edu.example\n",
		"liste_blanche/usage":     "white\n",
		"malware/urls":            "files.example/evil\n",
		"malware/usage":           "black\n",
		"illegal/domains":         "illegal.example\n",
		"illegal/usage":           "black\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// monday10 is a school day at 10:00 in Paris.
var monday10 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.FixedZone("CET", 3600))

func pupil(host string) *Request {
	h, p := host, ""
	if i := strings.IndexByte(host, '/'); i >= 0 {
		h, p = host[:i], host[i:]
	}
	return &Request{Establishment: "est1", Host: h, Path: p, Login: "eleve", Profile: core.ProfilePupil,
		Groups: []string{"6A", "LATIN"}, Time: monday10}
}

func TestDefaultPupilProfile_INF_SEC_4(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	for host, allow := range map[string]bool{"porn.example": false, "www.casino.example": false, "game.example": true,
		"edu.example": true, "other.example": true, "files.example/evil/x": false, "files.example/good": true} {
		d := e.Decide(pupil(host))
		if d.Allow != allow {
			t.Errorf("%s: %+v, want allow=%v", host, d, allow)
		}
	}
	d := e.Decide(pupil("www.casino.example"))
	if d.Layer != LayerProfile || d.Rule != "profile:pupil" || d.Category != "gambling" {
		t.Errorf("decision does not explain itself: %+v", d)
	}
	adult := pupil("casino.example")
	adult.Profile = core.ProfileTeacher
	if d := e.Decide(adult); !d.Allow {
		t.Errorf("a teacher is blocked from gambling sites by default: %+v", d)
	}
}

func TestWhiteCategoriesAreNeverBlocked(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	s := DefaultSettings()
	s.Profiles[0].BlockCategories = append(s.Profiles[0].BlockCategories, "liste_blanche")
	if err := s.Validate(e.Lists()); err == nil || !strings.Contains(err.Error(), "liste_blanche") {
		t.Fatalf("blocking a white list validated: %v", err)
	}
	e.SetSettings("est1", s)
	if d := e.Decide(pupil("edu.example")); !d.Allow {
		t.Fatalf("white category blocked: %+v", d)
	}
}

// CARINE: INF-SEC-5, INF-SEC-7
func TestNationalBlockCannotBeLifted_INF_SEC_5(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	e.SetNational(National{Categories: []string{"illegal"}, Sites: []string{"banned.example"}})
	s := DefaultSettings()
	s.Profiles[0].AllowSites = []string{"illegal.example", "banned.example"}
	s.Groups = []GroupRule{{Group: "6A", AllowSites: []string{"illegal.example"}}}
	e.SetSettings("est1", s)
	e.SetOverrides([]Override{
		{ID: "d1", Establishment: "est1", Kind: KindDelegation, Target: "6A", Allow: true, Site: "banned.example", From: monday10.Add(-time.Hour), Until: monday10.Add(time.Hour)},
		{ID: "x1", Establishment: "est1", Kind: KindExam, Target: "6A", Sites: []string{"illegal.example"}, From: monday10.Add(-time.Hour), Until: monday10.Add(time.Hour)},
	})
	for _, h := range []string{"illegal.example", "sub.banned.example"} {
		d := e.Decide(pupil(h))
		if d.Allow || d.Layer != LayerNational {
			t.Errorf("%s: %+v, want the national block", h, d)
		}
	}
	teacher := pupil("illegal.example")
	teacher.Profile = core.ProfileHead
	if d := e.Decide(teacher); d.Allow {
		t.Errorf("the head reaches a nationally blocked site: %+v", d)
	}
}

// CARINE: INF-SEC-10
func TestGroupRules_INF_SEC_10(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	s := DefaultSettings()
	s.Groups = []GroupRule{{Group: "6A", BlockCategories: []string{"games"}}, {Group: "LATIN", AllowSites: []string{"casino.example"}}}
	e.SetSettings("est1", s)
	if d := e.Decide(pupil("game.example")); d.Allow || d.Rule != "group:6A" {
		t.Errorf("group block: %+v", d)
	}
	if d := e.Decide(pupil("casino.example")); !d.Allow || d.Rule != "group:LATIN" {
		t.Errorf("group allow: %+v", d)
	}
	other := pupil("game.example")
	other.Groups = []string{"5B"}
	if d := e.Decide(other); !d.Allow {
		t.Errorf("another class is affected by 6A's rule: %+v", d)
	}
}

// CARINE: INF-SEC-6
func TestDelegationForOneClassExpires_INF_SEC_6(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	e.SetOverrides([]Override{
		{ID: "open", Establishment: "est1", Kind: KindDelegation, Target: "6A", Allow: true, Category: "gambling", From: monday10.Add(-time.Minute), Until: monday10.Add(55 * time.Minute)},
		{ID: "close", Establishment: "est1", Kind: KindDelegation, Target: "6A", Allow: false, Site: "other.example", From: monday10.Add(-time.Minute), Until: monday10.Add(55 * time.Minute)},
	})
	if d := e.Decide(pupil("casino.example")); !d.Allow || d.Layer != LayerDelegation || d.Rule != "delegation:open" {
		t.Errorf("opened category: %+v", d)
	}
	if d := e.Decide(pupil("other.example")); d.Allow || d.Rule != "delegation:close" {
		t.Errorf("closed site: %+v", d)
	}
	fiveB := pupil("casino.example")
	fiveB.Groups = []string{"5B"}
	if d := e.Decide(fiveB); d.Allow {
		t.Errorf("the delegation leaks to 5B: %+v", d)
	}
	later := pupil("casino.example")
	later.Time = monday10.Add(time.Hour)
	if d := e.Decide(later); d.Allow || d.Layer != LayerProfile {
		t.Errorf("the delegation did not expire: %+v", d)
	}
}

// CARINE: INF-SEC-4, INF-SEC-5
func TestExamModeAllowsOnlyListedSitesThenReverts_INF_SEC_4(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	e.SetOverrides([]Override{{ID: "bac", Establishment: "est1", Kind: KindExam, Target: "6A", Sites: []string{"exam.example"},
		From: monday10.Add(-time.Minute), Until: monday10.Add(2 * time.Hour)}})
	if d := e.Decide(pupil("www.exam.example")); !d.Allow || d.Layer != LayerContext {
		t.Errorf("listed site in exam: %+v", d)
	}
	if d := e.Decide(pupil("other.example")); d.Allow || d.Rule != "exam:bac" {
		t.Errorf("unlisted site in exam: %+v", d)
	}
	room := pupil("other.example")
	room.Groups, room.Zone = nil, "salle-12"
	e.SetOverrides([]Override{{ID: "room", Establishment: "est1", Kind: KindAllowList, Target: "zone:salle-12", Sites: []string{"edu.example"},
		From: monday10.Add(-time.Minute), Until: monday10.Add(time.Hour)}})
	if d := e.Decide(room); d.Allow {
		t.Errorf("room allow-list: %+v", d)
	}
	after := pupil("other.example")
	after.Time = monday10.Add(3 * time.Hour)
	if d := e.Decide(after); !d.Allow {
		t.Errorf("exam mode did not revert: %+v", d)
	}
}

func TestSchedulesAndHolidays(t *testing.T) {
	e := NewEngine()
	e.SetLists(smallLists(t))
	s := DefaultSettings()
	s.Schedules = []Schedule{
		{Name: "cours", Profile: "pupil", Days: []int{1, 2, 4, 5}, From: "08:00", To: "17:00", BlockCategories: []string{"social_networks"}, Holidays: "except"},
		{Name: "nuit", Days: []int{0, 1, 2, 3, 4, 5, 6}, From: "22:00", To: "06:00", BlockAll: true},
	}
	s.Holidays = []Holiday{{Name: "Noël", From: "2026-12-19", To: "2027-01-03"}}
	if err := s.Validate(e.Lists()); err != nil {
		t.Fatal(err)
	}
	e.SetSettings("est1", s)
	at := func(host string, tm time.Time) Decision { r := pupil(host); r.Time = tm; return e.Decide(r) }
	if d := at("social.example", monday10); d.Allow || d.Rule != "schedule:cours" {
		t.Errorf("during lessons: %+v", d)
	}
	if d := at("social.example", monday10.Add(8*time.Hour)); !d.Allow {
		t.Errorf("after lessons: %+v", d)
	}
	if d := at("social.example", time.Date(2026, 12, 21, 10, 0, 0, 0, time.UTC)); !d.Allow {
		t.Errorf("during the holidays: %+v", d)
	}
	if d := at("other.example", monday10.Add(13*time.Hour)); d.Allow || d.Rule != "schedule:nuit" {
		t.Errorf("at night: %+v", d)
	}
}

func TestSettingsValidateNamesProblems(t *testing.T) {
	s := Settings{Profiles: []ProfileSettings{{Name: "pupil", BlockCategories: []string{"nope"}, AllowSites: []string{"a b"}}},
		Schedules: []Schedule{{Name: "x", From: "25:00", To: "8h", Days: []int{9}, Holidays: "sometimes"}},
		Holidays:  []Holiday{{Name: "h", From: "2026-02-30", To: "x"}}}
	err := s.Validate(smallLists(t))
	for _, want := range []string{`"nope" is not in the lists`, `"a b" is not a site name`, `start "25:00"`, `end "8h"`,
		"day 9", "holidays must be", `holiday "h"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation error %v does not say %q", err, want)
		}
	}
}

func TestOverrideValidate(t *testing.T) {
	now := monday10
	for _, o := range []Override{
		{Kind: KindDelegation, Target: "6A", From: now, Until: now.Add(time.Hour)},
		{Kind: KindDelegation, Target: "6A", Site: "x.example", Category: "games", From: now, Until: now.Add(time.Hour)},
		{Kind: KindDelegation, Target: "", Site: "x.example", From: now, Until: now.Add(time.Hour)},
		{Kind: KindDelegation, Target: "6A", Site: "x.example", From: now, Until: now.Add(-time.Hour)},
		{Kind: KindExam, Target: "6A", Sites: []string{"bad site"}, From: now, Until: now.Add(time.Hour)},
		{Kind: "party", Target: "6A", From: now, Until: now.Add(time.Hour)},
	} {
		if err := o.Validate(smallLists(t), now); err == nil {
			t.Errorf("%+v validated", o)
		}
	}
}

func TestSafeSearchHost(t *testing.T) {
	for h, want := range map[string]string{"www.google.fr": "forcesafesearch.google.com", "www.google.co.uk": "forcesafesearch.google.com",
		"www.bing.com": "strict.bing.com", "www.youtube.com": "restrict.youtube.com", "duckduckgo.com": "safe.duckduckgo.com",
		"www.google.evil.example": "", "example.com": "", "forcesafesearch.google.com": ""} {
		if got := SafeSearchHost(h); got != want {
			t.Errorf("SafeSearchHost(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestDecideAllocatesNothing(t *testing.T) {
	e := NewEngine()
	e.SetLists(loadSnapshot(t))
	s := DefaultSettings()
	s.Schedules = []Schedule{{Name: "cours", Days: []int{1}, From: "08:00", To: "17:00", BlockCategories: []string{"games"}}}
	s.Groups = []GroupRule{{Group: "6A", BlockCategories: []string{"shopping"}}}
	e.SetSettings("est1", s)
	e.SetOverrides([]Override{{ID: "d", Establishment: "est1", Kind: KindDelegation, Target: "6A", Allow: true, Site: "x.example", From: monday10, Until: monday10.Add(time.Hour)}})
	r := pupil("deep.sub.some-shop.example.com")
	r.Path = "/a/b?c=d"
	if n := testing.AllocsPerRun(1000, func() { e.Decide(r) }); n != 0 {
		t.Fatalf("Decide allocates %v times", n)
	}
}

func BenchmarkDecide(b *testing.B) {
	e := NewEngine()
	e.SetLists(loadSnapshot(b))
	hosts := []string{"www.google.com", "casino-en-ligne.example.net", "a.b.c.d.example.org", "fr.wikipedia.org", "10.1.2.3"}
	var reqs []*Request
	for _, h := range hosts {
		r := pupil(h)
		r.Path = "/index.html"
		reqs = append(reqs, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.Decide(reqs[i%len(reqs)])
	}
}

// TestBindingsCache: a binding is looked up once per TTL (unbound
// addresses once per three TTLs), Forget makes the next request look
// again, and a store error is not cached.
// CARINE: INF-AUT-1
func TestBindingsCache_INF_AUT_1(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	calls := 0
	bound := map[string]Identity{"10.0.0.1": {Login: "zoe"}}
	var fail error
	b := NewBindings(func(_ context.Context, ip string) (Identity, bool, error) {
		calls++
		id, ok := bound[ip]
		return id, ok, fail
	}, 5*time.Second, func() time.Time { return now }, nil)
	ctx := context.Background()
	if id, ok := b.Get(ctx, "10.0.0.1"); !ok || id.Login != "zoe" {
		t.Fatal("bound address not found")
	}
	b.Get(ctx, "10.0.0.1")
	if _, ok := b.Get(ctx, "10.0.0.2"); ok || calls != 2 {
		t.Fatalf("calls %d", calls)
	}
	now = now.Add(6 * time.Second)
	b.Get(ctx, "10.0.0.1")
	b.Get(ctx, "10.0.0.2") // unbound: still cached
	if calls != 3 {
		t.Fatalf("calls after the TTL %d", calls)
	}
	bound["10.0.0.2"] = Identity{Login: "max"}
	b.Forget("10.0.0.2")
	if id, ok := b.Get(ctx, "10.0.0.2"); !ok || id.Login != "max" {
		t.Fatal("Forget did not make the next request look again")
	}
	fail = errors.New("store down")
	b.ForgetAll()
	if _, ok := b.Get(ctx, "10.0.0.1"); ok {
		t.Fatal("an error counted as bound")
	}
	fail = nil
	if _, ok := b.Get(ctx, "10.0.0.1"); !ok {
		t.Fatal("the error was cached")
	}
	var nilB *Bindings
	if _, ok := nilB.Get(ctx, "10.0.0.1"); ok {
		t.Fatal("nil bindings bound an address")
	}
}
