// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-ANN-3 (a previewed, explicit school-year rollover) and
// INF-ANN-4 (journaled) — the demo collège's files of 2026-2027 are
// imported, then its files of 2027-2028 as a rollover at the end of
// August: the preview counts pupils per level (6e → 5e …, 3e leave, new
// 6e), last year's classes are archived (memberships and picture login
// ended), leavers disabled with the grace period, newcomers created; the
// apply is one journaled transaction and a re-run changes nothing.
func TestSchoolYearRollover_INF_ANN_3(t *testing.T) {
	now := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	d := demo.Generate(1, now)
	clg := &d.Establishments[0]
	if clg.Type != demo.TypeCollege {
		t.Fatalf("first establishment is %s", clg.Type)
	}
	files, err := d.ExportFiles(clg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	next, ch, err := d.ExportRollover(clg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		est := &directory.Establishment{ID: core.NewID(), UAI: clg.UAI, Type: directory.College, Name: clg.Name,
			Domains: []string{clg.Domain}}
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(now), Hash: cheapHash}
		plan, err := eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, files)), dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		old6A := group(t, db, est.ID, "6A", 2026)
		pupils6A, _, err := db.FindPeople(ctx, directory.PersonFilter{Group: old6A.ID, Limit: 100})
		if err != nil || len(pupils6A) == 0 {
			t.Fatalf("6A: %v %d", err, len(pupils6A))
		}
		stayer := pupils6A[0]
		if err := db.EnablePictureClass(ctx, &picture.Class{GroupID: old6A.ID, Code: "RLV6AX", GridSize: 9, Length: 3,
			EnabledAt: now}, []*picture.Secret{{PersonID: stayer.ID, Avatar: "cat", Hash: "$test$", ChangedAt: now}}, nil); err != nil {
			t.Fatal(err)
		}

		// Without --rollover, next year's files are refused.
		_, err = eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Mode: dirsync.Full})
		if !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "2027-2028") {
			t.Fatalf("next year's files without rollover: %v", err)
		}
		// The year after next is refused even as a rollover, naming the file and the year.
		far := dirsync.FromBatch(nationalFiles(t, next))
		far.SchoolYear = 2028
		_, err = eng.Plan(ctx, far, dirsync.Options{Rollover: true})
		if msg := core.MessageOf(err); !core.IsKind(err, core.Invalid) || !strings.Contains(msg, "ElevesSansAdresses.xml") ||
			!strings.Contains(msg, "2028-2029") || !strings.Contains(msg, "only into 2027-2028") {
			t.Fatalf("year+2: %v", err)
		}
		// The STS-Web file alone would leave the pupils without a class:
		// refused; SIECLE alone warns that teachers' services are missing.
		var stsOnly, siecleOnly []string
		for _, f := range next {
			if strings.Contains(f, "sts_emp_") {
				stsOnly = append(stsOnly, f)
			} else {
				siecleOnly = append(siecleOnly, f)
			}
		}
		_, err = eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, stsOnly)), dirsync.Options{Rollover: true})
		if !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "ElevesSansAdresses.xml") {
			t.Fatalf("STS-only rollover: %v", err)
		}
		// In March the rollover works but warns.
		march := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		mp, err := march.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Rollover: true})
		if err != nil || !mp.Rollover.OutsideWindow || mp.Rollover.NoServices {
			t.Fatalf("March rollover: %v", err)
		}
		sp, err := march.Plan(ctx, dirsync.FromBatch(nationalFiles(t, siecleOnly)), dirsync.Options{Rollover: true})
		if err != nil || !sp.Rollover.NoServices {
			t.Fatalf("SIECLE-only rollover: %v", err)
		}

		// On 3 September, before any rollover, the directory still holds
		// 2026-2027: the same files roll it into 2027-2028, the clock's year.
		early := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2027, 9, 3, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		ep, err := early.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Rollover: true})
		if err != nil || ep.Rollover.From != 2026 || ep.Rollover.To != 2027 || ep.Rollover.OutsideWindow {
			t.Fatalf("early-September rollover: %v", err)
		}

		aug := core.NewFakeClock(time.Date(2027, 8, 28, 9, 0, 0, 0, time.UTC))
		eng = &dirsync.Engine{Store: db, Clock: aug, Hash: cheapHash}
		plan, err = eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Rollover: true})
		if err != nil {
			t.Fatal(err)
		}
		r := plan.Rollover
		if r == nil || r.From != 2026 || r.To != 2027 || r.OutsideWindow || plan.Mode != dirsync.Full {
			t.Fatalf("rollover %+v mode %s", r, plan.Mode)
		}
		levels := map[string]dirsync.LevelCount{}
		for _, l := range r.Levels {
			levels[l.Level] = l
		}
		if l := levels["6e"]; l.Before == 0 || l.MoveUp != l.Before || l.Arrive != ch.Arrived || l.After != ch.Arrived {
			t.Fatalf("6e: %+v (arrived %d)", l, ch.Arrived)
		}
		if l := levels["3e"]; l.Leave != len(ch.Left) || l.After != levels["4e"].Before {
			t.Fatalf("3e: %+v (left %d)", l, len(ch.Left))
		}
		if len(r.New) != ch.NewClasses || len(r.Old) != ch.NewClasses || !slices.Contains(r.Created, "5A") {
			t.Fatalf("classes: %d new, %d old, created %v", len(r.New), len(r.Old), r.Created)
		}
		if !slices.Equal(r.PictureLogins, []string{"6A"}) || r.TeachersChanged < 2 || len(r.Teachers) == 0 {
			t.Fatalf("picture logins %v, teachers changed %d", r.PictureLogins, r.TeachersChanged)
		}
		disabled := map[core.Profile]int{}
		for _, l := range plan.Disables {
			disabled[l.Profile]++
		}
		if disabled[core.ProfilePupil] != len(ch.Left) || disabled[core.ProfileTeacher] != 1 ||
			len(plan.Creates) != ch.Arrived+1 || len(plan.Moves) != ch.MovedUp {
			t.Fatalf("disables %v creates %d moves %d (want %d left, %d arrived, %d moved)", disabled, len(plan.Creates),
				len(plan.Moves), len(ch.Left), ch.Arrived, ch.MovedUp)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}

		// The stayer is in 5A of 2027 only; 6A of 2026 is archived, empty, without picture login.
		ms, err := db.FindMemberships(ctx, stayer.ID)
		if err != nil {
			t.Fatal(err)
		}
		var classes []string
		for _, m := range ms {
			if m.Group.Kind == directory.Class {
				classes = append(classes, m.Group.Code+"/"+string(rune('0'+m.Group.SchoolYear%10)))
			}
		}
		if !slices.Equal(classes, []string{"5A/7"}) {
			t.Fatalf("stayer's classes %v", classes)
		}
		if g := group(t, db, est.ID, "6A", 2026); g.Members != 0 || g.Owners != 0 {
			t.Fatalf("archived 6A: %d members %d owners", g.Members, g.Owners)
		}
		if _, err := db.FindPictureClass(ctx, old6A.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("picture login of the archived 6A: %v", err)
		}
		p, err := db.FindPerson(ctx, stayer.ID)
		if err != nil || p.State != directory.Active || p.Login != stayer.Login {
			t.Fatalf("stayer %+v %v", p, err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Chain: est.ID, Action: "directory.import.rollover"})
		if err != nil || len(es) != 1 || !slices.Contains(es[0].Attributes, "from:2026") ||
			!slices.Contains(es[0].Attributes, "to:2027") || !strings.Contains(es[0].Reason, "2026-2027 → 2027-2028") {
			t.Fatalf("journal %v %v", es, err)
		}

		// Until 1 September the directory is in 2027-2028: last year's
		// files are refused, this year's import as they are.
		_, err = eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, files)), dirsync.Options{Mode: dirsync.Full})
		if !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "current school year is 2027-2028") {
			t.Fatalf("last year's files after the rollover: %v", err)
		}
		if p, err := eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Mode: dirsync.Full}); err != nil || !p.Empty() {
			t.Fatalf("an ordinary import of the new year's files after the rollover: %v", err)
		}

		// Re-running the same rollover changes nothing.
		again, err := eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Rollover: true})
		if err != nil || !again.Empty() {
			t.Fatalf("re-run: %v; creates %d updates %d moves %d disables %d adds %d removes %d", err, len(again.Creates),
				len(again.Updates), len(again.Moves), len(again.Disables), len(again.Changes.AddMembers), len(again.Changes.RemoveMembers))
		}
		// From 1 September the files are the current year's: an ordinary import, and they change nothing.
		sept := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2027, 9, 3, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		cur, err := sept.Plan(ctx, dirsync.FromBatch(nationalFiles(t, next)), dirsync.Options{Mode: dirsync.Full})
		if err != nil || !cur.Empty() {
			t.Fatalf("September import: %v, %d adds %d removes", err, len(cur.Changes.AddMembers), len(cur.Changes.RemoveMembers))
		}
	})
}

