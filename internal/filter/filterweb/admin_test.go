// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
)

// TestExamModeForARoom: the head finds the rooms (network zones) in the
// exam-mode form beside the classes and puts a room in exam mode: a pupil
// in that room reaches only the listed sites; a teacher is offered no room
// and cannot target one.
// CARINE: INF-SEC-4, INF-SEC-5
func TestExamModeForARoom_INF_SEC_4(t *testing.T) {
	s := newSite(t)
	_, _, body := s.do("cheffe", "GET", "/filter", nil)
	if !strings.Contains(body, `<option value="zone:salle-info"`) || !strings.Contains(body, "Salles (zones réseau)") {
		t.Fatalf("the head's exam form offers no room:\n%s", body)
	}
	if _, _, body := s.do("lou.petit", "GET", "/filter", nil); strings.Contains(body, "zone:salle-info") {
		t.Fatal("a teacher is offered a room")
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/exam", url.Values{"group": {"zone:salle-info"}, "sites": {"exam.example"},
		"duration": {"110"}}); code != http.StatusForbidden {
		t.Fatalf("a teacher put a room in exam mode: %d", code)
	}
	code, _, _ := s.do("cheffe", "POST", "/filter/exam", url.Values{"group": {"zone:salle-info"}, "sites": {"exam.example"}, "duration": {"110"}})
	if code != http.StatusSeeOther {
		t.Fatalf("room exam: %d", code)
	}
	inRoom := func(host string) filter.Decision {
		return s.eng.Decide(&filter.Request{Establishment: est, Host: host, Profile: core.ProfilePupil, Zone: "salle-info", Time: s.clock.Now()})
	}
	if d := inRoom("other.example"); d.Allow || d.Layer != filter.LayerContext {
		t.Fatalf("in the room during the exam: %+v", d)
	}
	if d := inRoom("exam.example"); !d.Allow {
		t.Fatalf("listed site in the room: %+v", d)
	}
	if d := s.pupil6A("other.example"); !d.Allow {
		t.Fatalf("outside the room: %+v", d)
	}
	if _, _, body := s.do("cheffe", "GET", "/filter", nil); !strings.Contains(body, "Salle (zone réseau) salle-info") {
		t.Fatalf("the room's exam is not listed in force:\n%s", body)
	}
}

