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

const aafDir = "ENT_0999001W_Complet_20250902_"

// formats.md §3.3: classes and groups are structId$code; teachers' services
// structId$code$subject (subject optional); functions have 5 fields with
// "-" for none; empty <value/> are ignored.
func TestAAFDollarValues(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseAAF, aafDir+"Eleve_0000.xml")
	if p := person(t, b, "MENESR$900001"); p.Class != "5B" || !slices.Equal(p.Groups, []string{"5LAT"}) || p.Structure != "4242" {
		t.Errorf("pupil class %q groups %q structure %q", p.Class, p.Groups, p.Structure)
	}
	s := mustParse(t, importer.ParseAAF, aafDir+"PersEducNat_0000.xml")
	want := []importer.Teaching{
		{Group: "5B", Subject: "061300", SubjectCode: "061300"},
		{Group: "5LAT", Subject: "020300", SubjectCode: "020300"},
		{Group: "5A"}, // ENTAuxEnsClasses without a *Matieres value
	}
	p := person(t, s, "MENESR$7001")
	if !slices.Equal(p.Teaches, want) || !slices.Equal(p.HeadTeacherOf, []string{"5B"}) || !slices.Equal(p.Disciplines, []string{"MATHEMATIQUES"}) {
		t.Errorf("teacher %+v", p)
	}
	if p := person(t, s, "MENESR$7004"); !slices.Equal(p.Functions, []string{"CPE"}) || p.Profile != core.ProfileStaff {
		t.Errorf("CPE %+v", p)
	}
}

// formats.md §3.1, §4.3: ENTPersonJointure is kept as in the ENT directory,
// "MENESR$id"; a value that already has a source is kept.
func TestAAFJointure(t *testing.T) {
	t.Parallel()
	s := mustParse(t, importer.ParseAAF, aafDir+"PersEducNat_0000.xml")
	for _, k := range []string{"MENESR$7001", "MENESR$7003"} {
		if p := person(t, s, k); p.Key.Kind != "aaf_jointure" || p.ExternalIDs["aaf_jointure"] != k {
			t.Errorf("%s: key %v ids %v", k, p.Key, p.ExternalIDs)
		}
	}
	d := mustParse(t, importer.ParseAAF, "ENT_0999001W_Delta_20250915_Eleve_0000.xml")
	if !slices.Equal(d.Removed, []importer.Key{{Kind: "aaf_jointure", Value: "MENESR$900003"}}) {
		t.Errorf("removed %v", d.Removed)
	}
}

// formats.md §4.4: ENTPersonProfils in either scheme and any case; a
// DIR function makes a head; National_TUT records are dropped.
func TestAAFProfiles(t *testing.T) {
	t.Parallel()
	s := mustParse(t, importer.ParseAAF, aafDir+"PersEducNat_0000.xml")
	if p := person(t, s, "MENESR$7003"); p.Profile != core.ProfileHead || !slices.Equal(p.Functions, []string{"PRINCIPALE"}) {
		t.Errorf("head %+v", p)
	}
	doc := aafDoc(`<addRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes>
<identifier><id>1</id></identifier><attributes><attr name="sn"><value>A</value></attr><attr name="givenName"><value>B</value></attr>
<attr name="ENTPersonProfils"><value>National_3</value></attr></attributes></addRequest>
<addRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes>
<identifier><id>2</id></identifier><attributes><attr name="sn"><value>C</value></attr><attr name="givenName"><value>D</value></attr>
<attr name="ENTPersonProfils"><value>National_TUT</value></attr></attributes></addRequest>
<addRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes>
<identifier><id>3</id></identifier><attributes><attr name="sn"><value>E</value></attr><attr name="givenName"><value>F</value></attr>
<attr name="PersEducNatPresenceDevantEleves"><value>O</value></attr></attributes></addRequest>`)
	b, err := importer.ParseAAF(strings.NewReader(doc), "ENT_0999001W_Complet_20250902_PersEducNat_0000.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.People) != 2 || b.People[0].Profile != core.ProfileTeacher || b.People[1].Profile != core.ProfileTeacher {
		t.Errorf("people %+v", b.People)
	}
	if b.Dropped["ENTPersonProfils (guardian record)"] != 1 {
		t.Errorf("the guardian record was not counted: %v", b.Dropped)
	}
}

// formats.md §3.1: a Delta holds add, modify and delete requests; a modify
// that only changes dropped attributes gives nothing; the record kind
// comes from the file name when operationalAttributes is missing.
func TestAAFDelta(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseAAF, "ENT_0999001W_Delta_20250915_Eleve_0000.xml")
	if b.Complete {
		t.Error("a Delta is complete")
	}
	if p := person(t, b, "MENESR$900010"); p.Partial || p.Class != "5A" || p.Profile != core.ProfilePupil {
		t.Errorf("added pupil %+v", p)
	}
	p := person(t, b, "MENESR$900001")
	if !p.Partial || !slices.Equal(p.Fields, []string{"class", "groups"}) || p.Class != "5A" || len(p.Groups) != 0 {
		t.Errorf("modified pupil %+v", p)
	}
	if len(b.People) != 2 || b.Dropped["homePhone"] != 1 {
		t.Errorf("a phone-only modification was kept: %+v %v", b.People, b.Dropped)
	}
}

