// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
)

// mef is one MEF used by the classes: code, level and track.
type mef struct{ code, level string }

// mefs returns the MEFs of the classes, in Groups order.
func (s *exportSet) mefs() []mef {
	var out []mef
	seen := map[string]bool{}
	for _, g := range s.e.Groups {
		if g.Kind != KindClass {
			continue
		}
		c := mefCode(g.Level, track(g.Code, g.Level))
		if !seen[c] {
			seen[c] = true
			out = append(out, mef{c, g.Level})
		}
	}
	return out
}

// disciplines returns the disciplines taught, in order of first service.
func (s *exportSet) disciplines() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range s.e.Groups {
		for _, sv := range s.byGroup[g.Code] {
			if !seen[sv.discipline] {
				seen[sv.discipline] = true
				out = append(out, sv.discipline)
			}
		}
	}
	return out
}

// pad writes a fixed-width label as Nomenclature.xml does (formats.md §2.1).
func pad(s string, n int) string { return fmt.Sprintf("%-*s", n, s) }

// nomenclature renders Nomenclature.xml (BEE_NOMENCLATURES, formats.md §2.4).
func (s *exportSet) nomenclature() []byte {
	w := newXML("ISO-8859-15", "")
	w.open("BEE_NOMENCLATURES", "VERSION", "2.1")
	s.parametres(w)
	w.open("DONNEES")
	w.open("MEFS")
	for _, m := range s.mefs() {
		w.open("MEF", "CODE_MEF", m.code)
		w.leaf("FORMATION", pad(upperASCII(m.level), 20))
		w.leaf("LIBELLE_LONG", pad(upperASCII(m.level), 40))
		w.leaf("LIBELLE_EDITION", m.level)
		w.leaf("NB_OPT_OBLIG", "0")
		w.close("MEF")
	}
	w.close("MEFS")
	w.open("MATIERES")
	for _, d := range s.disciplines() {
		c := subjectCodes[d]
		w.open("MATIERE", "CODE_MATIERE", c.matiere)
		w.leaf("CODE_GESTION", pad(c.gestion, 6))
		w.leaf("LIBELLE_COURT", pad(upperASCII(d), 20))
		w.leaf("LIBELLE_LONG", pad(upperASCII(d), 40))
		w.leaf("LIBELLE_EDITION", d)
		w.close("MATIERE")
	}
	w.close("MATIERES")
	w.close("DONNEES")
	w.close("BEE_NOMENCLATURES")
	return w.latin9()
}

// sts renders sts_emp_<UAI>_<YEAR>.xml (STS_EDT, formats.md §2.5).
func (s *exportSet) sts() []byte {
	w := newXML("ISO-8859-15", "")
	w.open("STS_EDT")
	w.open("PARAMETRES")
	w.open("UAJ", "CODE", s.e.UAI)
	w.open("ACADEMIE")
	w.leaf("CODE", "99")
	w.leaf("LIBELLE", upperASCII(s.e.Academie))
	w.close("ACADEMIE")
	w.leaf("DENOM_PRINC", strings.ToUpper(s.e.Type))
	w.leaf("DENOM_COMPL", upperASCII(s.e.Name))
	w.leaf("ADRESSE", "1 place de la République")
	w.leaf("CODE_POSTAL", "99100")
	w.leaf("COMMUNE", upperASCII(s.e.City))
	w.leaf("TELEPHONE", "01 99 00 10 00")
	w.close("UAJ")
	w.open("ANNEE_SCOLAIRE", "ANNEE", strconv.Itoa(s.year))
	w.leaf("DATE_DEBUT", "01/09/"+strconv.Itoa(s.year))
	w.leaf("DATE_FIN", "31/08/"+strconv.Itoa(s.year+1))
	w.close("ANNEE_SCOLAIRE")
	w.close("PARAMETRES")
	s.stsNomenclatures(w)
	w.open("DONNEES")
	w.open("INDIVIDUS")
	for i := range s.e.People {
		if p := &s.e.People[i]; p.Profile.Adult() {
			s.individu(w, p)
		}
	}
	w.close("INDIVIDUS")
	w.open("STRUCTURE")
	s.stsStructures(w, KindClass, "DIVISIONS", "DIVISION")
	s.stsStructures(w, KindTeaching, "GROUPES", "GROUPE")
	w.close("STRUCTURE")
	w.close("DONNEES")
	w.close("STS_EDT")
	return w.latin9()
}

