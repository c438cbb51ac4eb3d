// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"strconv"

	"github.com/preau/preau/internal/core"
)

// parametres writes the PARAMETRES block of the SIECLE exports.
func (s *exportSet) parametres(w *xmlOut) {
	w.open("PARAMETRES")
	w.leaf("UAJ", s.e.UAI)
	w.leaf("ANNEE_SCOLAIRE", strconv.Itoa(s.year))
	w.leaf("DATE_EXPORT", frDate(s.date))
	w.leaf("HORODATAGE", frDate(s.date)+" 07:42:13")
	w.close("PARAMETRES")
}

// eleves renders ElevesSansAdresses.xml (BEE_ELEVES 2.1, formats.md §2.2):
// every pupil with the personal data of the real export, options and
// structures.
func (s *exportSet) eleves() []byte {
	w := newXML("ISO-8859-15", "")
	w.open("BEE_ELEVES", "VERSION", "2.1")
	s.parametres(w)
	w.open("DONNEES")
	w.open("ELEVES")
	for i := range s.e.People {
		if p := &s.e.People[i]; p.Profile == core.ProfilePupil {
			s.eleve(w, p)
		}
	}
	w.close("ELEVES")
	w.open("OPTIONS")
	for i := range s.e.People {
		p := &s.e.People[i]
		if p.Profile != core.ProfilePupil {
			continue
		}
		w.open("OPTION", "ELEVE_ID", p.ExternalIDs["siecle_eleve_id"], "ELENOET", s.elenoet[p.Key])
		w.open("OPTIONS_ELEVE")
		w.leaf("NUM_OPTION", "1")
		w.leaf("CODE_MODALITE_ELECT", "O")
		w.leaf("CODE_MATIERE", subjectCodes[discAnglais].matiere)
		w.close("OPTIONS_ELEVE")
		w.close("OPTION")
	}
	w.close("OPTIONS")
	w.open("STRUCTURES")
	for i := range s.e.People {
		if p := &s.e.People[i]; p.Profile == core.ProfilePupil {
			w.open("STRUCTURES_ELEVE", "ELEVE_ID", p.ExternalIDs["siecle_eleve_id"], "ELENOET", s.elenoet[p.Key])
			structure(w, p.Class, "D")
			for _, g := range s.groupsOf[p.Key] {
				structure(w, g, "G")
			}
			w.close("STRUCTURES_ELEVE")
		}
	}
	w.close("STRUCTURES")
	w.close("DONNEES")
	w.close("BEE_ELEVES")
	return w.latin9()
}

func structure(w *xmlOut, code, typ string) {
	w.open("STRUCTURE")
	w.leaf("CODE_STRUCTURE", code)
	w.leaf("TYPE_STRUCTURE", typ)
	w.close("STRUCTURE")
}

// eleve writes one ELEVE record.
func (s *exportSet) eleve(w *xmlOut, p *Person) {
	v := s.priv[p.Key]
	noet := s.elenoet[p.Key]
	w.open("ELEVE", "ELEVE_ID", p.ExternalIDs["siecle_eleve_id"], "ELENOET", noet)
	w.leaf("ID_NATIONAL", p.ExternalIDs["ine"])
	w.leaf("ELENOET", noet)
	w.leaf("ID_ELEVE_ETAB", noet+s.e.UAI[:7])
	w.leaf("NOM_DE_FAMILLE", v.birthName)
	usage := ""
	if v.birthName != p.FamilyName {
		usage = p.FamilyName
	}
	w.leaf("NOM_USAGE", usage)
	w.leaf("PRENOM", p.GivenName)
	for i, g := range v.otherGiven {
		w.leaf("PRENOM"+strconv.Itoa(i+2), g)
	}
	w.leaf("DATE_NAISS", frDate(v.birth))
	w.leaf("CODE_SEXE", strconv.Itoa(v.sex))
	w.leaf("CODE_PAYS", "100")
	w.leaf("CODE_DEPARTEMENT_NAISS", v.dept)
	w.leaf("CODE_COMMUNE_INSEE_NAISS", v.insee)
	w.leaf("VILLE_NAISS", v.birthCity)
	w.leaf("CODE_MEF", mefCode(s.level[p.Class], track(p.Class, s.level[p.Class])))
	w.leaf("CODE_STATUT", "ST")
	w.leaf("CODE_REGIME", strconv.Itoa(v.regime))
	w.leaf("DOUBLEMENT", map[bool]string{false: "0", true: "1"}[v.repeating])
	w.leaf("DATE_ENTREE", frDate(s.date.AddDate(0, 0, -1)))
	exit := ""
	if t, ok := s.left[p.Key]; ok {
		exit = frDate(t)
	}
	w.leaf("DATE_SORTIE", exit)
	if v.mail != "" {
		w.leaf("MEL", v.mail)
	}
	if v.mobile != "" {
		w.leaf("TEL_PORTABLE", v.mobile)
	}
	if v.home != "" {
		w.leaf("TEL_PERSONNEL", v.home)
	}
	w.open("SCOLARITE_AN_DERNIER")
	w.leaf("CODE_RNE", core.MakeUAI("0999099"))
	w.leaf("DENOM_PRINC", "COLLEGE")
	w.leaf("LIGNE1_ADRESSE", "2 rue de l'Ancienne École")
	w.leaf("TELEPHONE", "01 99 00 00 99")
	w.close("SCOLARITE_AN_DERNIER")
	w.close("ELEVE")
}

// structures renders Structures.xml (BEE_STRUCTURES, formats.md §2.4).
func (s *exportSet) structures() []byte {
	w := newXML("ISO-8859-15", "")
	w.open("BEE_STRUCTURES", "VERSION", "2.1")
	s.parametres(w)
	w.open("DONNEES")
	w.open("DIVISIONS")
	for _, g := range s.e.Groups {
		if g.Kind == KindClass {
			w.open("DIVISION")
			w.leaf("CODE_STRUCTURE", g.Code)
			w.leaf("LIBELLE_LONG", g.Name)
			w.open("MEFS_APPARTENANCE")
			w.open("MEF_APPARTENANCE")
			w.leaf("CODE_MEF", mefCode(g.Level, track(g.Code, g.Level)))
			w.close("MEF_APPARTENANCE")
			w.close("MEFS_APPARTENANCE")
			w.close("DIVISION")
		}
	}
	w.close("DIVISIONS")
	w.open("GROUPES")
	for _, g := range s.e.Groups {
		if g.Kind == KindTeaching {
			w.open("GROUPE")
			w.leaf("CODE_STRUCTURE", g.Code)
			w.leaf("LIBELLE_LONG", g.Name)
			w.open("DIVISIONS_APPARTENANCE")
			for _, c := range s.divisionsOf(g) {
				w.open("DIVISION_APPARTENANCE")
				w.leaf("CODE_STRUCTURE", c)
				w.close("DIVISION_APPARTENANCE")
			}
			w.close("DIVISIONS_APPARTENANCE")
			w.close("GROUPE")
		}
	}
	w.close("GROUPES")
	w.close("DONNEES")
	w.close("BEE_STRUCTURES")
	return w.latin9()
}

// divisionsOf returns the classes of a group's members, in Groups order.
func (s *exportSet) divisionsOf(g Group) []string {
	in := map[string]bool{}
	for _, m := range g.Members {
		in[s.person[m].Class] = true
	}
	var out []string
	for _, c := range s.e.Groups {
		if c.Kind == KindClass && in[c.Code] {
			out = append(out, c.Code)
		}
	}
	return out
}
