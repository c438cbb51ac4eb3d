// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestGenericSourceNeedsDeclaration_INF_ANN_7: a CSV import is refused
// until the establishment records why and under which data-protection
// reference; a bad declaration is refused by name; the declaration is
// stored and journaled with its justification; national sources need none.
func TestGenericSourceNeedsDeclaration_INF_ANN_7(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		db := open(t)
		e := dirtest.NewEstablishment(999070, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		in := siecle(pupil("c1", "Léa", "Roux", "6A"))
		in.Source, in.UAI = "csv", e.UAI
		_, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial})
		if !core.IsKind(err, core.Permission) || !strings.Contains(err.Error(), "INF-ANN-7") ||
			!strings.Contains(err.Error(), "preau import declare csv --uai "+e.UAI) {
			t.Fatalf("undeclared CSV: %v", err)
		}
		for _, bad := range []directory.SourceDeclaration{
			{Source: "siecle", Justification: "a national source needs nothing at all", Reference: "RT-1"},
			{Source: "csv", Justification: "too short", Reference: "RT-1"},
			{Source: "csv", Justification: "the music school's pupils are in no national file", Reference: "x"},
			{Source: "csv", Justification: "the music school's pupils\x07 are in no national file", Reference: "RT-1"},
		} {
			if err := db.DeclareSource(ctx, e.ID, bad); !core.IsKind(err, core.Invalid) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := db.SourceDeclaration(ctx, e.ID, "csv"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("a refused declaration was stored: %v", err)
		}
		d := directory.SourceDeclaration{Source: "CSV", Justification: "  the music school's pupils are in no national file ",
			Reference: "RT-2026-014"}
		if err := db.DeclareSource(ctx, e.ID, d); err != nil {
			t.Fatal(err)
		}
		got, err := db.SourceDeclaration(ctx, e.ID, "csv")
		if err != nil || got.Reference != "RT-2026-014" || got.Justification != "the music school's pupils are in no national file" ||
			got.RecordedBy == "" || got.RecordedAt.IsZero() {
			t.Fatalf("declaration: %+v %v", got, err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Chain: e.ID, Action: "directory.source.declare"})
		if err != nil || len(es) != 1 || es[0].Reason != got.Justification ||
			strings.Join(es[0].Attributes, " ") != "source:csv reference:RT-2026-014" || es[0].ActorLogin != got.RecordedBy {
			t.Fatalf("journal: %+v %v", es, err)
		}
		plan, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial})
		if err != nil || len(plan.Creates) != 1 {
			t.Fatalf("declared CSV: %v", err)
		}
		in.Source = "ldif" // another generic source: its own declaration
		if _, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial}); !core.IsKind(err, core.Permission) {
			t.Fatalf("undeclared LDIF: %v", err)
		}
		in.Source = "siecle"
		if _, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial}); err != nil {
			t.Fatalf("national source: %v", err)
		}
	})
}

// TestImportJournaledUnderJobIdentity_INF_ANN_4: every entry an import
// writes is the operator's and carries the job's identity, which the run's
// summary names too.
func TestImportJournaledUnderJobIdentity_INF_ANN_4(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		db := open(t)
		e := dirtest.NewEstablishment(999071, directory.College)
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)), Hash: cheapHash}
		in := siecle(pupil("j1", "Léa", "Roux", "6A"), pupil("j2", "Noé", "Petit", "6B"))
		in.UAI = e.UAI
		plan, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Partial})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Chain: e.ID, Action: "directory."})
		if err != nil {
			t.Fatal(err)
		}
		var job string
		for _, x := range es {
			if x.Action == "directory.import.run" {
				job = x.Attributes[len(x.Attributes)-1]
			}
		}
		if !strings.HasPrefix(job, "job:import/") {
			t.Fatalf("the run names no job: %+v", es)
		}
		n := 0
		for _, x := range es {
			if x.Action == "directory.establishment.create" {
				continue
			}
			if x.ActorLogin != core.PrincipalFromContext(ctx).Login {
				t.Errorf("%s by %q", x.Action, x.ActorLogin)
			}
			if x.Action != "directory.import.run" && x.Reason != job {
				t.Errorf("%s %s: reason %q, want the job %s", x.Action, x.TargetName, x.Reason, job)
			}
			n++
		}
		if n != 2+2+2+1 { // two classes, two pupils, two memberships, the run
			t.Fatalf("%d import entries: %+v", n, es)
		}
	})
}
