// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"slices"

	"github.com/preau/preau/internal/core"
)

// Source names the family of a file.
type Source string

// Sources. Merge joins the sources of the batches it merges with "+", in
// order of first appearance (e.g. "siecle+sts").
const (
	SourceSIECLE Source = "siecle" // SIECLE exports: BEE_ELEVES, BEE_STRUCTURES, BEE_NOMENCLATURES
	SourceSTS    Source = "sts"    // STS-Web export STS_EDT
	SourceAAF    Source = "aaf"    // AAF ficAlimMENESR files, Complet or Delta
	SourceCSV    Source = "csv"    // the documented CSV format (see the package doc)
)

// Key kinds: the stable source key of a person. They are also the names of
// the external identifiers of package directory.
const (
	KeySIECLE = "siecle_eleve_id" // SIECLE ELEVE/@ELEVE_ID
	KeySTS    = "sts_id"          // STS INDIVIDU/@ID
	KeyAAF    = "aaf_jointure"    // AAF ENTPersonJointure, always "SOURCE$id" (e.g. "MENESR$900001")
	KeyCSV    = "import_key"      // CSV column key
	KeyINE    = "ine"             // national pupil number (never a Key, only an ExternalIDs entry)
)

// Group kinds.
const (
	KindClass    = "class"    // a division
	KindTeaching = "teaching" // a teaching group (groupe)
)

// Batch is what one file (or several merged files) says about one
// establishment, reduced to what the school directory may hold (INF-ANN-6,
// INF-ANN-8). It holds no birth date, phone, address, guardian, sex, regime
// or any other value outside the allow-list of each parser; Dropped counts
// what was left out, by element or attribute name, never with the values.
type Batch struct {
	Source Source `json:"source"`
	// UAI is the establishment the file is for, canonical (core.ParseUAI);
	// "" for an AAF file whose establishment cannot be told.
	UAI string `json:"uai"`
	// SchoolYear is the year the school year starts (ANNEE_SCOLAIRE); 0 if
	// the format has none (AAF, CSV without school_year).
	SchoolYear int      `json:"school_year,omitempty"`
	Files      []string `json:"files"` // source file names, in order
	// Complete is true for a full export (SIECLE, STS, AAF Complet, CSV): a
	// person of the establishment missing from it has left. It is false for
	// an AAF Delta, which lists changes only.
	Complete bool `json:"complete"`
	// Covers lists the profiles the source lists in full (when Complete) or
	// changes (a Delta): pupils for BEE_ELEVES and AAF Eleve; teachers,
	// staff and heads for STS and AAF PersEducNat; the profiles of its rows
	// for CSV; none for Structures, Nomenclature and the AAF nomenclature
	// and structure files. A full import may disable people of these
	// profiles missing from People, and no others.
	Covers []core.Profile `json:"covers,omitempty"`
	People []Person       `json:"people,omitempty"` // in file order
	Groups []Group        `json:"groups,omitempty"` // classes and teaching groups named by the file, in order of first mention
	// Dropped counts the non-empty values left out, by the element,
	// attribute or column name as written in the file.
	Dropped map[string]int `json:"dropped,omitempty"`
	// Removed lists the people an AAF Delta deletes (deleteRequest).
	Removed []Key `json:"removed,omitempty"`
	// Inactive lists the pupils a SIECLE export still lists but who have
	// no current schooling: DATE_SORTIE on or before the export date, no
	// division, or a pseudo-division such as "Inactifs". They are not in
	// People; a full import treats them as gone.
	Inactive []Key `json:"inactive,omitempty"`
	// MEFs maps a MEF code to its label (Nomenclature.xml, STS, AAF
	// MefEducNat). Merge uses it to fill Group.Level.
	MEFs map[string]string `json:"mefs,omitempty"`
	// Subjects maps a subject code (CODE_MATIERE, AAF ENTMatJointure) to
	// its label. Merge uses it to fill Teaching.Subject.
	Subjects map[string]string `json:"subjects,omitempty"`
	// Structures maps an AAF structure id (EtabEducNat identifier and
	// jointure) to the UAI of the establishment. Merge uses it to fill
	// Person.UAI.
	Structures map[string]string `json:"structures,omitempty"`
	// Warnings are notes for the operator about data that was skipped or
	// guessed (an unknown pupil in STRUCTURES, a CSV read as ISO-8859-15…).
	// They name files, lines, elements and identifiers, never personal values.
	Warnings []string `json:"warnings,omitempty"`
}

// Key is the stable source key of a person: Kind is one of KeySIECLE,
// KeySTS, KeyAAF, KeyCSV.
type Key struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// String returns "kind:value".
func (k Key) String() string { return k.Kind + ":" + k.Value }

