// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/importer"
)

// mustParse parses testdata/TestGolden/<file>.in with parse.
func mustParse(t *testing.T, parse parseFunc, file string) *importer.Batch {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "TestGolden", file+".in"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := parse(f, file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b
}

// person returns the person with key value v, or fails.
func person(t *testing.T, b *importer.Batch, v string) importer.Person {
	t.Helper()
	for _, p := range b.People {
		if p.Key.Value == v {
			return p
		}
	}
	t.Fatalf("no person %s in %v", v, b.Files)
	return importer.Person{}
}

func hasKey(keys []importer.Key, v string) bool {
	return slices.ContainsFunc(keys, func(k importer.Key) bool { return k.Value == v })
}

func warned(b *importer.Batch, s string) bool {
	return slices.ContainsFunc(b.Warnings, func(w string) bool { return strings.Contains(w, s) })
}

// formats.md §2.2: ELEVE and STRUCTURES_ELEVE join on ELEVE_ID, whatever
// the order of the sections' records.
func TestSIECLEJoinOnEleveID(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if p := person(t, b, "900002"); p.Class != "5A" {
		t.Errorf("900002 class %q, want 5A (its STRUCTURES_ELEVE comes first)", p.Class)
	}
	if p := person(t, b, "900001"); p.Class != "5B" || !slices.Equal(p.Groups, []string{"5LAT"}) {
		t.Errorf("900001 class %q groups %v, want 5B [5LAT]", p.Class, p.Groups)
	}
	if !warned(b, `ELEVE_ID "900099"`) {
		t.Errorf("no warning for the STRUCTURES_ELEVE of an unknown pupil: %v", b.Warnings)
	}
}

// formats.md §2.2: the join falls back to ELENOET (attribute or child) when
// STRUCTURES_ELEVE has no ELEVE_ID.
func TestSIECLEElenoetFallback(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if p := person(t, b, "900003"); p.Class != "5A" { // ELENOET only as a child element
		t.Errorf("900003 class %q, want 5A", p.Class)
	}
	v17 := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses_v17.xml")
	if p := person(t, v17, "800001"); p.Class != "3E/2" { // ELENOET only as an attribute
		t.Errorf("800001 class %q, want 3E/2", p.Class)
	}
}

// formats.md §2.2: a transferred pupil's previous ELENOET is not trusted
// when ID_ELEVE_ETAB does not hold it followed by the UAI digits.
func TestSIECLETransferredElenoet(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if !hasKey(b.Inactive, "900006") {
		t.Errorf("900006 (untrusted ELENOET 3999) got a class: %+v", b.People)
	}
	if !warned(b, `ELENOET "3999"`) {
		t.Errorf("no warning for the unjoined ELENOET: %v", b.Warnings)
	}
}

// formats.md §2.2: ID_NATIONAL is the INE; empty means none; INE_RNIE and
// INE_BEA are fallbacks in some versions.
func TestSIECLEINE(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if got := person(t, b, "900001").ExternalIDs; got["ine"] != "0000000001X" || got["siecle_eleve_id"] != "900001" {
		t.Errorf("900001 external ids %v", got)
	}
	if _, ok := person(t, b, "900003").ExternalIDs["ine"]; ok {
		t.Error("an empty ID_NATIONAL gave an INE")
	}
	doc := siecleWith(`<ELEVE ELEVE_ID="1"><ID_NATIONAL/><INE_RNIE>123456789ab</INE_RNIE><NOM>A</NOM><PRENOM>B</PRENOM></ELEVE>`, "1")
	b, err := importer.ParseSIECLE(strings.NewReader(doc), "e.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.People) != 1 || b.People[0].ExternalIDs["ine"] != "123456789AB" {
		t.Errorf("INE_RNIE fallback: %+v", b.People)
	}
}

// siecleWith is a BEE_ELEVES document with the given ELEVE records and a
// STRUCTURES section putting each listed ELEVE_ID in division 5A.
func siecleWith(eleves string, ids ...string) string {
	var s strings.Builder
	for _, id := range ids {
		s.WriteString(`<STRUCTURES_ELEVE ELEVE_ID="` + id + `"><STRUCTURE><CODE_STRUCTURE>5A</CODE_STRUCTURE>` +
			`<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>`)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="2.1"><PARAMETRES><UAJ>0999001W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES><ELEVES>` + eleves + `</ELEVES><STRUCTURES>` + s.String() + `</STRUCTURES></DONNEES></BEE_ELEVES>
`
}

// formats.md §2.7: dates are dd/mm/yyyy or yyyy-mm-dd; a DATE_SORTIE on or
// before DATE_EXPORT means the pupil has left.
func TestSIECLEDates(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if hasKey(b.Inactive, "900002") {
		t.Error("900002 (DATE_SORTIE 2026-07-04, after the export) is inactive")
	}
	if !hasKey(b.Inactive, "900004") {
		t.Error("900004 (DATE_SORTIE 15/07/2025, before the export) is active")
	}
}

// formats.md §2.2: ANNEE_SCOLAIRE is the start year; "2024-2025" works too.
func TestSIECLESchoolYear(t *testing.T) {
	t.Parallel()
	if b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml"); b.SchoolYear != 2025 || b.UAI != "0999001W" {
		t.Errorf("school year %d UAI %s", b.SchoolYear, b.UAI)
	}
	if b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses_v17.xml"); b.SchoolYear != 2024 || b.UAI != "0999001W" {
		t.Errorf("v1.7: school year %d UAI %s (lower-case uaj)", b.SchoolYear, b.UAI)
	}
}

// formats.md §2.2: TYPE_STRUCTURE D is the division (one expected), G a
// group; division codes keep "/" and spaces.
func TestSIECLEDivisionsAndGroups(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	p := person(t, b, "900007")
	if p.Class != "5B" || !slices.Equal(p.Groups, []string{"5ESP"}) || !warned(b, "two divisions (5B, 5A)") {
		t.Errorf("900007 class %q groups %v warnings %v", p.Class, p.Groups, b.Warnings)
	}
	kinds := map[string]string{}
	for _, g := range b.Groups {
		kinds[g.Code] = g.Kind
	}
	if kinds["5A"] != importer.KindClass || kinds["5LAT"] != importer.KindTeaching || kinds["Inactifs"] != "" {
		t.Errorf("group kinds %v", kinds)
	}
	v17 := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses_v17.xml")
	if p := person(t, v17, "800002"); p.Class != "3E 1" {
		t.Errorf("class %q, want \"3E 1\" (lower-case type d)", p.Class)
	}
}

// Pix fixtures: no division, or the pseudo-division Inactifs, means no
// active account.
func TestSIECLEInactive(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if !hasKey(b.Inactive, "900005") {
		t.Error("900005 in Inactifs is active")
	}
	for _, p := range b.People {
		if hasKey(b.Inactive, p.Key.Value) {
			t.Errorf("%s is both active and inactive", p.Key)
		}
	}
}

// The usual names win: NOM_USAGE over NOM_DE_FAMILLE, PRENOM_USUEL over
// PRENOM; version 1.7 files have NOM; element names match in any case.
func TestSIECLEUsualNames(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	if p := person(t, b, "900002"); p.FamilyName != "Cœur" || p.GivenName != "Élodie" {
		t.Errorf("900002 named %q %q", p.GivenName, p.FamilyName)
	}
	if b.Dropped["NOM_DE_FAMILLE"] != 1 {
		t.Errorf("the unused legal name was not counted: %v", b.Dropped)
	}
	v17 := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses_v17.xml")
	if p := person(t, v17, "800001"); p.FamilyName != "LEFÈVRE" || p.GivenName != "Gaëlle" || p.Profile != core.ProfilePupil {
		t.Errorf("800001 %+v", p)
	}
	if p := person(t, v17, "800002"); p.GivenName != "Jérém" {
		t.Errorf("800002 given name %q, want the PRENOM_USUEL", p.GivenName)
	}
}

// formats.md §2.1: the prolog declares ISO-8859-15 (œ, € exist only there)
// or ISO-8859-1; Windows-1252 and a UTF-8 BOM are accepted too.
func TestSIECLEEncodings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ enc, raw, want string }{
		{"ISO-8859-15", "C\xbdur", "Cœur"},
		{"ISO-8859-1", "Lef\xe8vre", "Lefèvre"},
		{"latin1", "Lef\xe8vre", "Lefèvre"},
		{"windows-1252", "C\x9cur", "Cœur"},
		{"UTF-8", "Cœur", "Cœur"}, // with a byte order mark
	} {
		doc := strings.Replace(siecleWith(`<ELEVE ELEVE_ID="1"><NOM>`+tc.raw+`</NOM><PRENOM>B</PRENOM></ELEVE>`, "1"),
			"UTF-8", tc.enc, 1)
		if tc.enc == "UTF-8" {
			doc = "\xef\xbb\xbf" + doc
		}
		b, err := importer.ParseSIECLE(strings.NewReader(doc), "e.xml")
		if err != nil {
			t.Errorf("%s: %v", tc.enc, err)
			continue
		}
		if len(b.People) != 1 || b.People[0].FamilyName != tc.want {
			t.Errorf("%s: people %+v, want %s", tc.enc, b.People, tc.want)
		}
	}
}

// formats.md §2.1: nomenclature labels are fixed-width, space-padded.
func TestNomenclaturePadded(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseNomenclature, "Nomenclature.xml")
	if b.MEFs["10110001110"] != "5e" || b.MEFs["10310019110"] != "3EME" || len(b.MEFs) != 2 {
		t.Errorf("MEFs %q", b.MEFs)
	}
}

// formats.md §2.4: structure codes come as attributes or children named
// CODE_STRUCTURE, CODE_DIVISION, CODE_GROUPE or CODE.
func TestStructuresTolerant(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseStructures, "Structures.xml")
	want := []importer.Group{
		{Code: "5A", Name: "5e A", Kind: "class", MEF: "10110001110"},
		{Code: "5B", Name: "5e B", Kind: "class", MEF: "10110001110"},
		{Code: "5LAT", Name: "Latin 5e", Kind: "teaching", Divisions: []string{"5A", "5B"}},
		{Code: "5ESP", Name: "Espagnol LV2 5e", Kind: "teaching", Divisions: []string{"5B"}},
	}
	if !equalGroups(b.Groups, want) {
		t.Errorf("groups %+v, want %+v", b.Groups, want)
	}
}

func equalGroups(a, b []importer.Group) bool {
	return slices.EqualFunc(a, b, func(x, y importer.Group) bool {
		return x.Code == y.Code && x.Name == y.Name && x.Kind == y.Kind && x.Level == y.Level &&
			x.MEF == y.MEF && slices.Equal(x.Divisions, y.Divisions)
	})
}
