// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
