// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"math"
	"slices"
	"strconv"

	"github.com/preau/preau/internal/core"
)

// class adds a class of size pupils. Its owners are one teacher per
// subject (a discipline name), the professeur principal first.
func (s *school) class(code, name, level string, size int, subjects []string) []string {
	members := s.pupils(code, size)
	owners := make([]string, 0, len(subjects))
	for _, d := range subjects {
		owners = append(owners, s.teacherFor(d))
	}
	s.addClass(code, name, level, members, owners, s.chooseMain(owners))
	return members
}

// addClass appends a class group; main is moved to the front of owners.
func (s *school) addClass(code, name, level string, members, owners []string, main string) {
	owners = s.ordered(owners)
	owners = append([]string{main}, slices.DeleteFunc(owners, func(k string) bool { return k == main })...)
	s.e.Groups = append(s.e.Groups, Group{Code: code, Name: name, Kind: KindClass, Level: level,
		Members: members, Owners: owners, MainTeacher: main})
}

// chooseMain picks the professeur principal among the owners, preferring a
// teacher who is not yet professeur principal of another class.
func (s *school) chooseMain(owners []string) string {
	free := slices.DeleteFunc(slices.Clone(owners), func(k string) bool { return s.main[k] })
	if len(free) == 0 {
		free = owners
	}
	k := free[s.r.IntN(len(free))]
	s.main[k] = true
	return k
}

// teaching splits pupils into groups of at most size pupils, of even sizes,
// coded prefix-1, prefix-2…, each taught by a teacher of discipline.
func (s *school) teaching(prefix, name, level, discipline string, pupils []string, size int) {
	if len(pupils) == 0 {
		return
	}
	n := (len(pupils) + size - 1) / size
	for i := range n {
		lo, hi := i*len(pupils)/n, (i+1)*len(pupils)/n
		k := strconv.Itoa(i + 1)
		s.e.Groups = append(s.e.Groups, Group{
			Code:    prefix + "-" + k,
			Name:    name + ", groupe " + k,
			Kind:    KindTeaching,
			Level:   level,
			Members: slices.Clone(pupils[lo:hi]),
			Owners:  []string{s.teacherFor(discipline)},
		})
	}
}

// choose returns each key with probability p, in the given order.
func (s *school) choose(keys []string, p float64) []string {
	var out []string
	for _, k := range keys {
		if s.r.Float64() < p {
			out = append(out, k)
		}
	}
	return out
}

// sample returns n distinct keys drawn at random, in People order.
func (s *school) sample(keys []string, n int) []string {
	n = min(n, len(keys))
	out := make([]string, 0, n)
	for _, i := range s.r.Perm(len(keys))[:n] {
		out = append(out, keys[i])
	}
	return s.ordered(out)
}

// ordered sorts keys in People order, in place, and returns them.
func (s *school) ordered(keys []string) []string {
	slices.SortFunc(keys, func(a, b string) int { return s.index[a] - s.index[b] })
	return keys
}

// disciplineGroups adds one group per discipline that has teachers, in the
// order of the staffing table, owned by the head.
func (s *school) disciplineGroups(team []staffing, head string) {
	for _, t := range team {
		keys := s.teachers[t.discipline]
		if len(keys) == 0 {
			continue
		}
		s.e.Groups = append(s.e.Groups, Group{Code: "DISC-" + disciplineCode(t.discipline),
			Name: t.discipline, Kind: KindDiscipline,
			Members: slices.Clone(keys), Owners: []string{head}})
	}
}

// staffGroup adds the group of every adult of the establishment.
func (s *school) staffGroup(head string) {
	var adults []string
	for _, p := range s.e.People {
		if p.Profile.Adult() {
			adults = append(adults, p.Key)
		}
	}
	s.e.Groups = append(s.e.Groups, Group{Code: "PERSONNELS", Name: "Tous les personnels",
		Kind: KindStaff, Members: adults, Owners: []string{head}})
}

// custom adds a custom group (a club, a council).
func (s *school) custom(code, name string, members []string, owners ...string) {
	s.e.Groups = append(s.e.Groups, Group{Code: code, Name: name, Kind: KindCustom,
		Members: members, Owners: s.ordered(owners)})
}

// byProfile returns the keys of the people with profile p, in People order.
func (s *school) byProfile(p core.Profile) []string {
	var out []string
	for _, x := range s.e.People {
		if x.Profile == p {
			out = append(out, x.Key)
		}
	}
	return out
}

// flagFresh marks about share of the pupils and of the teachers (at least
// one of each) as freshly imported: they must change their password. Heads,
// staff and everyone else stay ready to use.
func (s *school) flagFresh(share float64) {
	for _, p := range []core.Profile{core.ProfilePupil, core.ProfileTeacher} {
		keys := s.byProfile(p)
		n := max(1, int(math.Round(share*float64(len(keys)))))
		for _, k := range s.sample(keys, n) {
			s.e.People[s.index[k]].MustChange = true
		}
	}
}

// members returns the pupils of the given classes, in People order.
func (s *school) members(codes ...string) []string {
	var out []string
	for _, c := range codes {
		if g := s.e.Group(c); g != nil {
			out = append(out, g.Members...)
		}
	}
	return s.ordered(out)
}