// formats.md §3.2: PersRelEleve (guardians) is parsed and entirely dropped.
func TestAAFPersRelEleve(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseAAF, aafDir+"PersRelEleve_0000.xml")
	if len(b.People) != 0 || len(b.Groups) != 0 || b.Dropped["PersRelEleve"] != 1 || b.Dropped["sn"] != 1 {
		t.Errorf("guardians file gave %+v", b)
	}
}

// formats.md §3.3: EtabEducNat maps structure ids to UAIs; ENTStructureGroupes
// is code$label$divisions, with "0" for no label.
func TestAAFEtab(t *testing.T) {
	t.Parallel()
	b := mustParse(t, importer.ParseAAF, aafDir+"EtabEducNat_0000.xml")
	if b.Structures["4242"] != "0999001W" || b.UAI != "0999001W" {
		t.Errorf("structures %v UAI %s", b.Structures, b.UAI)
	}
	want := []importer.Group{
		{Code: "5A", Name: "5e A", Kind: "class", MEF: "10110001110"},
		{Code: "5B", Name: "5e B", Kind: "class"},
		{Code: "5LAT", Kind: "teaching", Divisions: []string{"5A", "5B"}},
	}
	if !equalGroups(b.Groups, want) {
		t.Errorf("groups %+v", b.Groups)
	}
}

// An académie-wide file: without a UAI it is refused (TestParseErrors);
// with AAFOptions.UAI only that establishment's records and values remain,
// including a teacher attached elsewhere who teaches there.
func TestAAFOptionsUAI(t *testing.T) {
	t.Parallel()
	teacher := `<addRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes>
<identifier><id>7100</id></identifier><attributes><attr name="sn"><value>A</value></attr><attr name="givenName"><value>B</value></attr>
<attr name="ENTPersonStructRattach"><value>4343</value></attr>
<attr name="ENTAuxEnsClassesMatieres"><value>4343$6A$061300</value><value>4242$5A$061300</value></attr>
<attr name="ENTPersonFonctions"><value>4343$ENS$ENSEIGNEMENT$L1300$MATHEMATIQUES</value></attr></attributes></addRequest>`
	doc := aafDoc(aafPupil("900001", "4242", `<attr name="ENTEleveClasses"><value>4242$5A</value></attr>`) + "\n" +
		aafPupil("900002", "4343", `<attr name="ENTEleveClasses"><value>4343$6A</value></attr>`) + "\n" + teacher)
	b, err := importer.ParseAAFWith(strings.NewReader(doc), "ENT_099_Complet_20250902_Eleve_0000.xml",
		importer.AAFOptions{UAI: "0999001W", Structures: map[string]string{"4242": "0999001W", "4343": "0999002X"}})
	if err != nil {
		t.Fatal(err)
	}
	if b.UAI != "0999001W" || len(b.People) != 2 {
		t.Fatalf("UAI %s people %+v", b.UAI, b.People)
	}
	p := person(t, b, "MENESR$7100")
	want := []importer.Teaching{{Group: "5A", Subject: "061300", SubjectCode: "061300"}}
	if p.UAI != "0999002X" || !slices.Equal(p.Teaches, want) || p.Profile != core.ProfileTeacher {
		t.Errorf("teacher from elsewhere %+v", p)
	}
	if b.Dropped["entauxensclassesmatieres (other establishment)"] != 1 {
		t.Errorf("dropped %v", b.Dropped)
	}
	if _, err := importer.ParseAAFWith(strings.NewReader(doc), "x.xml", importer.AAFOptions{UAI: "0999001A"}); core.KindOf(err) != core.Invalid {
		t.Errorf("a bad UAI option gave %v", err)
	}
}

// Merge of the AAF files of one day resolves subject ids and structure ids.
func TestAAFMerge(t *testing.T) {
	t.Parallel()
	var bs []*importer.Batch
	for _, typ := range []string{"EtabEducNat", "MatiereEducNat", "Eleve", "PersEducNat", "PersRelEleve"} {
		bs = append(bs, mustParse(t, importer.ParseAAF, aafDir+typ+"_0000.xml"))
	}
	m, err := importer.Merge(bs...)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "aaf" || m.UAI != "0999001W" || len(m.People) != 5 || !m.Complete {
		t.Fatalf("merged %s %s %d people", m.Source, m.UAI, len(m.People))
	}
	want := []importer.Teaching{
		{Group: "5B", Subject: "MATHEMATIQUES", SubjectCode: "061300"},
		{Group: "5LAT", Subject: "LATIN", SubjectCode: "020300"},
		{Group: "5A"},
	}
	if p := person(t, m, "MENESR$7001"); !slices.Equal(p.Teaches, want) {
		t.Errorf("teaches %+v", p.Teaches)
	}
	want5B := importer.Group{Code: "5B", Name: "5e B", Kind: "class"}
	if i := slices.IndexFunc(m.Groups, func(g importer.Group) bool { return g.Code == "5B" }); i < 0 || !equalGroups(m.Groups[i:i+1], []importer.Group{want5B}) {
		t.Errorf("groups %+v", m.Groups)
	}
}
