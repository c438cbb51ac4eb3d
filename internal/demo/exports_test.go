// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory/importer"
)

// parseFiles parses the exported files whose base name matches one of the
// prefixes, with the parser Detect picks, and merges them.
func parseFiles(t *testing.T, paths []string, prefixes ...string) *importer.Batch {
	t.Helper()
	var picked []string
	for _, p := range paths {
		base := filepath.Base(p)
		if slices.ContainsFunc(prefixes, func(pre string) bool { return strings.HasPrefix(base, pre) }) {
			picked = append(picked, p)
		}
	}
	m, err := importer.ParseFiles(picked...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// want is what an import of an establishment's files must give, from the
// generator's own data.
type want struct {
	people   map[string]demo.Person // source key (ELEVE_ID or STS id) → person
	groupsOf map[string][]string    // pupil key → teaching groups
	teaches  map[string][]importer.Teaching
	head     map[string][]string // teacher key → classes
	groups   []importer.Group
}

func expected(e *demo.Establishment) want {
	w := want{people: map[string]demo.Person{}, groupsOf: map[string][]string{},
		teaches: map[string][]importer.Teaching{}, head: map[string][]string{}}
	byKey := map[string]demo.Person{}
	for _, p := range e.People {
		byKey[p.Key] = p
		w.people[firstOf(p.ExternalIDs["siecle_eleve_id"], p.ExternalIDs["sts_id"])] = p
	}
	level := map[string]string{}
	for _, g := range e.Groups {
		if g.Kind != demo.KindClass && g.Kind != demo.KindTeaching {
			continue
		}
		level[g.Code] = g.Level
		w.groups = append(w.groups, importer.Group{Code: g.Code, Name: g.Name, Kind: g.Kind, Level: g.Level})
		if g.MainTeacher != "" {
			w.head[g.MainTeacher] = append(w.head[g.MainTeacher], g.Code)
		}
		for _, m := range g.Members {
			if g.Kind == demo.KindTeaching {
				w.groupsOf[m] = append(w.groupsOf[m], g.Code)
			}
		}
		for _, o := range g.Owners {
			if d := byKey[o].Discipline; d != "" && d != "Documentation" {
				w.teaches[o] = append(w.teaches[o], importer.Teaching{Group: g.Code, Subject: d})
			}
		}
	}
	return w
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fold compares labels written upper-case without accents by the files.
func fold(s string) string {
	return strings.NewReplacer("É", "E", "È", "E", "Ê", "E", "'", "", "-", " ").Replace(strings.ToUpper(s))
}

func TestExportFilesRoundTrip(t *testing.T) {
	t.Parallel()
	d := generate(t)
	for i := range d.Establishments[:2] { // collège and lycée
		e := &d.Establishments[i]
		t.Run(e.Type, func(t *testing.T) {
			t.Parallel()
			paths, err := d.ExportFiles(e, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			w := expected(e)
			b := parseFiles(t, paths, "ElevesSansAdresses", "Structures", "Nomenclature", "sts_emp_")
			if b.UAI != e.UAI || b.SchoolYear != d.SchoolYear || !b.Complete || len(b.Inactive) != 0 || len(b.Warnings) != 0 {
				t.Errorf("batch %s %d %v inactive %v warnings %v", b.UAI, b.SchoolYear, b.Complete, b.Inactive, b.Warnings)
			}
			checkPeople(t, b, w, func(k importer.Key) string { return k.Value })
			checkGroups(t, b, w)
			checkNoPrivateData(t, b)
			a := parseFiles(t, paths, "ENT_")
			checkPeople(t, a, w, func(k importer.Key) string { return strings.TrimPrefix(k.Value, "MENESR$") })
			checkGroups(t, a, w)
			checkNoPrivateData(t, a)
			if a.Dropped["PersRelEleve"] == 0 || a.Dropped["ENTPersonDateNaissance"] != len(e.People) {
				t.Errorf("AAF dropped %v", a.Dropped)
			}
		})
	}
}

// checkPeople checks that b has exactly the generator's people, with their
// names, profiles, classes, groups, services and functions.
func checkPeople(t *testing.T, b *importer.Batch, w want, id func(importer.Key) string) {
	t.Helper()
	if len(b.People) != len(w.people) {
		t.Errorf("%v: %d people, want %d", b.Files, len(b.People), len(w.people))
	}
	aaf := b.Source == importer.SourceAAF
	for _, p := range b.People {
		g, ok := w.people[id(p.Key)]
		if !ok {
			t.Errorf("unexpected person %v", p.Key)
			continue
		}
		if p.GivenName != g.GivenName || p.FamilyName != g.FamilyName || p.Profile != g.Profile || p.Class != g.Class ||
			!slices.Equal(p.Groups, w.groupsOf[g.Key]) || p.UAI != g.Key[:8] {
			t.Errorf("%v = %+v, want %+v", p.Key, p, g)
		}
		if ine := g.ExternalIDs["ine"]; !aaf && p.ExternalIDs["ine"] != ine {
			t.Errorf("%v INE %q, want %q", p.Key, p.ExternalIDs["ine"], ine)
		}
		if !slices.Equal(p.Teaches, w.teaches[g.Key]) && !slices.EqualFunc(p.Teaches, w.teaches[g.Key], sameService) {
			t.Errorf("%v teaches %+v, want %+v", p.Key, p.Teaches, w.teaches[g.Key])
		}
		if g.Profile == core.ProfileTeacher && (!slices.Equal(p.HeadTeacherOf, w.head[g.Key]) ||
			len(p.Disciplines) != 1 || fold(p.Disciplines[0]) != fold(g.Discipline)) {
			t.Errorf("%v head of %v disciplines %v, want %v %s", p.Key, p.HeadTeacherOf, p.Disciplines, w.head[g.Key], g.Discipline)
		}
		if aaf && g.Function != "" && !slices.Equal(p.Functions, []string{g.Function}) {
			t.Errorf("%v functions %v, want %s", p.Key, p.Functions, g.Function)
		}
	}
}

// sameService compares services whatever the subject's code.
func sameService(a, b importer.Teaching) bool { return a.Group == b.Group && a.Subject == b.Subject }

func checkGroups(t *testing.T, b *importer.Batch, w want) {
	t.Helper()
	byCode := map[string]importer.Group{}
	for _, g := range b.Groups {
		byCode[g.Code] = g
	}
	if len(b.Groups) != len(w.groups) {
		t.Errorf("%v: %d groups, want %d", b.Files, len(b.Groups), len(w.groups))
	}
	for _, g := range w.groups {
		got := byCode[g.Code]
		if got.Name != g.Name || got.Kind != g.Kind || got.Level != g.Level {
			t.Errorf("group %s = %+v, want %+v", g.Code, got, g)
		}
	}
}

// privatePattern matches what the exports' private data look like: dates,
// the reserved phone ranges and mail domains, the fictional streets.
var privatePattern = regexp.MustCompile(`\d\d/\d\d/\d{4}|\d{4}-\d\d-\d\d|0[16] (39 98|99 00)|@example\.(net|org)|@ac-demo|rue |avenue |allée |impasse |chemin `)

// CARINE: INF-ANN-8
func checkNoPrivateData(t *testing.T, b *importer.Batch) {
	t.Helper()
	js, _ := json.Marshal(b)
	if m := privatePattern.Find(js); m != nil {
		t.Errorf("the batch of %v holds private data: %q", b.Files, m)
	}
}

// The exports look like the real ones: ISO-8859-15, with birth dates.
func TestExportFilesContent(t *testing.T) {
	t.Parallel()
	d := generate(t)
	e := &d.Establishments[0]
	paths, err := d.ExportFiles(e, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	wantNames := []string{"ElevesSansAdresses.xml", "Structures.xml", "Nomenclature.xml", "sts_emp_0999001W_2026.xml",
		"ENT_0999001W_Complet_20260902_EtabEducNat_0000.xml", "ENT_0999001W_Complet_20260902_MatiereEducNat_0000.xml",
		"ENT_0999001W_Complet_20260902_MefEducNat_0000.xml", "ENT_0999001W_Complet_20260902_Eleve_0000.xml",
		"ENT_0999001W_Complet_20260902_PersEducNat_0000.xml", "ENT_0999001W_Complet_20260902_PersRelEleve_0000.xml"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("files %v, want %v", names, wantNames)
	}
	raw, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	pupils := 0
	for _, p := range e.People {
		if p.Profile == core.ProfilePupil {
			pupils++
		}
	}
	if !bytes.HasPrefix(raw, []byte(`<?xml version="1.0" encoding="ISO-8859-15"?>`)) ||
		bytes.Count(raw, []byte("<DATE_NAISS>")) != pupils || !bytes.Contains(raw, []byte("<TEL_PORTABLE>06 39 98 ")) {
		t.Errorf("ElevesSansAdresses.xml does not look like the real export")
	}
	again, _ := d.ExportFiles(e, t.TempDir())
	for i := range paths {
		a, _ := os.ReadFile(paths[i])
		b, _ := os.ReadFile(again[i])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two exports", names[i])
		}
	}
	if _, err := d.ExportFiles(&d.Establishments[2], t.TempDir()); core.KindOf(err) != core.Invalid {
		t.Errorf("an école export gave %v", err)
	}
}
