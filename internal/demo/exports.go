// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
)

// exportSet is one establishment seen as the national files see it, with
// the synthetic private data those files carry.
type exportSet struct {
	e         *Establishment
	year      int
	date      time.Time // DATE_EXPORT and the AAF file date
	names     *nameBank
	person    map[string]*Person
	priv      map[string]private
	level     map[string]string    // class code → level
	groupsOf  map[string][]string  // pupil key → teaching group codes, in Groups order
	services  map[string][]service // teacher key → services, in Groups order
	byGroup   map[string][]service // group code → services (one per discipline, teachers in order)
	principal map[string][]string  // teacher key → classes they are professeur principal of
	elenoet   map[string]string    // pupil key → ELENOET
	left      map[string]time.Time // pupil key → DATE_SORTIE
}

// service is a discipline taught in a class or group by teachers.
type service struct {
	group, discipline string
	teachers          []string
}

// newExportSet indexes e for an export dated date.
func (d *Deployment) newExportSet(e *Establishment, date time.Time) *exportSet {
	s := &exportSet{e: e, year: d.SchoolYear, date: date, names: loadNames(),
		person: map[string]*Person{}, priv: map[string]private{}, level: map[string]string{},
		groupsOf: map[string][]string{}, services: map[string][]service{}, byGroup: map[string][]service{},
		principal: map[string][]string{}, elenoet: map[string]string{}, left: map[string]time.Time{}}
	n := 0
	for i := range e.People {
		p := &e.People[i]
		s.person[p.Key] = p
		if p.Profile == core.ProfilePupil {
			n++
			s.elenoet[p.Key] = strconv.Itoa(1000 + n)
		}
	}
	for _, g := range e.Groups {
		switch g.Kind {
		case KindClass:
			s.level[g.Code] = g.Level
			if g.MainTeacher != "" {
				s.principal[g.MainTeacher] = append(s.principal[g.MainTeacher], g.Code)
			}
		case KindTeaching:
			for _, m := range g.Members {
				s.groupsOf[m] = append(s.groupsOf[m], g.Code)
			}
		default:
			continue
		}
		for _, o := range g.Owners {
			s.addService(g.Code, o)
		}
	}
	for i := range e.People {
		p := &e.People[i]
		s.priv[p.Key] = privateFor(p, s.level[p.Class], d.SchoolYear, s.names)
	}
	return s
}

// addService records that teacher key teaches their discipline in group.
func (s *exportSet) addService(group, key string) {
	t := s.person[key]
	if t == nil || t.Discipline == "" || subjectCodes[t.Discipline].matiere == "" {
		return
	}
	s.services[key] = append(s.services[key], service{group: group, discipline: t.Discipline})
	list := s.byGroup[group]
	for i := range list {
		if list[i].discipline == t.Discipline {
			list[i].teachers = append(list[i].teachers, key)
			return
		}
	}
	s.byGroup[group] = append(list, service{group: group, discipline: t.Discipline, teachers: []string{key}})
}

// structID is the AAF structure id of the establishment: opaque, not its UAI.
func (s *exportSet) structID() string { return "4" + s.e.UAI[:7] }

// stsID returns the STS id of an adult.
func stsID(p *Person) string { return p.ExternalIDs["sts_id"] }

// ExportFiles writes, for establishment e of d, synthetic files in the real
// formats (formats.md §2, §3) into dir, and returns their paths:
// ElevesSansAdresses.xml (BEE_ELEVES, ISO-8859-15 like the real export),
// Structures.xml, Nomenclature.xml, sts_emp_<UAI>_<YEAR>.xml (every adult
// and the services of each class and group) and the AAF Complet files
// ENT_<UAI>_Complet_<YEAR>0902_<Type>_0000.xml for EtabEducNat,
// MatiereEducNat, MefEducNat, Eleve, PersEducNat and PersRelEleve. The
// files carry synthetic birth dates, birth places, sex, phones, personal
// mails, addresses, regimes and guardians, as the real ones do, so that the
// importer's dropping is tested on realistic data; they are drawn from a
// stream per person, so the same deployment always gives the same bytes.
// Keys: ELEVE_ID is the pupil's "siecle_eleve_id", INDIVIDU/@ID the
// adult's "sts_id"; the AAF ENTPersonJointure is the ELEVE_ID for pupils
// (as in the real feed) and the STS id for adults (a demo simplification),
// so the importer's keys are "MENESR$" + those. Only secondary
// establishments have these exports: an école gives an Invalid error.
func (d *Deployment) ExportFiles(e *Establishment, dir string) ([]string, error) {
	if e.Type == TypeEcole {
		return nil, core.E("demo.ExportFiles", core.Invalid, "%s is an école: SIECLE, STS-Web and AAF 2nd-degree exports exist only for collèges and lycées", e.UAI)
	}
	s := d.newExportSet(e, time.Date(d.SchoolYear, time.September, 2, 0, 0, 0, 0, time.UTC))
	names, docs := s.nationalFiles()
	for _, typ := range []string{"EtabEducNat", "MatiereEducNat", "MefEducNat", "Eleve", "PersEducNat", "PersRelEleve"} {
		n := s.aafName("Complet", typ)
		names, docs[n] = append(names, n), s.aafComplet(typ)
	}
	return writeFiles(dir, names, docs)
}

// nationalFiles renders the SIECLE and STS files of s.
func (s *exportSet) nationalFiles() ([]string, map[string][]byte) {
	sts := "sts_emp_" + s.e.UAI + "_" + strconv.Itoa(s.year) + ".xml"
	docs := map[string][]byte{
		"ElevesSansAdresses.xml": s.eleves(),
		"Structures.xml":         s.structures(),
		"Nomenclature.xml":       s.nomenclature(),
		sts:                      s.sts(),
	}
	return []string{"ElevesSansAdresses.xml", "Structures.xml", "Nomenclature.xml", sts}, docs
}

// aafName is ENT_<UAI>_<Complet|Delta>_<YYYYMMDD>_<Type>_0000.xml.
func (s *exportSet) aafName(kind, typ string) string {
	return "ENT_" + s.e.UAI + "_" + kind + "_" + s.date.Format("20060102") + "_" + typ + "_0000.xml"
}
