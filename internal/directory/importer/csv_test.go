// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/importer"
)

// The CSV format: French aliases, ';' and a BOM (Excel), ="5B" protection
// (formats.md §2.6), |-separated lists, GROUP:Subject services.
func TestCSVColumns(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseCSV, "comptes.csv")
	p := person(t, b, "E1")
	if p.Key != (importer.Key{Kind: "import_key", Value: "E1"}) || p.Class != "5B" || !slices.Equal(p.Groups, []string{"5LAT", "5ESP"}) ||
		p.ExternalIDs["ine"] != "0000000001X" || p.GivenName != "Zoé" || p.Profile != core.ProfilePupil || p.UAI != "0999001W" {
		t.Errorf("pupil %+v", p)
	}
	want := []importer.Teaching{{Group: "5B", Subject: "Mathématiques"}, {Group: "5LAT"}}
	if p := person(t, b, "T1"); !slices.Equal(p.Teaches, want) || p.Profile != core.ProfileTeacher {
		t.Errorf("teacher %+v", p)
	}
	if p := person(t, b, "S1"); !slices.Equal(p.Functions, []string{"CPE"}) {
		t.Errorf("staff %+v", p)
	}
	kinds := map[string]string{}
	for _, g := range b.Groups {
		kinds[g.Code] = g.Kind
	}
	if kinds["5B"] != "class" || kinds["5A"] != "class" || kinds["5LAT"] != "teaching" {
		t.Errorf("groups %v", kinds)
	}
}

// CARINE: INF-ANN-8. Forbidden columns are dropped and counted, with a
// warning that names the column and never a value.
func TestCSVForbiddenColumns(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseCSV, "comptes.csv")
	if b.Dropped["date_naissance"] != 3 || b.Dropped["téléphone"] != 2 || b.Dropped["adresse"] != 1 || b.Dropped["commentaire"] != 1 {
		t.Errorf("dropped %v", b.Dropped)
	}
	if !warned(b, `"date_naissance" (birth date) is never imported`) || !warned(b, `"commentaire" is not a known column`) {
		t.Errorf("warnings %v", b.Warnings)
	}
	for _, w := range b.Warnings {
		if strings.Contains(w, "2012") || strings.Contains(w, "06 39") {
			t.Errorf("warning %q quotes a value", w)
		}
	}
}

// The encoding rule: a BOM means UTF-8; latin9 (or latin1, iso-8859-15…) in
// the name means ISO-8859-15; otherwise invalid UTF-8 is read as
// ISO-8859-15, or Windows-1252 when bytes 0x80–0x9F occur, with a warning.
func TestCSVEncodings(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseCSV, "comptes.latin9.csv")
	if p := person(t, b, "E1"); p.FamilyName != "Cœur" || len(b.Warnings) != 0 || b.SchoolYear != 2025 {
		t.Errorf("latin9 by name: %+v %v %d", p, b.Warnings, b.SchoolYear)
	}
	b = mustParse(t, importer.ParseCSV, "export-ansi.csv")
	if p := person(t, b, "E1"); p.FamilyName != "Cœur" || !warned(b, "read as Windows-1252") {
		t.Errorf("cp1252 sniffed: %+v %v", p, b.Warnings)
	}
	in := "uai,profile,key,given_name,family_name\n0999001W,pupil,E1,No\xebl,L\xe9a\n"
	b, err := importer.ParseCSV(strings.NewReader(in), "eleves.csv")
	if err != nil {
		t.Fatal(err)
	}
	if p := person(t, b, "E1"); p.GivenName != "Noël" || !warned(b, "read as ISO-8859-15") {
		t.Errorf("latin9 sniffed: %+v %v", p, b.Warnings)
	}
}

// Short rows are padded; tab separators work; the header decides.
func TestCSVTolerance(t *testing.T) {
	t.Parallel()
	in := "UAI\tProfile\tKey\tGiven_Name\tFamily_Name\tClass\n0999001W\thead\tH1\tAnne\tPrincipale\n"
	b, err := importer.ParseCSV(strings.NewReader(in), "staff.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.People) != 1 || b.People[0].Profile != core.ProfileHead || len(b.Groups) != 0 {
		t.Errorf("batch %+v", b)
	}
}
