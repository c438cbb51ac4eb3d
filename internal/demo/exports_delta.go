// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// DeltaChanges describes the changes ExportDelta made, by source key:
// SIECLE ELEVE_ID for pupils, STS id for teachers. The AAF keys are
// "MENESR$" + those (see ExportFiles).
type DeltaChanges struct {
	Moved   PupilMove  // one pupil changes class
	Left    string     // ELEVE_ID of the pupil who leaves (DATE_SORTIE the day before the export)
	Arrived NewPupil   // one pupil arrives
	Service NewService // one teacher gets a new service
}

// PupilMove is a change of class.
type PupilMove struct{ EleveID, From, To string }

// NewPupil is a pupil who arrives.
type NewPupil struct{ EleveID, INE, GivenName, FamilyName, Class string }

// NewService is a teacher's new service: a class and a discipline.
type NewService struct{ STSID, Group, Subject string }

// ExportDelta writes into dir (not the directory of ExportFiles: names
// repeat) the files of two weeks later, after a small, deterministic change
// of e: the first pupil of the first class that has a sister class of the
// same level moves to it, the last pupil leaves, a new pupil arrives in the
// first class, and the first teacher who can take a class without their
// discipline gets that service. It writes the full SIECLE and STS files of
// the new state (the leaver is still listed, with a DATE_SORTIE) and the
// AAF Delta files ENT_<UAI>_Delta_<YEAR>0916_Eleve_0000.xml (an
// addRequest, a class modifyRequest, an address-only modifyRequest that an
// importer must ignore, a deleteRequest) and …_PersEducNat_0000.xml (a
// modifyRequest of the teacher's class services). It returns the paths and
// the expected changes, so that tests can check an import applies exactly
// those. d and e are not modified.
func (d *Deployment) ExportDelta(e *Establishment, dir string) ([]string, DeltaChanges, error) {
	var want DeltaChanges
	if e.Type == TypeEcole {
		return nil, want, core.E("demo.ExportDelta", core.Invalid, "%s is an école: it has no SIECLE, STS-Web or AAF 2nd-degree exports", e.UAI)
	}
	ne := cloneEstablishment(e)
	mover, leaver, arrival, teacher := d.applyDelta(&ne, &want)
	date := time.Date(d.SchoolYear, time.September, 16, 0, 0, 0, 0, time.UTC)
	s := d.newExportSet(&ne, date)
	s.left[leaver] = date.AddDate(0, 0, -1)
	names, docs := s.nationalFiles()

	w := newAAF()
	arr := s.person[arrival]
	request(w, "add", "categoriePersonne", "Eleve", arr.ExternalIDs["siecle_eleve_id"], s.eleveAttrs(arr))
	request(w, "modify", "categoriePersonne", "Eleve", want.Moved.EleveID,
		[]aafAttr{av("ENTEleveClasses", s.structID()+"$"+want.Moved.To)})
	if other := s.otherPupil(mover, leaver, arrival); other != nil {
		v := privateFor(other, s.level[other.Class], d.SchoolYear+1, s.names) // the family moved house
		request(w, "modify", "categoriePersonne", "Eleve", other.ExternalIDs["siecle_eleve_id"], []aafAttr{
			av("ENTPersonAdresse", v.street), av("ENTPersonCodePostal", v.postcode), av("ENTPersonVille", v.city)})
	}
	request(w, "delete", "categoriePersonne", "Eleve", want.Left, nil)
	w.close("ficAlimMENESR")
	n := s.aafName("Delta", "Eleve")
	names, docs[n] = append(names, n), w.latin9()

	w = newAAF()
	var mods []aafAttr
	for _, a := range s.teachingAttrs(s.person[teacher]) {
		if a.name == "ENTAuxEnsClasses" || a.name == "ENTAuxEnsClassesMatieres" {
			mods = append(mods, a)
		}
	}
	request(w, "modify", "categoriePersonne", "PersEducNat", want.Service.STSID, mods)
	w.close("ficAlimMENESR")
	n = s.aafName("Delta", "PersEducNat")
	names, docs[n] = append(names, n), w.latin9()
	paths, err := writeFiles(dir, names, docs)
	return paths, want, err
}

