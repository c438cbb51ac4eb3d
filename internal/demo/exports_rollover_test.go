// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
)

// TestExportRollover checks the next year's files of the collège and the
// lycée: their school year, pupils one level up, the last level gone, the
// entry level new, a teacher replaced; and that they are deterministic.
// CARINE: INF-ANN-3 (the files a school-year rollover imports).
func TestExportRollover(t *testing.T) {
	t.Parallel()
	d := generate(t)
	for i := range d.Establishments {
		e := &d.Establishments[i]
		if e.Type == demo.TypeEcole {
			if _, _, err := d.ExportRollover(e, t.TempDir()); !core.IsKind(err, core.Invalid) {
				t.Fatalf("école: %v", err)
			}
			continue
		}
		dir := t.TempDir()
		files, ch, err := d.ExportRollover(e, dir)
		if err != nil {
			t.Fatal(err)
		}
		b := parseFiles(t, files, "ElevesSansAdresses", "Structures", "Nomenclature", "sts_emp_")
		if b.SchoolYear != d.SchoolYear+1 || ch.Year != b.SchoolYear {
			t.Fatalf("%s: school year %d, want %d", e.UAI, b.SchoolYear, d.SchoolYear+1)
		}
		before := 0
		for _, p := range e.People {
			if p.Profile == core.ProfilePupil {
				before++
			}
		}
		classOf := map[string]string{}
		pupils, teachers := 0, map[string]bool{}
		for _, p := range b.People {
			switch p.Profile {
			case core.ProfilePupil:
				pupils++
				classOf[p.Key.Value] = p.Class
			case core.ProfileTeacher:
				teachers[p.Key.Value] = true
			}
		}
		if len(ch.Left) == 0 || ch.Arrived == 0 || pupils != before-len(ch.Left)+ch.Arrived {
			t.Fatalf("%s: %d pupils, %d before, %d left, %d arrived", e.UAI, pupils, before, len(ch.Left), ch.Arrived)
		}
		for _, id := range ch.Left {
			if _, ok := classOf[id]; ok {
				t.Fatalf("%s: leaver %s still listed", e.UAI, id)
			}
		}
		if teachers[ch.TeacherLeft] || !teachers[ch.TeacherArrived] || ch.NewService.STSID == "" {
			t.Fatalf("%s: teachers %+v", e.UAI, ch)
		}
		// A pupil of the entry level is one level up.
		for _, p := range e.People {
			if p.Profile == core.ProfilePupil && e.Group(p.Class).Level == ch.Levels[0] {
				if c := classOf[p.ExternalIDs["siecle_eleve_id"]]; e.Group(c) == nil || e.Group(c).Level != ch.Levels[1] {
					t.Fatalf("%s: %s was in %s, now in %q", e.UAI, p.Login, p.Class, c)
				}
				break
			}
		}
		again, _, err := d.ExportRollover(e, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for i := range files {
			x, _ := os.ReadFile(files[i])
			y, _ := os.ReadFile(again[i])
			if !bytes.Equal(x, y) || filepath.Base(files[i]) != filepath.Base(again[i]) {
				t.Fatalf("%s: %s differs between two runs", e.UAI, filepath.Base(files[i]))
			}
		}
	}
}
