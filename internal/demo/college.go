// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import "strings"

// collegeTeam is the teaching staff of the collège: 40 teachers.
var collegeTeam = []staffing{
	{discLettres, 6}, {discClassiques, 1}, {discMaths, 6}, {discHistGeo, 4},
	{discAnglais, 4}, {discEspagnol, 3}, {discAllemand, 1}, {discSVT, 3},
	{discPhysique, 3}, {discTechno, 2}, {discEPS, 4}, {discArts, 1},
	{discMusique, 1}, {discDoc, 1},
}

// collegeStaff is the non-teaching staff of the collège, head excepted.
var collegeStaff = []post{
	{"Principal adjoint", "Principale adjointe", 1},
	{"CPE", "CPE", 2},
	{"Secrétaire de direction", "Secrétaire de direction", 1},
	{"Gestionnaire", "Gestionnaire", 1},
	{"Assistant d'éducation", "Assistante d'éducation", 4},
	{"Infirmier", "Infirmière", 1},
	{"Psychologue de l'Éducation nationale", "Psychologue de l'Éducation nationale", 1},
}

// collegeLevels are the collège levels, youngest first, with the subjects
// every class of the level has (LV2 Spanish by class; German and Latin are
// teaching groups).
var collegeLevels = []struct {
	digit, level string
	subjects     []string
}{
	{"6", "6e", []string{discLettres, discMaths, discHistGeo, discAnglais, discSVT,
		discTechno, discEPS, discArts, discMusique}},
	{"5", "5e", collegeSubjects},
	{"4", "4e", collegeSubjects},
	{"3", "3e", collegeSubjects},
}

var collegeSubjects = []string{discLettres, discMaths, discHistGeo, discAnglais,
	discEspagnol, discSVT, discPhysique, discTechno, discEPS, discArts, discMusique}

// college generates the collège: 4 levels × 6 classes of about 25 pupils.
func (g *generator) college() Establishment {
	s := g.newSchool("0999001", TypeCollege, "Collège Jean Moulin", "clg-jean-moulin", 660)
	head := s.head("Principal", "Principale", "")
	s.staff(collegeStaff)
	s.hire(collegeTeam)
	for _, lv := range collegeLevels {
		for _, letter := range "ABCDEF" {
			code := lv.digit + string(letter)
			s.class(code, lv.level+" "+string(letter), lv.level, s.around(25, 2), lv.subjects)
		}
	}
	for _, lv := range collegeLevels[1:] {
		pupils := s.members(classCodes(lv.digit, "ABCDEF")...)
		s.teaching("LV2-ALL-"+strings.ToUpper(lv.level), "Allemand LV2 "+lv.level, lv.level,
			discAllemand, s.choose(pupils, 0.15), 30)
		s.teaching("LATIN-"+strings.ToUpper(lv.level), "Latin "+lv.level, lv.level,
			discClassiques, s.choose(pupils, 0.12), 30)
	}
	s.disciplineGroups(collegeTeam, head)
	s.staffGroup(head)
	older := s.members(append(classCodes("4", "ABCDEF"), classCodes("3", "ABCDEF")...)...)
	s.custom("CLUB-ROBOTIQUE", "Club robotique", s.sample(older, 16), s.teachers[discTechno][0])
	s.flagFresh(0.05)
	return s.e
}

// classCodes returns prefix followed by each letter: "6", "AB" → 6A, 6B.
func classCodes(prefix, letters string) []string {
	var out []string
	for _, l := range letters {
		out = append(out, prefix+string(l))
	}
	return out
}
