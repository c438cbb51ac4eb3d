// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

func TestParseUAI(t *testing.T) {
	cases := []struct {
		in, want, errPart string
	}{
		{"0750001U", "0750001U", ""},
		{" 0999001w ", "0999001W", ""},
		{"0750001A", "", "check letter should be U"},
		{"075000U", "", "got 7 characters"},
		{"07500X1U", "", "character 6 must be a digit"},
		{"", "", "got 0 characters"},
		{"ÉÉÉÉÉÉÉÉ", "", "expected 7 digits"},
	}
	for _, tc := range cases {
		got, err := core.ParseUAI(tc.in)
		if tc.errPart == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseUAI(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errPart) || core.KindOf(err) != core.Invalid {
			t.Errorf("ParseUAI(%q) error = %v; want Invalid containing %q", tc.in, err, tc.errPart)
		}
	}
	if u := core.MakeUAI("0999001"); u != "0999001W" {
		t.Errorf("MakeUAI = %s (formats.md example says 0999001W)", u)
	}
}

func FuzzParseUAI(f *testing.F) {
	for _, s := range []string{"0750001U", "0999001W", "0750001A", "", "1234567", "ABCDEFGH", "０７５０００１Ｕ", "0750001u\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := core.ParseUAI(s)
		if err != nil {
			if core.KindOf(err) != core.Invalid {
				t.Fatalf("error of kind %s", core.KindOf(err))
			}
			return
		}
		if len(u) != 8 || u[7] != core.UAICheckLetter(u[:7]) {
			t.Fatalf("accepted %q as %q", s, u)
		}
		if again, err := core.ParseUAI(u); err != nil || again != u {
			t.Fatalf("canonical form %q does not round-trip", u)
		}
	})
}

func TestIsPrivate(t *testing.T) {
	yes := []string{"PERSONNEL", "personnel", "Privé", "PRIVE", "[PRIVÉ] bulletin", "(Personnel)", "privé.docx",
		"Personnel - notes", "Réunion"}
	no := []string{"Documents", "personnels-de-direction-liste", "privation", "mon privé", "", "   "}
	for _, s := range yes[:len(yes)-1] {
		if !core.IsPrivate(s) {
			t.Errorf("IsPrivate(%q) = false", s)
		}
	}
	if !core.IsPrivate("Réunion", "reunion") {
		t.Error("an establishment's extra marker is ignored")
	}
	for _, s := range no {
		if core.IsPrivate(s) {
			t.Errorf("IsPrivate(%q) = true", s)
		}
	}
	if !core.PathIsPrivate("home/zoe/Cours/PRIVÉ/journal.txt") || core.PathIsPrivate("home/zoe/Cours/maths.txt") {
		t.Error("PathIsPrivate")
	}
}

