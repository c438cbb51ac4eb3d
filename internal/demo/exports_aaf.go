// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"strings"

	"github.com/preau/preau/internal/core"
)

// aafAttr is one attribute of an AAF request, with its values.
type aafAttr struct {
	name   string
	values []string
}

func av(name string, values ...string) aafAttr { return aafAttr{name, values} }

// newAAF starts a ficAlimMENESR document (formats.md §3.1).
func newAAF() *xmlOut {
	w := newXML("ISO-8859-15", `<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">`)
	w.open("ficAlimMENESR")
	return w
}

// request writes an addRequest or modifyRequest ("add", "modify") or a
// deleteRequest ("delete", attrs ignored).
func request(w *xmlOut, op, category, value, id string, attrs []aafAttr) {
	w.open(op + "Request")
	w.open("operationalAttributes")
	w.open("attr", "name", category)
	w.leaf("value", value)
	w.close("attr")
	w.close("operationalAttributes")
	w.open("identifier")
	w.leaf("id", id)
	w.close("identifier")
	switch op {
	case "add":
		w.open("attributes")
		for _, a := range attrs {
			if len(a.values) == 0 {
				continue // the DTD wants value+
			}
			w.open("attr", "name", a.name)
			for _, v := range a.values {
				w.leaf("value", v)
			}
			w.close("attr")
		}
		w.close("attributes")
	case "modify":
		w.open("modifications")
		for _, a := range attrs {
			w.open("modification", "name", a.name, "operation", "replace")
			for _, v := range a.values {
				w.leaf("value", v)
			}
			w.close("modification")
		}
		w.close("modifications")
	}
	w.close(op + "Request")
}

// aafComplet renders the AAF Complet file of one type.
func (s *exportSet) aafComplet(typ string) []byte {
	w := newAAF()
	switch typ {
	case "EtabEducNat":
		request(w, "add", "categorieStructure", "EtabEducNat", s.structID(), s.etabAttrs())
	case "MatiereEducNat":
		for _, d := range s.disciplines() {
			c := subjectCodes[d].matiere
			request(w, "add", "categorieMatiere", "Matiere", c, []aafAttr{av("ENTMatJointure", c), av("ENTLibelleMatiere", d)})
		}
	case "MefEducNat":
		for _, m := range s.mefs() {
			request(w, "add", "categorieMef", "Mef", m.code, []aafAttr{av("ENTMefJointure", m.code),
				av("ENTLibelleMef", m.level), av("ENTNivFormation", upperASCII(m.level))})
		}
	case "Eleve", "PersEducNat", "PersRelEleve":
		for i := range s.e.People {
			s.personRequests(w, typ, &s.e.People[i])
		}
	}
	w.close("ficAlimMENESR")
	return w.latin9()
}

// personRequests writes the requests of one person in a person file.
func (s *exportSet) personRequests(w *xmlOut, typ string, p *Person) {
	switch {
	case typ == "Eleve" && p.Profile == core.ProfilePupil:
		request(w, "add", "categoriePersonne", "Eleve", p.ExternalIDs["siecle_eleve_id"], s.eleveAttrs(p))
	case typ == "PersEducNat" && p.Profile.Adult():
		request(w, "add", "categoriePersonne", "PersEducNat", stsID(p), s.persAttrs(p))
	case typ == "PersRelEleve" && p.Profile == core.ProfilePupil:
		for _, g := range s.priv[p.Key].guardians {
			v := s.priv[p.Key]
			request(w, "add", "categoriePersonne", "PersRelEleve", g.id, []aafAttr{
				av("ENTPersonJointure", g.id), av("sn", g.family), av("givenName", g.given),
				av("personalTitle", g.title), av("mobile", g.mobile), av("mail", g.mail),
				av("ENTPersonAdresse", v.street), av("ENTPersonCodePostal", v.postcode),
				av("ENTPersonVille", v.city), av("ENTPersonPays", "FRANCE"),
				av("ENTAuxPersRelEleveEleve", p.ExternalIDs["siecle_eleve_id"])})
		}
	}
}

// etabAttrs are the attributes of the EtabEducNat record.
func (s *exportSet) etabAttrs() []aafAttr {
	var classes, groups []string
	for _, g := range s.e.Groups {
		switch g.Kind {
		case KindClass:
			classes = append(classes, g.Code+"$"+g.Name+"$"+mefCode(g.Level, track(g.Code, g.Level)))
		case KindTeaching:
			groups = append(groups, strings.Join(append([]string{g.Code, g.Name}, s.divisionsOf(g)...), "$"))
		}
	}
	return []aafAttr{av("ENTStructureJointure", s.structID()), av("ENTStructureUAI", s.e.UAI),
		av("ENTStructureNomCourant", upperASCII(s.e.Name)), av("ENTStructureTypeStruct", strings.ToUpper(s.e.Type)),
		av("ENTEtablissementContrat", "PU"), av("street", "1 place de la République"), av("postalCode", "99100"),
		av("l", upperASCII(s.e.City)), av("telephoneNumber", "01 99 00 10 00"),
		av("ENTStructureClasses", classes...), av("ENTStructureGroupes", groups...)}
}

