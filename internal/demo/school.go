// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/preau/preau/internal/core"
)

// school builds one establishment. Its maps are lookups only: nothing is
// ever produced by iterating over them, so the output does not depend on
// map order.
type school struct {
	g        *generator
	r        *rand.Rand
	e        Establishment
	seq      map[core.Profile]int
	index    map[string]int      // Person.Key → index in e.People
	teachers map[string][]string // discipline → teacher keys, in People order
	load     map[string]int      // teacher key → number of classes and groups taught
	main     map[string]bool     // teacher key → already a professeur principal
}

// newSchool starts an establishment whose UAI is made from the 7 digits;
// people is the expected number of people, a capacity hint.
func (g *generator) newSchool(digits, typ, name, domain string, people int) *school {
	uai := core.MakeUAI(digits)
	return &school{
		g: g,
		r: newRand(g.seed, "school/"+uai),
		e: Establishment{
			UAI: uai, Type: typ, Name: name,
			Academie: Academie, City: City, Domain: domain + "." + BaseDomain,
			People: make([]Person, 0, people),
		},
		seq:      make(map[core.Profile]int),
		index:    make(map[string]int, people),
		teachers: make(map[string][]string),
		load:     make(map[string]int),
		main:     make(map[string]bool),
	}
}

// add completes p (key, names, login, mail, password, join keys), appends
// it to the establishment and returns its key.
func (s *school) add(p Person, n fullName) string {
	s.seq[p.Profile]++
	p.Key = s.e.UAI + "/" + string(p.Profile) + "/" + pad4(s.seq[p.Profile])
	p.GivenName, p.FamilyName = n.given, n.family
	p.Login = s.g.logins.next(n.givenSlug, n.familySlug)
	if p.Profile == core.ProfilePupil {
		p.Mail = p.Login + "@" + s.e.PupilDomain()
	} else {
		p.Mail = p.Login + "@" + s.e.Domain
	}
	p.Password = password(s.g.pw, nameWords(p.Login, n.givenSlug, n.familySlug))
	if p.Profile == core.ProfilePupil && s.e.Type == TypeEcole {
		p.PictureSequence = pictureSequence(s.g.pw)
	}
	p.ExternalIDs = s.g.externalIDs(s.e.Type, p.Profile)
	s.index[p.Key] = len(s.e.People)
	s.e.People = append(s.e.People, p)
	if p.Discipline != "" {
		s.teachers[p.Discipline] = append(s.teachers[p.Discipline], p.Key)
	}
	return p.Key
}

// head adds the head of the establishment; masc and fem are the two forms
// of the title. discipline is set for an école director, who teaches.
func (s *school) head(masc, fem, discipline string) string {
	n := s.g.names.draw(s.r, true)
	return s.add(Person{Profile: core.ProfileHead, Function: agree(n.g, masc, fem),
		Discipline: discipline}, n)
}

// post is a staff function and how many people hold it.
type post struct {
	masc, fem string
	n         int
}

// staff adds the staff posts, in order.
func (s *school) staff(posts []post) {
	for _, p := range posts {
		for range p.n {
			n := s.g.names.draw(s.r, true)
			s.add(Person{Profile: core.ProfileStaff, Function: agree(n.g, p.masc, p.fem)}, n)
		}
	}
}

// staffing is a discipline and its number of teachers.
type staffing struct {
	discipline string
	n          int
}

// hire adds the teachers, discipline by discipline.
func (s *school) hire(team []staffing) {
	for _, t := range team {
		for range t.n {
			s.add(Person{Profile: core.ProfileTeacher, Discipline: t.discipline},
				s.g.names.draw(s.r, true))
		}
	}
}

// teacherFor returns the least-loaded teacher of discipline (the first one
// on a tie) and counts one more service for them. It panics if the
// discipline has no teacher: the staffing tables are fixed and tested.
func (s *school) teacherFor(discipline string) string {
	keys := s.teachers[discipline]
	if len(keys) == 0 {
		panic("demo: no teacher of " + discipline + " in " + s.e.Name)
	}
	best := keys[0]
	for _, k := range keys[1:] {
		if s.load[k] < s.load[best] {
			best = k
		}
	}
	s.load[best]++
	return best
}

// pupils adds n pupils of class, sorted by family then given name, and
// returns their keys.
func (s *school) pupils(class string, n int) []string {
	names := make([]fullName, n)
	for i := range names {
		names[i] = s.g.names.draw(s.r, false)
	}
	slices.SortStableFunc(names, func(a, b fullName) int {
		return cmp.Or(cmp.Compare(a.familySlug, b.familySlug),
			cmp.Compare(a.givenSlug, b.givenSlug),
			cmp.Compare(a.family, b.family), cmp.Compare(a.given, b.given))
	})
	keys := make([]string, n)
	for i, nm := range names {
		keys[i] = s.add(Person{Profile: core.ProfilePupil, Class: class}, nm)
	}
	return keys
}

// pad4 formats n with at least 4 digits: 7 → "0007".
func pad4(n int) string {
	s := strconv.Itoa(n)
	if len(s) < 4 {
		s = "0000"[len(s):] + s
	}
	return s
}

// around returns mean plus or minus spread, drawn uniformly.
func (s *school) around(mean, spread int) int { return mean - spread + s.r.IntN(2*spread+1) }