// cloneEstablishment copies e deeply enough to change classes and owners.
func cloneEstablishment(e *Establishment) Establishment {
	c := *e
	c.People = slices.Clone(e.People)
	c.Groups = slices.Clone(e.Groups)
	for i := range c.Groups {
		c.Groups[i].Members = slices.Clone(c.Groups[i].Members)
		c.Groups[i].Owners = slices.Clone(c.Groups[i].Owners)
	}
	return c
}

// applyDelta changes e and fills want; it returns the keys of the mover,
// the leaver, the new pupil and the teacher with a new service.
func (d *Deployment) applyDelta(e *Establishment, want *DeltaChanges) (mover, leaver, arrival, teacher string) {
	idx := map[string]int{}
	for i, p := range e.People {
		idx[p.Key] = i
	}
	var classes []*Group
	for i := range e.Groups {
		if e.Groups[i].Kind == KindClass {
			classes = append(classes, &e.Groups[i])
		}
	}
	last := classes[len(classes)-1]
	leaver = last.Members[len(last.Members)-1]
	want.Left = e.People[idx[leaver]].ExternalIDs["siecle_eleve_id"]

	from, to := sisterClasses(classes)
	mover = from.Members[0]
	from.Members = from.Members[1:]
	to.Members = append(to.Members, mover)
	e.People[idx[mover]].Class = to.Code
	want.Moved = PupilMove{e.People[idx[mover]].ExternalIDs["siecle_eleve_id"], from.Code, to.Code}

	arrival = d.arrive(e, classes[0], want)
	teacher, want.Service = newService(e, classes, idx)
	return mover, leaver, arrival, teacher
}

// sisterClasses returns the first class that has another class of the
// same level, and that other class.
func sisterClasses(classes []*Group) (from, to *Group) {
	for i, c := range classes {
		for _, o := range classes[i+1:] {
			if o.Level == c.Level && len(c.Members) > 1 && c != classes[len(classes)-1] {
				return c, o
			}
		}
	}
	panic("demo: no two classes of one level") // the generator always makes several
}

// arrive adds a new pupil to class c, with join keys above every key of d.
func (d *Deployment) arrive(e *Establishment, c *Group, want *DeltaChanges) string {
	maxID, maxINE, pupils := 0, 0, 0
	for _, p := range d.People() {
		id, _ := strconv.Atoi(p.ExternalIDs["siecle_eleve_id"])
		ine, _ := strconv.Atoi(strings.TrimSuffix(p.ExternalIDs["ine"], "X"))
		maxID, maxINE = max(maxID, id), max(maxINE, ine)
	}
	for _, p := range e.People {
		if p.Profile == core.ProfilePupil {
			pupils++
		}
	}
	n := loadNames().draw(newRand(int64(d.SchoolYear), "exports/arrival/"+e.UAI), false)
	p := Person{Key: e.UAI + "/pupil/" + pad4(pupils+1), Login: n.givenSlug + "." + n.familySlug + ".delta",
		GivenName: n.given, FamilyName: n.family, Profile: core.ProfilePupil, Class: c.Code,
		ExternalIDs: map[string]string{"siecle_eleve_id": strconv.Itoa(maxID + 1), "ine": fmt.Sprintf("%010dX", maxINE+1)}}
	e.People = append(e.People, p)
	c.Members = append(c.Members, p.Key)
	want.Arrived = NewPupil{p.ExternalIDs["siecle_eleve_id"], p.ExternalIDs["ine"], p.GivenName, p.FamilyName, c.Code}
	return p.Key
}

// newService gives the first teacher (in People order) whose discipline is
// missing from some class a service in the first such class.
func newService(e *Establishment, classes []*Group, idx map[string]int) (string, NewService) {
	for _, t := range e.People {
		if t.Profile != core.ProfileTeacher || subjectCodes[t.Discipline].matiere == "" {
			continue
		}
		for _, c := range classes {
			if !slices.ContainsFunc(c.Owners, func(k string) bool { return e.People[idx[k]].Discipline == t.Discipline }) {
				c.Owners = append(c.Owners, t.Key)
				return t.Key, NewService{stsID(&t), c.Code, t.Discipline}
			}
		}
	}
	panic("demo: every class has every discipline")
}

// otherPupil returns the first pupil who is neither of the given ones.
func (s *exportSet) otherPupil(not ...string) *Person {
	for i := range s.e.People {
		if p := &s.e.People[i]; p.Profile == core.ProfilePupil && !slices.Contains(not, p.Key) {
			return p
		}
	}
	return nil
}
