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

// formats.md §2.5: UAJ/@CODE and ANNEE_SCOLAIRE/@ANNEE are attributes in STS.
func TestSTSParameters(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml")
	if b.UAI != "0999001W" || b.SchoolYear != 2025 || b.Source != importer.SourceSTS || !b.Complete {
		t.Errorf("batch %s %d %s %v", b.UAI, b.SchoolYear, b.Source, b.Complete)
	}
	if b.Dropped["TELEPHONE"] != 1 || b.Dropped["ADRESSE"] != 1 {
		t.Errorf("the establishment's contact data was not dropped: %v", b.Dropped)
	}
}

// formats.md §2.5: services name subjects by MATIERE/@CODE (not
// CODE_MATIERE as in Nomenclature.xml); CODE_MOD_COURS is optional; a
// SERVICE repeated with another CODE_MOD_COURS gives one Teaching.
func TestSTSServices(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml")
	want := []importer.Teaching{{Group: "5B", Subject: "Mathématiques", SubjectCode: "061300"}}
	if p := person(t, b, "7001"); !slices.Equal(p.Teaches, want) {
		t.Errorf("7001 teaches %+v, want %+v", p.Teaches, want)
	}
	want = []importer.Teaching{{Group: "5LAT", Subject: "LCA LATIN", SubjectCode: "020300"}}
	if p := person(t, b, "7002"); !slices.Equal(p.Teaches, want) {
		t.Errorf("7002 teaches %+v, want %+v", p.Teaches, want)
	}
	if !warned(b, "no INDIVIDU with ID 7999") {
		t.Errorf("an ENSEIGNANT without INDIVIDU was not reported: %v", b.Warnings)
	}
}

// formats.md §2.5: DIVISIONS_APPARTENANCE holds DIVISION_APPARTENANCE, or a
// self-closing DIVISION in older files; a group's level comes from its
// classes, a class's from its MEF.
func TestSTSGroups(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml")
	want := []importer.Group{
		{Code: "5B", Name: "5e B", Kind: "class", Level: "5e", MEF: "10110001110"},
		{Code: "5A", Kind: "class", Level: "5e", MEF: "10110001110"},
		{Code: "5LAT", Name: "LATIN 5E", Kind: "teaching", Level: "5e", Divisions: []string{"5A", "5B"}},
	}
	if !equalGroups(b.Groups, want) {
		t.Errorf("groups %+v, want %+v", b.Groups, want)
	}
}

// formats.md §2.5: FONCTION ENS is a teacher, DIR the direction, other codes
// staff; TYPE="local" ids get their own series; only the first given name
// is kept; NOM_USAGE wins over NOM_PATRONYMIQUE; PROFS_PRINC gives the
// professeur principal.
func TestSTSPeople(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml")
	for _, tc := range []struct {
		key, given, family string
		prof               core.Profile
		functions          []string
	}{
		{"7001", "Paul", "TESTEUR", core.ProfileTeacher, nil},
		{"7002", "Anne", "BERNARD", core.ProfileTeacher, nil},
		{"7003", "Claire", "GARNIER", core.ProfileHead, []string{"Direction"}},
		{"7004", "Marc", "ROCHE", core.ProfileStaff, []string{"Éducation"}},
		{"local:12", "Sofia", "LOPEZ", core.ProfileStaff, []string{"Assistant d'éducation"}},
	} {
		p := person(t, b, tc.key)
		if p.GivenName != tc.given || p.FamilyName != tc.family || p.Profile != tc.prof || !slices.Equal(p.Functions, tc.functions) {
			t.Errorf("%s: %q %q %s %v, want %q %q %s %v", tc.key, p.GivenName, p.FamilyName, p.Profile, p.Functions,
				tc.given, tc.family, tc.prof, tc.functions)
		}
		if p.Key.Kind != "sts_id" || p.ExternalIDs["sts_id"] != tc.key {
			t.Errorf("%s: key %v ids %v", tc.key, p.Key, p.ExternalIDs)
		}
	}
	if p := person(t, b, "7001"); !slices.Equal(p.HeadTeacherOf, []string{"5B"}) || !slices.Equal(p.Disciplines, []string{"MATHEMATIQUES"}) {
		t.Errorf("7001 head teacher of %v, disciplines %v", p.HeadTeacherOf, p.Disciplines)
	}
	if b.Dropped["PRENOM"] != 1 || b.Dropped["NOM_PATRONYMIQUE"] != 1 || b.Dropped["DATE_NAISSANCE"] != 3 {
		t.Errorf("dropped %v", b.Dropped)
	}
}

// formats.md §2.1: an emp_sts file (EDT_STS) goes the other way; it is
// refused with a message saying which file to export instead.
func TestSTSRefusesEDT(t *testing.T) {
	t.Parallel()
	_, err := importer.ParseSTS(strings.NewReader("<?xml version=\"1.0\"?>\n<EDT_STS/>"), "emp_sts_0999001W_2025.xml")
	checkParseError(t, err, "emp_sts_0999001W_2025.xml", 2, "EDT_STS", "export sts_emp_<UAI>_<YEAR>.xml from STS-Web")
	_, err = importer.Detect("emp_sts_0999001W_2025.xml", []byte("<?xml version=\"1.0\"?>\n<EDT_STS/>"))
	checkParseError(t, err, "emp_sts_0999001W_2025.xml", 1, "EDT_STS", "timetable software sends INTO STS-Web")
}
