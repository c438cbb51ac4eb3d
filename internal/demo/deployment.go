// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"github.com/preau/preau/internal/core"
)

// Establishment types, as written in demo-accounts.csv (design §4).
const (
	TypeEcole   = "ecole"
	TypeCollege = "college"
	TypeLycee   = "lycee"
)

// Group kinds (design §3).
const (
	KindClass      = "class"      // a class (division); Members are its pupils
	KindTeaching   = "teaching"   // a teaching group drawn from several classes
	KindDiscipline = "discipline" // the teachers of one discipline
	KindStaff      = "staff"      // every adult of the establishment
	KindCustom     = "custom"     // a club or council
)

// Deployment is one generated deployment: the establishments and the
// technical admin attached to all of them.
type Deployment struct {
	SchoolYear     int // the year the school year starts, e.g. 2026 for 2026-2027
	Establishments []Establishment
	Admin          Person // the technical admin, attached to every establishment
}

// Establishment is one school (tenant) with its people and groups. People
// come in a fixed order: the head, staff, teachers, then pupils class by
// class, each class sorted by family then given name.
type Establishment struct {
	UAI      string // 7 digits and the check letter, valid for core.ParseUAI
	Type     string // TypeEcole, TypeCollege or TypeLycee
	Name     string // e.g. "Collège Jean Moulin"
	Academie string
	City     string // the commune, public information
	Domain   string // staff mail domain; pupils use "eleves." + Domain
	People   []Person
	Groups   []Group
}

// Person is one account. It deliberately has no birth date, phone, postal
// address or guardian field (INF-ANN-8).
type Person struct {
	Key        string // stable and unique in the deployment, e.g. "0999001W/pupil/0001"
	Login      string // ASCII "prenom.nom", with a numeric suffix on collision; unique in the deployment
	GivenName  string // display form, with accents
	FamilyName string // display form, with accents
	Profile    core.Profile
	Discipline string // teachers (and an école head, who teaches): e.g. "Mathématiques"
	Function   string // heads and staff: e.g. "Principale", "CPE", "Secrétaire de direction"
	Class      string // pupils: the code of their class, e.g. "4B"
	Password   string // typed initial password, in clear: demo only
	MustChange bool   // a freshly imported account that must change its password at first login
	// PictureSequence is, for école pupils only, the 4 pictures of their
	// picture password in order (names from PictureSet).
	PictureSequence []string
	Mail            string // institutional address
	// ExternalIDs holds synthetic join keys: "siecle_eleve_id" or "be1d_id"
	// and "ine" for pupils, "sts_id" (secondary) or "aaf_jointure" (école)
	// for adults. Nil for the technical admin.
	ExternalIDs map[string]string
}

// Group is a class, teaching group, discipline group, staff group or custom
// group. Members and Owners hold Person.Key values of the same
// establishment, in People order, except that a class lists its
// MainTeacher first among its Owners. Members of classes, teaching groups
// and custom groups are pupils; owners are always adults.
type Group struct {
	Code    string // unique in the establishment, e.g. "6A", "1G-SPE-MATHS-2"
	Name    string // display name
	Kind    string // KindClass, KindTeaching, KindDiscipline, KindStaff or KindCustom
	Level   string // classes and teaching groups: "6e", "1re", "CE2-CM1"…; empty otherwise
	Members []string
	Owners  []string
	// MainTeacher is, for classes, the Person.Key of the professeur
	// principal (for an école, the class teacher). It is also Owners[0].
	MainTeacher string
}

// People returns every person of the deployment once, the admin first, then
// each establishment's people in order.
func (d *Deployment) People() []Person {
	n := 1
	for i := range d.Establishments {
		n += len(d.Establishments[i].People)
	}
	out := make([]Person, 0, n)
	out = append(out, d.Admin)
	for i := range d.Establishments {
		out = append(out, d.Establishments[i].People...)
	}
	return out
}

// PupilDomain returns the mail domain of the establishment's pupils,
// distinct from the staff domain (UTI-MSG-3).
func (e *Establishment) PupilDomain() string { return "eleves." + e.Domain }

// Group returns a pointer to the group of e.Groups with the given code, or
// nil if there is none.
func (e *Establishment) Group(code string) *Group {
	for i := range e.Groups {
		if e.Groups[i].Code == code {
			return &e.Groups[i]
		}
	}
	return nil
}
