// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

// TestCadencePeriods: a report covers the whole previous day, week (Monday
// to Monday) or month in the server's zone, is due ScheduleDelay after it
// ends, and the next one follows period after period, across daylight
// saving changes and year ends.
// CARINE: MCO-JAL-5, MCO-JAL-3
func TestCadencePeriods(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		c                   Cadence
		now                 string
		first, since, until string
		next, label         string
	}{
		{Daily, "2026-10-24 13:00", "2026-10-25 00:15", "2026-10-24 00:00", "2026-10-25 00:00", "2026-10-26 00:15", "2026-10-24"},
		{Weekly, "2026-11-04 09:00", "2026-11-09 00:15", "2026-11-02 00:00", "2026-11-09 00:00", "2026-11-16 00:15", "2026-W45"},
		{Monthly, "2026-12-15 09:00", "2027-01-01 00:15", "2026-12-01 00:00", "2027-01-01 00:00", "2027-02-01 00:15", "2026-12"},
		{Monthly, "2026-03-10 09:00", "2026-04-01 00:15", "2026-03-01 00:00", "2026-04-01 00:00", "2026-05-01 00:15", "2026-03"},
	}
	for _, c := range cases {
		first := c.c.FirstDue(at(c.now), paris)
		if !first.Equal(at(c.first)) {
			t.Fatalf("%s from %s: first due %v, want %s", c.c, c.now, first.In(paris), c.first)
		}
		since, until := c.c.Period(first, paris)
		if !since.Equal(at(c.since)) || !until.Equal(at(c.until)) {
			t.Fatalf("%s due %s: period %v – %v", c.c, c.first, since.In(paris), until.In(paris))
		}
		if next := c.c.NextDue(first, paris); !next.Equal(at(c.next)) {
			t.Fatalf("%s after %s: next %v, want %s", c.c, c.first, next.In(paris), c.next)
		}
		if l := c.c.Label(since, paris); l != c.label {
			t.Fatalf("label %s, want %s", l, c.label)
		}
	}
	for _, in := range []string{"", "off", "jamais"} {
		if c, err := ParseCadence(in); err != nil || c != Never {
			t.Fatalf("%q: %v %v", in, c, err)
		}
	}
	if c, err := ParseCadence("Mensuel"); err != nil || c != Monthly {
		t.Fatalf("mensuel: %v %v", c, err)
	}
	if _, err := ParseCadence("hourly"); !core.IsKind(err, core.Invalid) {
		t.Fatalf("hourly accepted: %v", err)
	}
}

// TestSavedQueryRightsAndAudience: a saved query is run only by people who
// read the establishment's logs and are in its audience (or wrote it, or
// operate the deployment); pupils are never in an audience; a query that
// may identify people cannot be scheduled without the justification it
// carries.
// CARINE: MCO-JAL-5, MCO-JAL-7
func TestSavedQueryRightsAndAudience(t *testing.T) {
	q := &SavedQuery{Establishment: "E1", Name: "Blocages", Purpose: "suivre les blocages du proxy",
		Criteria: Criteria{Service: "proxy", Class: ClassSystem}, Audience: Audience{Profiles: []core.Profile{core.ProfileHead}, Logins: []string{"rssi"}},
		CreatedBy: "tech"}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	head := core.Principal{Login: "m.dupont", Profile: core.ProfileHead, Establishments: []string{"E1"}}
	otherHead := core.Principal{Login: "x", Profile: core.ProfileHead, Establishments: []string{"E2"}}
	rssi := core.Principal{Login: "rssi", Profile: core.ProfileStaff, Establishments: []string{"E1"},
		Grants: []core.Grant{{Right: core.RightLogsRead, Establishment: "E1"}}}
	rssiNoRight := core.Principal{Login: "rssi", Profile: core.ProfileStaff, Establishments: []string{"E1"}}
	admin := core.Principal{Login: "admin2", Profile: core.ProfileAdmin, Establishments: []string{"E1"}}
	author := core.Principal{Login: "tech", Profile: core.ProfileAdmin, Establishments: []string{"E1"}}
	operator := core.Principal{Login: "op", Grants: []core.Grant{{Right: core.RightOperator}}}
	for _, c := range []struct {
		p    core.Principal
		want bool
	}{{head, true}, {otherHead, false}, {rssi, true}, {rssiNoRight, false}, {admin, false}, {author, true}, {operator, true}} {
		if got := q.MayRun(c.p, Readable(c.p)); got != c.want {
			t.Fatalf("%s may run: %v, want %v (readable %v)", c.p.Login, got, c.want, Readable(c.p))
		}
	}
	all := *q
	all.Establishment = ""
	if all.MayRun(head, Readable(head)) || !all.MayRun(operator, Readable(operator)) {
		t.Fatal("a query over every establishment is for operators only")
	}
	bad := *q
	bad.Audience = Audience{Profiles: []core.Profile{core.ProfilePupil}}
	if err := bad.Validate(); !core.IsKind(err, core.Invalid) {
		t.Fatalf("pupils in an audience: %v", err)
	}
	sched := *q
	sched.Criteria = Criteria{User: "jdupont"}
	sched.Schedule = Weekly
	if err := sched.Validate(); !core.IsKind(err, core.Invalid) || !strings.Contains(err.Error(), "justification") {
		t.Fatalf("scheduled identifying query without justification: %v", err)
	}
	sched.Justification = Justification{Basis: BasisJudicial, Reference: "PV-2026-1"}
	if err := sched.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"7d", "24h", "90m"} {
		if _, err := ParseWindow(w); err != nil {
			t.Fatalf("%s: %v", w, err)
		}
	}
	for _, w := range []string{"0d", "-1h", "7 d", "x", "99999d"} {
		if _, err := ParseWindow(w); err == nil {
			t.Fatalf("window %q accepted", w)
		}
	}
}