// eleveAttrs are the attributes of a pupil's Eleve record, with the
// personal data of the real feed.
func (s *exportSet) eleveAttrs(p *Person) []aafAttr {
	v, sid := s.priv[p.Key], s.structID()
	level := s.level[p.Class]
	var rel, groups []string
	for _, g := range v.guardians {
		rel = append(rel, fmt.Sprintf("%s$%d$1$1$1$0", g.id, g.relation))
	}
	for _, g := range s.groupsOf[p.Key] {
		groups = append(groups, sid+"$"+g)
	}
	attrs := []aafAttr{av("ENTPersonJointure", p.ExternalIDs["siecle_eleve_id"]),
		av("ENTPersonDateNaissance", frDate(v.birth)), av("sn", p.FamilyName), av("givenName", p.GivenName),
		av("ENTPersonNomPatro", v.birthName), av("ENTPersonAutresPrenoms", append([]string{p.GivenName}, v.otherGiven...)...),
		av("personalTitle", map[int]string{1: "M.", 2: "Mme"}[v.sex]), av("ENTElevePersRelEleve", rel...),
		av("ENTPersonStructRattach", sid), av("ENTEleveStructRattachId", s.elenoet[p.Key]),
		av("ENTEleveBoursier", "N"), av("ENTEleveRegime", []string{"EXTERNE LIBRE", "", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT", "INTERNE DANS L'ETABLISSEMENT"}[v.regime]),
		av("ENTEleveTransport", "N"), av("ENTEleveStatutEleve", "SCOLAIRE"),
		av("ENTEleveMEF", mefCode(level, track(p.Class, level))), av("ENTEleveLibelleMEF", upperASCII(level)),
		av("ENTEleveNivFormation", upperASCII(level)), av("ENTEleveFiliere", upperASCII(level)),
		av("ENTEleveClasses", sid+"$"+p.Class), av("ENTEleveGroupes", groups...),
		av("ENTPersonAdresse", v.street), av("ENTPersonCodePostal", v.postcode), av("ENTPersonVille", v.city),
		av("ENTPersonPays", "FRANCE"), av("ENTPersonProfils", "National_ELV")}
	if v.home != "" {
		attrs = append(attrs, av("homePhone", v.home))
	}
	return attrs
}

// persAttrs are the attributes of an adult's PersEducNat record.
func (s *exportSet) persAttrs(p *Person) []aafAttr {
	v, sid, code := s.priv[p.Key], s.structID(), functionCode(p)
	fn, presence := sid+"$"+code+"$"+p.Function+"$-$-", "N" // heads and staff: their function title
	if code == "ENS" || code == "DOC" {
		fn = sid + "$" + code + "$ENSEIGNEMENT$" + subjectCodes[p.Discipline].poste + "$" + upperASCII(p.Discipline)
		presence = "O"
	}
	attrs := []aafAttr{av("ENTPersonJointure", stsID(p)), av("ENTPersonDateNaissance", frDate(v.birth)),
		av("sn", p.FamilyName), av("givenName", p.GivenName), av("ENTPersonNomPatro", v.birthName),
		av("ENTPersonAutresPrenoms", append([]string{p.GivenName}, v.otherGiven...)...),
		av("personalTitle", map[int]string{1: "M.", 2: "Mme"}[v.sex]),
		av("mail", slug(p.GivenName)+"."+slug(p.FamilyName)+"@ac-demo.test"),
		av("ENTPersonStructRattach", sid), av("ENTPersonFonctions", fn),
		av("ENTPersonProfils", nationalProfile(code)), av("PersEducNatPresenceDevantEleves", presence)}
	return append(attrs, s.teachingAttrs(p)...)
}

// teachingAttrs are the ENTAuxEns* attributes of a teacher.
func (s *exportSet) teachingAttrs(p *Person) []aafAttr {
	sid := s.structID()
	var classes, groups, classSubj, groupSubj, principal []string
	for _, sv := range s.services[p.Key] {
		code := subjectCodes[sv.discipline].matiere
		if _, isClass := s.level[sv.group]; isClass {
			classes = append(classes, sid+"$"+sv.group)
			classSubj = append(classSubj, sid+"$"+sv.group+"$"+code)
		} else {
			groups = append(groups, sid+"$"+sv.group)
			groupSubj = append(groupSubj, sid+"$"+sv.group+"$"+code)
		}
	}
	for _, c := range s.principal[p.Key] {
		principal = append(principal, sid+"$"+c)
	}
	var out []aafAttr
	for _, a := range []aafAttr{av("ENTAuxEnsClasses", classes...), av("ENTAuxEnsGroupes", groups...),
		av("ENTAuxEnsClassesMatieres", classSubj...), av("ENTAuxEnsGroupesMatieres", groupSubj...),
		av("ENTAuxEnsClassesPrincipal", principal...)} {
		if len(a.values) > 0 {
			out = append(out, a)
		}
	}
	return out
}