func TestForbiddenAttribute(t *testing.T) {
	for _, n := range []string{"birthDate", "date_naissance", "DateOfBirth", "telephoneNumber", "mobile",
		"postalAddress", "homePostalAddress", "ENTPersonDateNaissance", "responsables", "legal-guardian"} {
		if _, bad := core.ForbiddenAttribute(n); !bad {
			t.Errorf("%s is not refused", n)
		}
	}
	for _, n := range []string{"givenName", "sn", "mail", "login", "ine", "displayName", "profile"} {
		if what, bad := core.ForbiddenAttribute(n); bad {
			t.Errorf("%s refused as %s", n, what)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	base := core.E("directory.CreatePerson", core.Exists, "this login is already taken")
	wrapped := fmt.Errorf("import line 4: %w", base)
	if core.KindOf(wrapped) != core.Exists || core.MessageOf(wrapped) != "this login is already taken" {
		t.Fatalf("kind %s msg %q", core.KindOf(wrapped), core.MessageOf(wrapped))
	}
	internal := core.Wrap("store.x", core.Internal, errors.New("disk on fire"))
	if core.MessageOf(internal) != "" || core.KindOf(errors.New("plain")) != core.Internal {
		t.Fatal("internal errors must not expose their cause")
	}
}

func TestIDsAndSchoolYear(t *testing.T) {
	a, b := core.NewID(), core.NewID()
	if !core.ValidID(a) || a == b || a[14] != '7' {
		t.Fatalf("ids %s %s", a, b)
	}
	if core.ValidID("not-an-id") || core.ValidID(strings.ToUpper(a)) {
		t.Fatal("ValidID accepts junk")
	}
	if y := core.SchoolYear(time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)); y != 2026 {
		t.Fatal(y)
	}
	if y := core.SchoolYear(time.Date(2027, 8, 31, 0, 0, 0, 0, time.UTC)); y != 2026 {
		t.Fatal(y)
	}
}

func TestPrincipalRights(t *testing.T) {
	head := core.Principal{PersonID: "h", Profile: core.ProfileHead, Establishments: []string{"e1"}, Zone: core.ZoneAdmin}
	staff := core.Principal{PersonID: "s", Profile: core.ProfileStaff, Establishments: []string{"e1"}, Zone: core.ZoneAdmin,
		Grants: []core.Grant{{Right: core.RightSMSSend, Establishment: "e1"}}}
	op := core.Principal{PersonID: "o", Profile: core.ProfileAdmin, Grants: []core.Grant{{Right: core.RightOperator}}}
	switch {
	case !head.HasRight(core.RightSignagePublish, "e1"), head.HasRight(core.RightSignagePublish, "e2"),
		head.HasRight(core.RightOperator, "e1"):
		t.Error("head rights")
	case !staff.HasRight(core.RightSMSSend, "e1"), staff.HasRight(core.RightSMSSend, "e2"), staff.CanAdminister("e1"):
		t.Error("staff rights")
	case !op.CanAdminister("e9"), !op.Operator():
		t.Error("operator rights")
	case (core.Principal{}).HasRight(core.RightLogsRead, "e1") || !(core.Principal{}).Anonymous():
		t.Error("anonymous rights")
	}
}

// Rights restricted to a network zone hold only from that zone: by the grant
// (the head chose it) or by the right itself (signage, SMS).
// CARINE: INF-DIF-1, UTI-MSG-13
func TestRightsRestrictedToZone(t *testing.T) {
	staff := core.Principal{PersonID: "s", Profile: core.ProfileStaff, Establishments: []string{"e1"},
		Grants: []core.Grant{{Right: core.RightPeopleManage, Establishment: "e1", Zone: "admin"},
			{Right: core.RightSMSSend, Establishment: "e1"}, {Right: core.RightLogsRead, Establishment: "e1"}}}
	for _, c := range []struct {
		zone  string
		right core.Right
		want  bool
		need  string
	}{
		{"admin", core.RightPeopleManage, true, ""},
		{"peda", core.RightPeopleManage, false, "admin"},
		{"", core.RightPeopleManage, false, "admin"},
		{"peda", core.RightSMSSend, false, "admin"}, // the grant has no zone; the right has one
		{"admin", core.RightSMSSend, true, ""},
		{"peda", core.RightLogsRead, true, ""},
		{"peda", core.RightMonitorRead, false, ""}, // not granted at all: no zone to suggest
	} {
		p := staff
		p.Zone = c.zone
		if got := p.HasRight(c.right, "e1"); got != c.want {
			t.Errorf("%s from %q: HasRight = %v", c.right, c.zone, got)
		}
		if got := p.ZoneRefusal(c.right, "e1"); got != c.need {
			t.Errorf("%s from %q: ZoneRefusal = %q, want %q", c.right, c.zone, got, c.need)
		}
	}
	head := core.Principal{PersonID: "h", Profile: core.ProfileHead, Establishments: []string{"e1"}, Zone: "peda"}
	if head.HasRight(core.RightSignagePublish, "e1") || head.ZoneRefusal(core.RightSignagePublish, "e1") != "admin" {
		t.Error("the head publishes on screens only from the admin zone")
	}
	if !head.HasRight(core.RightLogsRead, "e1") {
		t.Error("the head reads logs from any zone")
	}
}

// TestIDTime: the time of a new ID comes back (to the millisecond); other
// strings (not a UUID, upper case, another version) give none.
func TestIDTime(t *testing.T) {
	before := time.Now().Truncate(time.Millisecond)
	id := core.NewID()
	after := time.Now()
	if got, ok := core.IDTime(id); !ok || got.Before(before) || got.After(after) {
		t.Fatalf("IDTime(%s) = %v, %v; want between %v and %v", id, got, ok, before, after)
	}
	for _, bad := range []string{"", "inline:" + id, strings.ToUpper(id), id[:35],
		"0193a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b" /* version 4 */} {
		if got, ok := core.IDTime(bad); ok {
			t.Errorf("IDTime(%q) = %v, want none", bad, got)
		}
	}
}
