// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// finish builds the batch: people in INDIVIDU order with their services,
// groups with their levels.
func (p *stsParser) finish() {
	teaches := map[string][]Teaching{}
	for _, s := range p.services {
		t := Teaching{Group: s.group, SubjectCode: s.subject, Subject: firstNonEmpty(p.b.Subjects[s.subject], s.subject)}
		for _, ref := range s.teachers {
			if p.byRef[ref] == nil {
				p.b.Warnings = append(p.b.Warnings, perr(p.w.file, s.line, "ENSEIGNANT",
					"no INDIVIDU with ID %s: service of %s skipped", clip(ref), clip(s.group)).Error())
				continue
			}
			teaches[ref] = addTeaching(teaches[ref], t)
		}
	}
	for _, c := range p.people {
		p.b.People = append(p.b.People, p.person(c, teaches[stsRef(c.id, c.typ)]))
	}
	for _, c := range p.people {
		for _, code := range c.principal {
			p.groups.ensure(code, KindClass)
		}
	}
	p.b.Groups = p.groups.list
	resolveLevels(p.b.Groups, p.b.MEFs)
}

// person turns an INDIVIDU into a Person.
func (p *stsParser) person(c *stsPerson, teaches []Teaching) Person {
	ref := stsRef(c.id, c.typ)
	family := firstNonEmpty(c.usage, c.patro)
	if c.usage != "" && c.patro != "" && c.patro != c.usage {
		p.b.drop("NOM_PATRONYMIQUE") // the birth name is not kept when a usual one exists
	}
	given, others, _ := strings.Cut(c.given, " ")
	if others != "" {
		p.b.drop("PRENOM") // only the first given name is kept (Se3 does the same)
	}
	prof := profileForFunction(c.function)
	if c.function == "" && (len(teaches) > 0 || len(c.disciplines) > 0) {
		prof = core.ProfileTeacher // no FONCTION, but teaches
	}
	person := Person{Key: Key{KeySTS, ref}, ExternalIDs: map[string]string{KeySTS: ref},
		GivenName: given, FamilyName: family, Profile: prof, UAI: p.uai, Line: c.line}
	switch prof {
	case core.ProfileTeacher:
		person.Disciplines, person.Teaches, person.HeadTeacherOf = c.disciplines, teaches, c.principal
	default:
		if c.function != "" {
			person.Functions = []string{functionLabel(c.function)}
		}
		person.Teaches = teaches // a head or staff member who also teaches
	}
	return person
}

// resolveLevels fills the Level of classes from their MEF label and of
// teaching groups from their classes when these share one level.
func resolveLevels(groups []Group, mefs map[string]string) {
	level := map[string]string{}
	for i := range groups {
		g := &groups[i]
		if g.Level == "" && g.MEF != "" {
			g.Level = mefs[g.MEF]
		}
		if g.Kind == KindClass {
			level[g.Code] = g.Level
		}
	}
	for i := range groups {
		g := &groups[i]
		if g.Level != "" || len(g.Divisions) == 0 {
			continue
		}
		lv := level[g.Divisions[0]]
		for _, d := range g.Divisions[1:] {
			if level[d] != lv {
				lv = ""
				break
			}
		}
		g.Level = lv
	}
}