// TestSchedulesHolidaysAndNationalPages: the head adds a time window that
// blocks everything for pupils now and it is in force; a bad time and a
// holiday ending before it starts are refused with a message naming the
// problem and nothing is written; the national layer is read-only for the
// establishment and edited by an operator, every change stored with its
// author.
// CARINE: INF-SEC-7, INF-SEC-9
func TestSchedulesHolidaysAndNationalPages_INF_SEC_7(t *testing.T) {
	s := newSite(t)
	// 2026-11-30 09:00 UTC is a Monday, 10:00 in Paris.
	code, loc, body := s.do("cheffe", "POST", "/filter/schedules", url.Values{"what": {"schedule"}, "name": {"Matinée"},
		"profile": {"pupil"}, "days": {"1", "2"}, "from": {"09:30"}, "to": {"11:00"}, "block_all": {"on"}})
	if code != http.StatusSeeOther || loc != "/filter/schedules" {
		t.Fatalf("add schedule: %d %s\n%s", code, loc, body)
	}
	if d := s.pupil6A("ok.example"); d.Allow || d.Layer != filter.LayerSchedule {
		t.Fatalf("during the window: %+v", d)
	}
	if _, _, body := s.do("cheffe", "GET", "/filter/schedules", nil); !strings.Contains(body, "Matinée") || !strings.Contains(body, "lundi, mardi") {
		t.Fatalf("schedules page:\n%s", body)
	}
	before := s.store.docs[est]
	code, _, body = s.do("cheffe", "POST", "/filter/schedules", url.Values{"what": {"schedule"}, "name": {"Soir"},
		"days": {"1"}, "from": {"25:00"}, "to": {"11:00"}, "block_all": {"on"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "HH:MM") {
		t.Fatalf("bad time: %d\n%s", code, body)
	}
	code, _, body = s.do("cheffe", "POST", "/filter/schedules", url.Values{"what": {"holiday"}, "hname": {"Hiver zone B"},
		"hfrom": {"2027-02-20"}, "hto": {"2027-02-10"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Hiver zone B") {
		t.Fatalf("holiday ending before it starts: %d\n%s", code, body)
	}
	if s.store.docs[est] != before {
		t.Fatal("a refused change was written")
	}
	if code, _, _ := s.do("cheffe", "POST", "/filter/schedules", url.Values{"what": {"holiday"}, "hname": {"Hiver zone B"},
		"hfrom": {"2027-02-20"}, "hto": {"2027-03-08"}}); code != http.StatusSeeOther {
		t.Fatalf("holiday: %d", code)
	}
	if code, _, _ := s.do("cheffe", "POST", "/filter/schedules", url.Values{"what": {"delete-schedule"}, "index": {"0"}}); code != http.StatusSeeOther {
		t.Fatalf("delete schedule: %d", code)
	}
	if d := s.pupil6A("ok.example"); !d.Allow {
		t.Fatalf("after deleting the window: %+v", d)
	}
	if !strings.Contains(s.store.docs[est], "Hiver zone B") || strings.Contains(s.store.docs[est], "Matinée") {
		t.Fatalf("stored settings: %s", s.store.docs[est])
	}

	// The national layer: read-only for the head, edited by an operator.
	if _, _, body := s.do("cheffe", "GET", "/filter/national", nil); !strings.Contains(body, "Seuls les opérateurs") || strings.Contains(body, `name="reason"`) {
		t.Fatalf("national page for the head:\n%s", body)
	}
	if code, _, _ := s.do("cheffe", "POST", "/filter/national", url.Values{"categories": {"games"}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Fatalf("head changed the national layer: %d", code)
	}
	people["operateur"] = core.Principal{PersonID: "p-op", Login: "operateur", Profile: core.ProfileAdmin,
		Grants: []core.Grant{{Right: core.RightOperator}}}
	code, _, body = s.do("operateur", "POST", "/filter/national", url.Values{"categories": {"games"}, "sites": {"bad site!"}, "reason": {"circulaire"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "site!") {
		t.Fatalf("bad national site: %d\n%s", code, body)
	}
	if code, _, _ := s.do("operateur", "POST", "/filter/national", url.Values{"categories": {"games"}, "sites": {"illicite.example"},
		"reason": {"circulaire 2026-12"}}); code != http.StatusSeeOther {
		t.Fatalf("national: %d", code)
	}
	if doc := s.store.docs["national"]; !strings.Contains(doc, "illicite.example") || !strings.Contains(doc, "games") {
		t.Fatalf("national layer stored: %s", doc)
	}
	if got := s.store.log[len(s.store.log)-1]; got != "settings/operateur" {
		t.Fatalf("author of the national change: %v", s.store.log)
	}
}

// TestBlockedNowPage: a teacher reads what is blocked for one of her
// classes in the chosen window, as totals by site; another class is
// refused without reading anything.
// CARINE: INF-SEC-6
func TestBlockedNowPage_INF_SEC_6(t *testing.T) {
	s := newSite(t)
	if _, _, body := s.do("lou.petit", "GET", "/filter", nil); !strings.Contains(body, `href="/filter/blocked"`) {
		t.Fatal("the teacher's page does not link to the blocked-now page")
	}
	code, _, body := s.do("lou.petit", "GET", "/filter/blocked?group=5B&minutes=15", nil)
	if code != http.StatusForbidden || len(s.blockedAsked) != 0 {
		t.Fatalf("another class: %d, reads %v", code, s.blockedAsked)
	}
	code, _, body = s.do("lou.petit", "GET", "/filter/blocked?group=6A&minutes=15", nil)
	if code != http.StatusOK || !strings.Contains(body, "casino.example") || !strings.Contains(body, "jamais le nom des élèves") {
		t.Fatalf("blocked now: %d\n%s", code, body)
	}
	if len(s.blockedAsked) != 1 || s.blockedAsked[0] != "6A@08:45:00" {
		t.Fatalf("reads %v", s.blockedAsked)
	}
	// With no class chosen, the teacher's only class (or the one of a rule
	// she started that is in force) is shown.
	if _, _, body := s.do("lou.petit", "GET", "/filter/blocked", nil); !strings.Contains(body, "casino.example") || len(s.blockedAsked) != 2 {
		t.Fatalf("default class: %v\n%s", s.blockedAsked, body)
	}
	if code, _, _ := s.do("sans.droit", "GET", "/filter/blocked?group=6A", nil); code != http.StatusForbidden {
		t.Fatalf("teacher without the right: %d", code)
	}
}

// memAsks keeps requests and notices in memory.
type memAsks struct {
	asks    []filter.Ask
	notices []string // "person: subject"
}

func (m *memAsks) CreateFilterAsk(_ context.Context, a *filter.Ask) error {
	a.ID, a.State = core.NewID(), filter.AskPending
	m.asks = append(m.asks, *a)
	return nil
}

func (m *memAsks) FilterAsks(_ context.Context, e, state string, _ time.Time, _ int) ([]filter.Ask, error) {
	var out []filter.Ask
	for _, a := range m.asks {
		if a.Establishment == e && (state == "" || a.State == state) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memAsks) FilterAsk(_ context.Context, e, id string) (*filter.Ask, error) {
	for _, a := range m.asks {
		if a.ID == id && a.Establishment == e {
			return &a, nil
		}
	}
	return nil, core.E("mem", core.NotFound, "no such request")
}

func (m *memAsks) DecideFilterAsk(_ context.Context, e, id, state, target, oid string) error {
	for i := range m.asks {
		if m.asks[i].ID == id {
			if m.asks[i].State != filter.AskPending {
				return core.E("mem", core.Conflict, "answered")
			}
			m.asks[i].State, m.asks[i].Target, m.asks[i].OverrideID = state, target, oid
			return nil
		}
	}
	return core.E("mem", core.NotFound, "")
}

func (m *memAsks) GroupsOf(_ context.Context, person, _ string) ([]string, error) {
	if person == "p-zoe" {
		return []string{"6A"}, nil
	}
	return nil, nil
}

func (m *memAsks) Delegates(context.Context, string, []string) ([]string, error) {
	return []string{"p-lou"}, nil
}

func (m *memAsks) Name(_ context.Context, id string) string {
	return map[string]string{"p-zoe": "Zoé Martin", "p-lou": "Lou Petit"}[id]
}

func (m *memAsks) Notify(_ context.Context, id, subject, _ string) error {
	m.notices = append(m.notices, id+": "+subject)
	return nil
}

// TestAskToOpenRefused: the request of a pupil of 6A reaches her teacher;
// a teacher of the establishment who does not teach 6A cannot answer it;
// her teacher refuses it and the pupil is told; it cannot be answered
// again.
// CARINE: INF-SEC-6
func TestAskToOpenRefused_INF_SEC_6(t *testing.T) {
	s := newSite(t)
	if code, _, _ := s.do("zoe", "POST", "/filter/ask", url.Values{"site": {"Jeux.example"}, "reason": {"exposé"}}); code != http.StatusSeeOther {
		t.Fatalf("ask: %d", code)
	}
	if len(s.asks.asks) != 1 || s.asks.asks[0].Site != "jeux.example" || s.asks.asks[0].Name != "Zoé Martin" ||
		len(s.asks.notices) != 1 || !strings.HasPrefix(s.asks.notices[0], "p-lou: Demande d’ouverture") {
		t.Fatalf("asks %+v notices %v", s.asks.asks, s.asks.notices)
	}
	id := s.asks.asks[0].ID
	people["prof.autre"] = core.Principal{PersonID: "p-autre", Login: "prof.autre", Profile: core.ProfileTeacher,
		Establishments: []string{est}, Grants: []core.Grant{{Right: core.RightFilterDelegate, Establishment: est}}}
	if _, _, body := s.do("prof.autre", "GET", "/filter", nil); strings.Contains(body, "jeux.example") {
		t.Fatal("the request shows to a teacher who does not teach the pupil")
	}
	if code, _, _ := s.do("prof.autre", "POST", "/filter/ask/"+id+"/refuse", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("another teacher answered: %d", code)
	}
	if _, _, body := s.do("lou.petit", "GET", "/filter", nil); !strings.Contains(body, "Zoé Martin") || !strings.Contains(body, "/filter/ask/"+id+"/accept") {
		t.Fatalf("the request is not on the teacher's page:\n%s", body)
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/ask/"+id+"/refuse", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("refuse: %d", code)
	}
	if s.asks.asks[0].State != filter.AskRefused || !strings.Contains(s.asks.notices[len(s.asks.notices)-1], "p-zoe: Votre demande d’ouverture de jeux.example a été refusée") {
		t.Fatalf("after refusing: %+v %v", s.asks.asks[0], s.asks.notices)
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/ask/"+id+"/accept", url.Values{"group": {"6A"}, "duration": {"55"}}); code != http.StatusConflict {
		t.Fatalf("answered twice: %d", code)
	}
	if d := s.pupil6A("jeux.example"); d.Layer == filter.LayerDelegation {
		t.Fatal("a refused request opened the site")
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/ask/"+id+"/maybe", url.Values{}); code != http.StatusNotFound {
		t.Fatalf("unknown answer: %d", code)
	}
}