// Person is one person of a batch, with only allow-listed data.
type Person struct {
	Key Key `json:"key"`
	// ExternalIDs holds the join keys kept, Key included: "ine" (pupils),
	// "siecle_eleve_id", "sts_id", "aaf_jointure", "import_key".
	ExternalIDs map[string]string `json:"external_ids"`
	GivenName   string            `json:"given_name,omitempty"`  // usual given name (prénom usuel), else the first legal one
	FamilyName  string            `json:"family_name,omitempty"` // usual family name (nom d'usage) when present, else the legal one
	Profile     core.Profile      `json:"profile,omitempty"`     // empty only in a Partial record that does not change it
	// UAI is the establishment the person is attached to: the batch UAI for
	// single-establishment files, resolved from ENTPersonStructRattach for
	// AAF files; "" when it could not be resolved (see Structure).
	UAI string `json:"uai,omitempty"`
	// Structure is, for AAF files only, the structure id of
	// ENTPersonStructRattach as written in the file.
	Structure     string     `json:"structure,omitempty"`
	Class         string     `json:"class,omitempty"`           // pupils: class (division) code
	Groups        []string   `json:"groups,omitempty"`          // pupils: teaching group codes
	Disciplines   []string   `json:"disciplines,omitempty"`     // teachers: subject labels of their post (discipline de poste)
	Teaches       []Teaching `json:"teaches,omitempty"`         // teachers: class or group codes they teach, with subject
	HeadTeacherOf []string   `json:"head_teacher_of,omitempty"` // teachers: classes they are professeur principal of
	Functions     []string   `json:"functions,omitempty"`       // staff and heads: function labels (CPE, secrétaire…) when given
	// Partial is true for an AAF modifyRequest: only the fields named in
	// Fields are given, the others are unchanged.
	Partial bool `json:"partial,omitempty"`
	// Fields names the fields a partial record sets: "given_name",
	// "family_name", "profile", "uai", "class", "groups", "disciplines",
	// "teaches_classes", "teaches_groups", "head_teacher_of", "functions",
	// "external_ids". An empty list or value in a named field means "none"
	// (e.g. no more groups). AAF sends class and group services in separate
	// attributes, so "teaches_classes" says that Teaches holds every class
	// service (replace those) and "teaches_groups" every group service.
	Fields []string `json:"fields,omitempty"`
	Line   int      `json:"line"` // line of the record in its file, for error reports
}

// Teaching is one service of a teacher: a class or group code and a subject.
type Teaching struct {
	Group       string `json:"group"`
	Subject     string `json:"subject,omitempty"`      // label when known, else the code
	SubjectCode string `json:"subject_code,omitempty"` // the source's code (CODE_MATIERE, AAF subject id); may be empty
}

// Group is a class (division) or a teaching group.
type Group struct {
	Code  string `json:"code"`
	Name  string `json:"name,omitempty"`  // display name (LIBELLE_LONG) when given
	Kind  string `json:"kind"`            // KindClass or KindTeaching
	Level string `json:"level,omitempty"` // level label, from the MEF of a class or the classes of a group, when known
	MEF   string `json:"mef,omitempty"`   // classes: MEF code, when given
	// Divisions lists, for a teaching group, the classes its pupils come
	// from (DIVISIONS_APPARTENANCE), when given.
	Divisions []string `json:"divisions,omitempty"`
}

// newBatch returns an empty batch for one file.
func newBatch(src Source, file string) *Batch {
	return &Batch{Source: src, Files: []string{file}, Complete: true, Dropped: map[string]int{}}
}

// adults are the profiles of STS and AAF PersEducNat.
var adults = []core.Profile{core.ProfileTeacher, core.ProfileStaff, core.ProfileHead}

// cover adds profiles to b.Covers.
func (b *Batch) cover(ps ...core.Profile) {
	for _, p := range ps {
		if !slices.Contains(b.Covers, p) {
			b.Covers = append(b.Covers, p)
		}
	}
}

// drop counts one dropped value named name.
func (b *Batch) drop(name string) { b.Dropped[name]++ }

// groupSet collects the groups of a batch in order of first mention.
type groupSet struct {
	list []Group
	idx  map[string]int
}

// ensure returns the group with code, adding it with kind if it is new.
// A known group of another kind keeps its kind; ensure reports the clash.
func (s *groupSet) ensure(code, kind string) (g *Group, clash bool) {
	if s.idx == nil {
		s.idx = map[string]int{}
	}
	if i, ok := s.idx[code]; ok {
		g = &s.list[i]
		return g, kind != "" && g.Kind != "" && g.Kind != kind
	}
	s.idx[code] = len(s.list)
	s.list = append(s.list, Group{Code: code, Kind: kind})
	return &s.list[len(s.list)-1], false
}
