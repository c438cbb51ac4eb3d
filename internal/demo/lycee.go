// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"slices"
	"strconv"
	"strings"
)

// lyceeTeam is the teaching staff of the lycée: 102 teachers.
var lyceeTeam = []staffing{
	{discLettres, 10}, {discMaths, 13}, {discHistGeo, 10}, {discAnglais, 10},
	{discEspagnol, 7}, {discAllemand, 3}, {discSVT, 7}, {discPhysique, 10},
	{discSES, 6}, {discEPS, 8}, {discPhilo, 5}, {discEcoGestion, 4}, {discSI, 3},
	{discNSI, 3}, {discDoc, 2}, {discArts, 1},
}

// lyceeStaff is the non-teaching staff of the lycée, head excepted.
var lyceeStaff = []post{
	{"Proviseur adjoint", "Proviseure adjointe", 1},
	{"CPE", "CPE", 3},
	{"Secrétaire de direction", "Secrétaire de direction", 1},
	{"Secrétaire de scolarité", "Secrétaire de scolarité", 1},
	{"Gestionnaire", "Gestionnaire", 1},
	{"Assistant d'éducation", "Assistante d'éducation", 6},
	{"Infirmier", "Infirmière", 1},
	{"Psychologue de l'Éducation nationale", "Psychologue de l'Éducation nationale", 1},
}

// lyceeTrack is a series of classes of one level: codes prefix1…prefixN.
type lyceeTrack struct {
	prefix, name, level string
	n                   int
	subjects            []string
}

// lyceeTracks lists every class series, 41 classes of about 36 pupils.
var lyceeTracks = []lyceeTrack{
	{"2NDE", "Seconde", "2nde", 15, []string{discLettres, discMaths, discHistGeo, discAnglais,
		discEspagnol, discSVT, discPhysique, discSES, discEPS, discNSI}},
	{"1G", "Première générale", "1re", 10, []string{discLettres, discHistGeo, discAnglais,
		discEspagnol, discPhysique, discEPS}},
	{"1STMG", "Première STMG", "1re", 2, []string{discLettres, discMaths, discHistGeo,
		discAnglais, discEspagnol, discEPS, discEcoGestion}},
	{"1STI2D", "Première STI2D", "1re", 1, []string{discLettres, discMaths, discPhysique,
		discHistGeo, discAnglais, discEPS, discSI}},
	{"TG", "Terminale générale", "Tle", 10, []string{discPhilo, discHistGeo, discAnglais,
		discEspagnol, discSVT, discEPS}},
	{"TSTMG", "Terminale STMG", "Tle", 2, []string{discPhilo, discMaths, discHistGeo,
		discAnglais, discEspagnol, discEPS, discEcoGestion}},
	{"TSTI2D", "Terminale STI2D", "Tle", 1, []string{discPhilo, discMaths, discPhysique,
		discHistGeo, discAnglais, discEPS, discSI}},
}

// speciality is an enseignement de spécialité of the voie générale, with
// how often pupils choose it (relative weight).
type speciality struct {
	code, name, discipline string
	weight                 float64
}

var specialities = []speciality{
	{"MATHS", "Spécialité mathématiques", discMaths, 60},
	{"PC", "Spécialité physique-chimie", discPhysique, 40},
	{"SVT", "Spécialité SVT", discSVT, 35},
	{"SES", "Spécialité SES", discSES, 40},
	{"HGGSP", "Spécialité HGGSP", discHistGeo, 35},
	{"HLP", "Spécialité HLP", discPhilo, 20},
	{"LLCER-ANG", "Spécialité LLCER anglais", discAnglais, 25},
	{"NSI", "Spécialité NSI", discNSI, 15},
	{"SI", "Spécialité sciences de l'ingénieur", discSI, 10},
}

// lycee generates the lycée: about 1,500 pupils in 41 classes, with
// spécialité and language groups that mix pupils of several classes.
func (g *generator) lycee() Establishment {
	s := g.newSchool("0999002", TypeLycee, "Lycée Marie Curie", "lyc-marie-curie", 1620)
	head := s.head("Proviseur", "Proviseure", "")
	s.staff(lyceeStaff)
	s.hire(lyceeTeam)
	byLevel := map[string][]string{} // level → pupils, in People order
	for _, t := range lyceeTracks {
		for i := 1; i <= t.n; i++ {
			n := strconv.Itoa(i)
			m := s.class(t.prefix+n, t.name+" "+n, t.level, s.around(36, 2), t.subjects)
			byLevel[t.level] = append(byLevel[t.level], m...)
		}
	}
	s.specialityGroups("1G", "1re", s.members(classCodesN("1G", 10)...), 3)
	s.specialityGroups("TG", "Tle", s.members(classCodesN("TG", 10)...), 2)
	for _, lv := range []string{"2nde", "1re", "Tle"} {
		s.teaching("LV2-ALL-"+strings.ToUpper(lv), "Allemand LV2 "+lv, lv, discAllemand,
			s.choose(byLevel[lv], 0.2), 30)
	}
	s.teaching("OPT-ARTS-2NDE", "Option arts plastiques 2nde", "2nde", discArts,
		s.choose(byLevel["2nde"], 0.05), 30)
	s.disciplineGroups(lyceeTeam, head)
	s.staffGroup(head)
	all := slices.Concat(byLevel["2nde"], byLevel["1re"], byLevel["Tle"])
	s.custom("CLUB-THEATRE", "Club théâtre", s.sample(all, 20), s.teachers[discLettres][0])
	s.custom("CVL", "Conseil de la vie lycéenne", s.sample(all, 10), head, s.byFunction("CPE"))
	s.flagFresh(0.05)
	return s.e
}

// specialityGroups draws k distinct spécialités for each pupil and makes
// groups of at most 35 per spécialité, coded e.g. "1G-SPE-MATHS-2".
func (s *school) specialityGroups(prefix, level string, pupils []string, k int) {
	chosen := make([][]string, len(specialities))
	weights := make([]float64, len(specialities))
	for _, p := range pupils {
		for i, sp := range specialities {
			weights[i] = sp.weight
		}
		for range k {
			i := s.weighted(weights)
			weights[i] = 0
			chosen[i] = append(chosen[i], p)
		}
	}
	for i, sp := range specialities {
		s.teaching(prefix+"-SPE-"+sp.code, sp.name+" "+level, level, sp.discipline, chosen[i], 35)
	}
}

// weighted returns an index drawn with probability proportional to w.
func (s *school) weighted(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	t := s.r.Float64() * total
	for i, x := range w {
		if t < x {
			return i
		}
		t -= x
	}
	for i := len(w) - 1; i >= 0; i-- { // rounding: the last non-zero weight
		if w[i] > 0 {
			return i
		}
	}
	return 0
}

// byFunction returns the key of the first person with that function.
func (s *school) byFunction(f string) string {
	for _, p := range s.e.People {
		if p.Function == f {
			return p.Key
		}
	}
	return ""
}

// classCodesN returns prefix1…prefixN.
func classCodesN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}