type memJournal struct{ got []Access }

func (m *memJournal) JournalLogAccess(_ context.Context, a Access) error {
	m.got = append(m.got, a)
	return nil
}

// TestRunSavedQueryJustified: running a saved query that may identify
// people is refused and journaled without a justification, answered and
// journaled (with the query's name) with one given at the run or carried
// by the query.
// CARINE: MCO-JAL-5, MCO-JAL-6
func TestRunSavedQueryJustified(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 1, 20)
	j := &memJournal{}
	q := &SavedQuery{Establishment: "est1", Name: "Élève 1", Purpose: "enquête sur un incident", Criteria: Criteria{User: "user1"},
		Audience: Audience{Profiles: []core.Profile{core.ProfileAdmin}}}
	sq := q.Criteria.Query(q.Scope(nil), time.Time{}, time.Time{})
	ctx := context.Background()
	if _, err := Run(ctx, f.s, j, q, sq, Justification{}); !core.IsKind(err, core.Permission) {
		t.Fatalf("unjustified run: %v", err)
	}
	res, err := Run(ctx, f.s, j, q, sq, Justification{Basis: BasisIncident, Reference: "INC-1"})
	if err != nil || len(res.Records) != 2 {
		t.Fatalf("justified run: %v %+v", err, res)
	}
	q.Justification = Justification{Basis: BasisJudicial, Reference: "PV-2"}
	if _, err := Run(ctx, f.s, j, q, sq, Justification{}); err != nil {
		t.Fatal(err)
	}
	if len(j.got) != 3 || j.got[0].Refused == "" || j.got[1].Justification.Reference != "INC-1" || j.got[1].Records != 2 ||
		j.got[2].Justification.Reference != "PV-2" || j.got[2].Saved != "Élève 1" || j.got[2].Action != "query.run" ||
		j.got[2].Establishment != "est1" {
		t.Fatalf("journal %+v", j.got)
	}
	sum := Summarize(res.Records)
	if sum.Records != 2 || sum.Users[0] != (Count{"user1", 2}) || sum.Classes[0].Value != "connection" {
		t.Fatalf("summary %+v", sum)
	}
}

// FuzzParseScheduleInputs: the cadence and window parsers (form and
// command-line input) never panic, and what they accept is valid.
func FuzzParseScheduleInputs(f *testing.F) {
	for _, s := range []string{"", "daily", "Mensuel", "weekly", "7d", "24h", "0d", "99999d", "-1h", "1e9h", "３d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseCadence(s); err == nil && c != Never && c != Daily && c != Weekly && c != Monthly {
			t.Fatalf("%q gave cadence %q", s, c)
		}
		if d, err := ParseWindow(s); err == nil && d <= 0 {
			t.Fatalf("%q gave window %v", s, d)
		}
	})
}