// TestRolloverRefusedIntoYearWithClasses: a rollover into a year that
// already has classes made otherwise is refused while last year's classes
// still have pupils. CARINE: INF-ANN-3.
func TestRolloverRefusedIntoYearWithClasses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		db := open(t)
		e := dirtest.NewEstablishment(999050, directory.Lycee)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2027, 8, 20, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		plan, err := eng.Plan(ctx, siecle(pupil("a", "Zoé", "Martin", "2NDE1"), pupil("b", "Léo", "Petit", "1G1")),
			dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateGroups(ctx, []*directory.Group{{ID: core.NewID(), Establishment: e.ID, Code: "1G9",
			Kind: directory.Class, SchoolYear: 2027, Level: "1re"}}); err != nil {
			t.Fatal(err)
		}
		in := siecle(pupil("a", "Zoé", "Martin", "1G1"))
		in.SchoolYear = 2027
		_, err = eng.Plan(ctx, in, dirsync.Options{Rollover: true})
		if !core.IsKind(err, core.Conflict) || !strings.Contains(core.MessageOf(err), "2027-2028 already has classes (1)") {
			t.Fatalf("rollover into a year with classes: %v", err)
		}
	})
}

// group returns the group of code and year of an establishment.
func group(t *testing.T, db *store.DB, est, code string, year int) *directory.Group {
	t.Helper()
	gs, err := db.FindGroups(dirtest.Ctx(), directory.GroupFilter{Establishment: est, Code: code, SchoolYear: year})
	if err != nil || len(gs) != 1 {
		t.Fatalf("group %s %d: %v %d", code, year, err, len(gs))
	}
	return gs[0]
}