// stsNomenclatures writes the subjects and MEFs, named by @CODE in STS.
func (s *exportSet) stsNomenclatures(w *xmlOut) {
	w.open("NOMENCLATURES")
	w.open("MATIERES")
	for _, d := range s.disciplines() {
		c := subjectCodes[d]
		w.open("MATIERE", "CODE", c.matiere)
		w.leaf("CODE_GESTION", c.gestion)
		w.leaf("LIBELLE_COURT", upperASCII(d))
		w.leaf("LIBELLE_LONG", upperASCII(d))
		w.leaf("LIBELLE_EDITION", d)
		w.close("MATIERE")
	}
	w.close("MATIERES")
	w.open("MEFS")
	for _, m := range s.mefs() {
		w.open("MEF", "CODE", m.code)
		w.leaf("LIBELLE_COURT", upperASCII(m.level))
		w.leaf("LIBELLE_LONG", upperASCII(m.level))
		w.leaf("LIBELLE_EDITION", m.level)
		w.close("MEF")
	}
	w.close("MEFS")
	w.close("NOMENCLATURES")
}

// individu writes one INDIVIDU: identity (with the private data of the
// real export), function, head-teacher classes and post discipline.
func (s *exportSet) individu(w *xmlOut, p *Person) {
	v := s.priv[p.Key]
	w.open("INDIVIDU", "ID", stsID(p), "TYPE", "epp")
	w.leaf("SEXE", strconv.Itoa(v.sex))
	w.leaf("CIVILITE", strconv.Itoa(map[int]int{1: 1, 2: 3}[v.sex]))
	w.leaf("NOM_USAGE", p.FamilyName)
	w.leaf("NOM_PATRONYMIQUE", v.birthName)
	w.leaf("PRENOM", strings.Join(append([]string{p.GivenName}, v.otherGiven...), " "))
	w.leaf("DATE_NAISSANCE", frDate(v.birth))
	w.leaf("GRADE", v.grade)
	w.leaf("FONCTION", functionCode(p))
	if cs := s.principal[p.Key]; len(cs) > 0 && p.Profile == core.ProfileTeacher {
		w.open("PROFS_PRINC")
		for _, c := range cs {
			w.open("PROF_PRINC")
			w.leaf("CODE_STRUCTURE", c)
			w.leaf("DATE_DEBUT", frDate(s.date))
			w.close("PROF_PRINC")
		}
		w.close("PROFS_PRINC")
	}
	if p.Profile == core.ProfileTeacher && p.Discipline != "" {
		w.open("DISCIPLINES")
		w.open("DISCIPLINE", "CODE", subjectCodes[p.Discipline].poste)
		w.leaf("LIBELLE_COURT", upperASCII(p.Discipline))
		w.leaf("NB_HEURES", "18")
		w.close("DISCIPLINE")
		w.close("DISCIPLINES")
	}
	w.close("INDIVIDU")
}

// stsStructures writes the divisions or groups with their services.
func (s *exportSet) stsStructures(w *xmlOut, kind, list, item string) {
	w.open(list)
	for _, g := range s.e.Groups {
		if g.Kind != kind {
			continue
		}
		w.open(item, "CODE", g.Code)
		w.leaf("LIBELLE_LONG", g.Name)
		if kind == KindClass {
			w.open("MEFS_APPARTENANCE")
			w.empty("MEF", "CODE", mefCode(g.Level, track(g.Code, g.Level)))
			w.close("MEFS_APPARTENANCE")
		} else {
			w.open("DIVISIONS_APPARTENANCE")
			for _, c := range s.divisionsOf(g) {
				w.empty("DIVISION_APPARTENANCE", "CODE", c)
			}
			w.close("DIVISIONS_APPARTENANCE")
		}
		w.open("SERVICES")
		for _, sv := range s.byGroup[g.Code] {
			w.open("SERVICE", "CODE_MATIERE", subjectCodes[sv.discipline].matiere, "CODE_MOD_COURS", "CG")
			w.open("ENSEIGNANTS")
			for _, t := range sv.teachers {
				w.empty("ENSEIGNANT", "ID", stsID(s.person[t]), "TYPE", "epp")
			}
			w.close("ENSEIGNANTS")
			w.close("SERVICE")
		}
		w.close("SERVICES")
		w.close(item)
	}
	w.close(list)
}
