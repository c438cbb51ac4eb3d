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

// Merge of SIECLE + Structures + Nomenclature + STS for one UAI and year.
func TestMergeSIECLEAndSTS(t *testing.T) {
	t.Parallel()
	eleves := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	structs := mustParse(t, importer.ParseStructures, "Structures.xml")
	nomen := mustParse(t, importer.ParseNomenclature, "Nomenclature.xml")
	sts := mustParse(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml")
	m, err := importer.Merge(eleves, structs, nomen, sts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "siecle+sts" || m.UAI != "0999001W" || m.SchoolYear != 2025 || len(m.Files) != 4 || !m.Complete {
		t.Errorf("merged %s %s %d %v", m.Source, m.UAI, m.SchoolYear, m.Files)
	}
	if !slices.Equal(m.Covers, []core.Profile{core.ProfilePupil, core.ProfileTeacher, core.ProfileStaff, core.ProfileHead}) {
		t.Errorf("covers %v", m.Covers)
	}
	if len(m.People) != len(eleves.People)+len(sts.People) || len(m.Inactive) != 3 {
		t.Errorf("%d people, %d inactive", len(m.People), len(m.Inactive))
	}
	want := []importer.Group{
		{Code: "5B", Name: "5e B", Kind: "class", Level: "5e", MEF: "10110001110"},
		{Code: "5LAT", Name: "Latin 5e", Kind: "teaching", Level: "5e", Divisions: []string{"5A", "5B"}},
		{Code: "5A", Name: "5e A", Kind: "class", Level: "5e", MEF: "10110001110"},
		{Code: "5ESP", Name: "Espagnol LV2 5e", Kind: "teaching", Level: "5e", Divisions: []string{"5B"}},
	}
	if !equalGroups(m.Groups, want) {
		t.Errorf("groups %+v", m.Groups)
	}
	if m.Dropped["DATE_NAISS"] != 7 || m.Dropped["DATE_NAISSANCE"] != 3 {
		t.Errorf("dropped counts were not summed: %v", m.Dropped)
	}
	// The inputs are not modified.
	eleves.People[0].Groups[0] = "changed"
	if person(t, m, "900001").Groups[0] != "5LAT" {
		t.Error("the merged batch shares memory with its input")
	}
}

func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	eleves := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses.xml")
	other := mustParse(t, importer.ParseSIECLE, "ElevesAvecAdresses.xml")
	older := mustParse(t, importer.ParseSIECLE, "ElevesSansAdresses_v17.xml")
	csvB := mustParse(t, importer.ParseCSV, "comptes.csv")
	csvB.People = append(csvB.People, importer.Person{Key: importer.Key{Kind: "siecle_eleve_id", Value: "900001"}})
	aafClass := &importer.Batch{Groups: []importer.Group{{Code: "5LAT", Kind: "class"}}, Files: []string{"x.xml"}}
	for _, tc := range []struct {
		name string
		in   []*importer.Batch
		msg  string
	}{
		{"nothing", nil, "nothing to merge"},
		{"two UAIs", []*importer.Batch{eleves, other}, "two establishments (0999001W and 0999002X)"},
		{"two school years", []*importer.Batch{eleves, older}, "two school years (2025 and 2024)"},
		{"one person twice", []*importer.Batch{eleves, csvB}, "siecle_eleve_id:900001 is in ElevesSansAdresses.xml and comptes.csv"},
		{"class and group", []*importer.Batch{eleves, aafClass}, `"5LAT" is a teaching in one file and a class in another`},
	} {
		_, err := importer.Merge(tc.in...)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.msg)
		}
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head string
		want importer.Source
		err  string
	}{
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<BEE_ELEVES VERSION=\"2.1\">", importer.SourceSIECLE, ""},
		{"\xef\xbb\xbf<BEE_STRUCTURES>", importer.SourceSIECLE, ""},
		{"<?xml version=\"1.0\"?><!-- export --><BEE_NOMENCLATURES>", importer.SourceSIECLE, ""},
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<STS_EDT>", importer.SourceSTS, ""},
		{"<?xml version=\"1.0\"?>\n<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">\n<ficAlimMENESR>", importer.SourceAAF, ""},
		{"uai;profil;identifiant;prénom;nom\n", importer.SourceCSV, ""},
		{"\xef\xbb\xbfuai,profile,key,given_name,family_name,class\n", importer.SourceCSV, ""},
		{"<BEE_RESPONSABLES>", "", "guardians export"},
		{"<EDT_STS>", "", "timetable software"},
		{"<html>", "", "unknown root element <HTML>"},
		{"<?xml version=\"1.0\"?>", "", "no root element"},
		{"nom;prenom;date de naissance\n", "", "nor a CSV file"},
	} {
		got, err := importer.Detect("f", []byte(tc.head))
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Detect(%q) = %q, %v; want %q, %q", tc.head, got, err, tc.want, tc.err)
		}
	}
}

// Parse picks the parser from the content, whatever the file name.
func TestParseDispatch(t *testing.T) {
	t.Parallel()
	for _, in := range goldenInputs(t) {
		b, err := parseFixture(t, in)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(in[strings.LastIndex(in, "/")+1:], ".in")
		want := importer.SourceSIECLE
		switch {
		case strings.HasSuffix(name, ".csv"):
			want = importer.SourceCSV
		case strings.HasPrefix(name, "ENT_"):
			want = importer.SourceAAF
		case strings.HasPrefix(name, "sts_"):
			want = importer.SourceSTS
		}
		if !slices.Equal(b.Files, []string{name}) || b.Source != want {
			t.Errorf("%s: files %v source %s, want %s", in, b.Files, b.Source, want)
		}
	}
}
