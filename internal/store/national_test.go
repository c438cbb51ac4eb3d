// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/directory/importer"
	"github.com/preau/preau/internal/store"
)

// nationalFiles parses the SIECLE and STS-Web files among paths (not the
// AAF ones, another source) and merges them.
func nationalFiles(t *testing.T, paths []string) *importer.Batch {
	t.Helper()
	var national []string
	for _, p := range paths {
		if !strings.HasPrefix(filepath.Base(p), "ENT_") {
			national = append(national, p)
		}
	}
	b, err := importer.ParseFiles(national...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CARINE: INF-ANN-3 (import from the national sources), INF-ANN-6 and
// INF-ANN-8 (only what is needed; birth dates never stored) — the demo
// lycée's SIECLE and STS-Web files (~1,500 pupils) are imported; a second
// import changes nothing; the files of two weeks later change exactly one
// class, one leaver, one newcomer and one teacher's service.
func TestImportNationalFiles_INF_ANN_3(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,600 people; skipped with -short")
	}
	now := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	d := demo.Generate(1, now)
	var lyc *demo.Establishment
	for i := range d.Establishments {
		if d.Establishments[i].Type == demo.TypeLycee {
			lyc = &d.Establishments[i]
		}
	}
	dir := t.TempDir()
	files, err := d.ExportFiles(lyc, dir)
	if err != nil {
		t.Fatal(err)
	}
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		est := &directory.Establishment{ID: core.NewID(), UAI: lyc.UAI, Type: directory.Lycee, Name: lyc.Name,
			Domains: []string{lyc.Domain}}
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(now), Hash: cheapHash}
		in := dirsync.FromBatch(nationalFiles(t, files))
		plan, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		pupils, adults := 0, 0
		for _, p := range lyc.People {
			switch p.Profile {
			case core.ProfilePupil:
				pupils++
			case core.ProfileTeacher:
				adults++
			}
		}
		created := map[core.Profile]int{}
		for _, c := range plan.Creates {
			created[c.Profile]++
		}
		if created[core.ProfilePupil] != pupils || created[core.ProfileTeacher] < adults*9/10 {
			t.Fatalf("created %v; the generator has %d pupils and %d teachers", created, pupils, adults)
		}
		if plan.Dropped["DATE_NAISS"] == 0 {
			t.Fatalf("no birth date counted as dropped: %v", plan.Dropped)
		}
		if err := eng.Apply(ctx, plan, nil); err != nil {
			t.Fatal(err)
		}
		again, err := eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, files)), dirsync.Options{Mode: dirsync.Full})
		if err != nil || !again.Empty() {
			t.Fatalf("re-import: %v; creates %d updates %v moves %v disables %d adds %d removes %d", err,
				len(again.Creates), again.Updates[:min(3, len(again.Updates))], again.Moves, len(again.Disables),
				len(again.Changes.AddMembers), len(again.Changes.RemoveMembers))
		}
		ddir := t.TempDir()
		dfiles, want, err := d.ExportDelta(lyc, ddir)
		if err != nil {
			t.Fatal(err)
		}
		delta, err := eng.Plan(ctx, dirsync.FromBatch(nationalFiles(t, dfiles)), dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			t.Fatal(err)
		}
		if len(delta.Creates) != 1 || len(delta.Moves) != 1 || len(delta.Disables) != 1 || len(delta.Updates) != 0 ||
			!strings.Contains(delta.Moves[0].Detail, want.Moved.From+" → "+want.Moved.To) ||
			!strings.Contains(delta.Creates[0].Name, want.Arrived.FamilyName) {
			t.Fatalf("delta: creates %v moves %v disables %v updates %v (want %+v)", delta.Creates, delta.Moves,
				delta.Disables, delta.Updates, want)
		}
		added := 0
		for _, m := range delta.Changes.AddMembers {
			if m.Role == directory.RoleOwner {
				added++
			}
		}
		if added != 1 {
			t.Fatalf("the teacher's new service: %d owner memberships added", added)
		}
		if err := eng.Apply(ctx, delta, nil); err != nil {
			t.Fatal(err)
		}
		if path := db.Path(); path != "" {
			assertNoBirthDates(t, files, path)
		}
	})
}

// assertNoBirthDates checks that no birth date of the SIECLE export is in
// any file of the SQLite database.
func assertNoBirthDates(t *testing.T, files []string, dbPath string) {
	t.Helper()
	re := regexp.MustCompile(`<DATE_NAISS>([^<]+)</DATE_NAISS>`)
	var dates [][]byte
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "Eleves") {
			b, _ := os.ReadFile(f)
			for _, m := range re.FindAllSubmatch(b, -1) {
				dates = append(dates, m[1])
			}
		}
	}
	if len(dates) < 1000 {
		t.Fatalf("only %d birth dates found in the export", len(dates))
	}
	dbFiles, _ := filepath.Glob(dbPath + "*")
	for _, f := range dbFiles {
		b, _ := os.ReadFile(f)
		for _, d := range dates {
			if bytes.Contains(b, d) {
				t.Fatalf("birth date %s found in %s", d, f)
			}
		}
	}
}
