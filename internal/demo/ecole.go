// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"github.com/preau/preau/internal/core"
)

// ecoleClasses are the classes of the école, youngest first, with their
// mean size. Double-level classes are coded and levelled "PS-MS".
var ecoleClasses = []struct {
	code string
	size int
}{
	{"PS-MS", 24}, {"GS", 24}, {"CP", 21}, {"CE1", 21}, {"CE2-CM1", 21}, {"CM1", 21}, {"CM2", 21},
}

// ecoleStaff is the non-teaching staff of the école.
var ecoleStaff = []post{
	{"ATSEM", "ATSEM", 2},
	{"AESH", "AESH", 1},
}

// ecole generates the école: about 150 pupils in 7 classes from PS to CM2.
// The directeur·rice teaches the CM2 class and has the head profile; a
// teacher covers their discharge time (décharge de direction) and co-owns
// that class.
func (g *generator) ecole() Establishment {
	s := g.newSchool("0999003", TypeEcole, "École Jules Ferry", "ecole-jules-ferry", 175)
	head := s.head("Directeur", "Directrice", discPE)
	s.staff(ecoleStaff)
	team := []staffing{{discPE, len(ecoleClasses)}} // one per class but the head's, plus the décharge
	s.hire(team)
	teachers := s.byProfile(core.ProfileTeacher)
	decharge := teachers[len(teachers)-1]
	for i, c := range ecoleClasses {
		members := s.pupils(c.code, s.around(c.size, 2))
		main, owners := teachers[i], []string{teachers[i]}
		if i == len(ecoleClasses)-1 {
			main, owners = head, []string{head, decharge}
		}
		s.main[main] = true
		s.addClass(c.code, "Classe de "+c.code, c.code, members, owners, main)
	}
	s.disciplineGroups(team, head)
	s.staffGroup(head)
	singers := s.members("CE2-CM1", "CM1", "CM2")
	s.custom("CHORALE", "Chorale", s.sample(singers, 25), teachers[4])
	s.flagFresh(0.05)
	return s.e
}
