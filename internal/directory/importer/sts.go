// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/preau/preau/internal/core"
)

// stsPerson is an INDIVIDU being read: allow-listed values only.
type stsPerson struct {
	id, typ             string
	usage, patro, given string // NOM_USAGE, NOM_PATRONYMIQUE, PRENOM
	function            string // FONCTION code
	disciplines         []string
	principal           []string // PROFS_PRINC/PROF_PRINC/CODE_STRUCTURE
	line                int
}

// stsService is one SERVICE of a division or group: a subject and teachers.
type stsService struct {
	group, subject string
	teachers       []string // stsRef values
	line           int
}

// stsParser reads one STS_EDT document.
type stsParser struct {
	w        *walker
	b        *Batch
	uai      string
	year     int
	people   []*stsPerson
	byRef    map[string]*stsPerson
	cur      *stsPerson
	entry    *labels // MATIERE or MEF of NOMENCLATURES
	groups   groupSet
	group    *Group // DIVISION or GROUPE of STRUCTURE
	gdepth   int
	service  *stsService
	services []*stsService
}

// ParseSTS reads an STS-Web export (root STS_EDT, sts_emp_<UAI>_<YEAR>.xml,
// formats.md §2.5) named name. It keeps, per INDIVIDU: the ID (the key;
// "local:" + ID for TYPE="local"), the usual names (NOM_USAGE, else
// NOM_PATRONYMIQUE; the first word of PRENOM), the FONCTION (ENS and DOC:
// teacher, DIR: head, others: staff with a function label), the labels of
// the posts' disciplines and the classes they are professeur principal of;
// and the services of each division and group (Person.Teaches), with the
// subject labels of NOMENCLATURES/MATIERES. Sex, civility, birth date,
// grade, hours and the establishment's address are dropped and counted.
// An emp_sts file (root EDT_STS) is refused: it is the file timetable
// software sends into STS-Web. Errors are *ParseError: another root,
// malformed or truncated XML, an unsupported encoding, a bad or missing
// UAJ/@CODE or ANNEE_SCOLAIRE/@ANNEE, an INDIVIDU without ID or names, two
// INDIVIDU with one ID.
func ParseSTS(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceSTS, name)
	b.MEFs, b.Subjects = map[string]string{}, map[string]string{}
	p := &stsParser{w: newWalker(r, name, b), b: b, byRef: map[string]*stsPerson{}}
	if err := p.w.run(rootSTS, handler{start: p.start, end: p.end}); err != nil {
		return nil, err
	}
	line, _ := p.w.dec.InputPos()
	if p.uai == "" {
		return nil, perr(name, line, "PARAMETRES/UAJ", "missing: the file does not say which establishment it is for (UAJ/@CODE)")
	}
	if p.year == 0 {
		return nil, perr(name, line, "PARAMETRES/ANNEE_SCOLAIRE", "missing: the file does not say which school year it is for (ANNEE_SCOLAIRE/@ANNEE)")
	}
	b.UAI, b.SchoolYear = p.uai, p.year
	b.cover(adults...)
	p.finish()
	return b, nil
}

// stsRef is the key value of an INDIVIDU or ENSEIGNANT: epp ids as they
// are, local ids prefixed, since the two series may overlap.
func stsRef(id, typ string) string {
	if strings.EqualFold(typ, "local") {
		return "local:" + id
	}
	return id
}

func (p *stsParser) start(n *node, attrs []xml.Attr) error {
	w := p.w
	switch {
	case n.up == "UAJ" && w.under(rootSTS, "PARAMETRES"):
		return p.setUAI(n, attr(attrs, "CODE"))
	case n.up == "ANNEE_SCOLAIRE" && w.under(rootSTS, "PARAMETRES"):
		y, ok := parseYear(attr(attrs, "ANNEE"))
		if !ok {
			return perr(w.file, n.line, n.name, "ANNEE %q is not a year such as 2026", clip(attr(attrs, "ANNEE")))
		}
		p.year = y
	case (n.up == "MATIERE" || n.up == "MEF") && w.under(rootSTS, "NOMENCLATURES", n.up+"S"):
		p.entry, n.tag = &labels{code: attr(attrs, "CODE")}, tagRecord
	case p.entry != nil && isLabel(n.up):
		n.keep = true
	case n.up == "INDIVIDU" && w.under(rootSTS, "DONNEES", "INDIVIDUS"):
		p.cur = &stsPerson{id: attr(attrs, "ID"), typ: attr(attrs, "TYPE"), line: n.line}
		n.tag = tagRecord
	case p.cur != nil:
		p.personStart(n, attrs)
	default:
		p.structureStart(n, attrs)
	}
	return nil
}

// setUAI validates UAJ/@CODE.
func (p *stsParser) setUAI(n *node, code string) error {
	uai, err := core.ParseUAI(code)
	if err != nil {
		return perr(p.w.file, n.line, n.name, "%s", core.MessageOf(err))
	}
	p.uai = uai
	return nil
}

// personStart marks the kept children of an INDIVIDU.
func (p *stsParser) personStart(n *node, attrs []xml.Attr) {
	w := p.w
	switch {
	case w.under("INDIVIDU") && (n.up == "NOM_USAGE" || n.up == "NOM_PATRONYMIQUE" || n.up == "PRENOM" || n.up == "FONCTION"):
		n.keep = true
	case n.up == "CODE_STRUCTURE" && w.under("PROFS_PRINC", "PROF_PRINC"):
		n.keep = true
	case n.up == "LIBELLE_COURT" && w.under("DISCIPLINES", "DISCIPLINE"):
		n.keep = true
	}
}

// structureStart handles DONNEES/STRUCTURE: divisions, groups, services.
func (p *stsParser) structureStart(n *node, attrs []xml.Attr) {
	w := p.w
	switch {
	case n.up == "DIVISION" && w.under("STRUCTURE", "DIVISIONS"),
		n.up == "GROUPE" && w.under("STRUCTURE", "GROUPES"):
		kind := KindClass
		if n.up == "GROUPE" {
			kind = KindTeaching
		}
		code := attr(attrs, "CODE")
		if code == "" {
			return
		}
		p.group, _ = p.groups.ensure(code, kind)
		p.gdepth, n.tag = len(w.stack), tagStruct
	case p.group == nil:
	case n.up == "LIBELLE_LONG" && len(w.stack) == p.gdepth+1:
		n.keep = true
	case n.up == "MEF" && w.under("MEFS_APPARTENANCE"):
		p.group.MEF = firstNonEmpty(p.group.MEF, attr(attrs, "CODE"))
	case (n.up == "DIVISION_APPARTENANCE" || n.up == "DIVISION") && w.under("DIVISIONS_APPARTENANCE"):
		p.group.Divisions = addUnique(p.group.Divisions, attr(attrs, "CODE"))
	case n.up == "SERVICE" && w.under("SERVICES"):
		p.service = &stsService{group: p.group.Code, subject: attr(attrs, "CODE_MATIERE"), line: n.line}
		p.services = append(p.services, p.service)
	case n.up == "ENSEIGNANT" && p.service != nil:
		if id := attr(attrs, "ID"); id != "" {
			p.service.teachers = append(p.service.teachers, stsRef(id, attr(attrs, "TYPE")))
		}
	}
}

func (p *stsParser) end(n *node, text string) error {
	switch {
	case n.tag == tagRecord && p.entry != nil:
		p.endEntry(n)
	case n.tag == tagRecord && p.cur != nil:
		return p.endPerson(n)
	case p.entry != nil && n.keep:
		p.entry.set(n.up, text)
	case p.cur != nil && n.keep:
		p.personField(n.up, text)
	case n.tag == tagStruct:
		p.group, p.service = nil, nil
	case n.up == "SERVICE":
		p.service = nil
	case p.group != nil && n.keep:
		p.group.Name = text
	}
	return nil
}

// endEntry stores a MATIERE or MEF label.
func (p *stsParser) endEntry(n *node) {
	if p.entry.code != "" {
		m := p.b.Subjects
		if n.up == "MEF" {
			m = p.b.MEFs
		}
		m[p.entry.code] = p.entry.best()
	}
	p.entry = nil
}

// personField stores one kept INDIVIDU value.
func (p *stsParser) personField(el, text string) {
	c := p.cur
	switch el {
	case "NOM_USAGE":
		c.usage = text
	case "NOM_PATRONYMIQUE":
		c.patro = text
	case "PRENOM":
		c.given = text
	case "FONCTION":
		c.function = strings.ToUpper(text)
	case "CODE_STRUCTURE":
		c.principal = addUnique(c.principal, text)
	case "LIBELLE_COURT":
		c.disciplines = addUnique(c.disciplines, text)
	}
}

// endPerson checks and indexes a finished INDIVIDU.
func (p *stsParser) endPerson(n *node) error {
	c := p.cur
	p.cur = nil
	if c.id == "" {
		return perr(p.w.file, c.line, n.name, "INDIVIDU without ID attribute")
	}
	ref := stsRef(c.id, c.typ)
	if prev, ok := p.byRef[ref]; ok {
		return perr(p.w.file, c.line, n.name, "two INDIVIDU with ID %s (lines %d and %d)", clip(ref), prev.line, c.line)
	}
	if firstNonEmpty(c.usage, c.patro) == "" {
		return perr(p.w.file, c.line, n.name, "INDIVIDU ID %s has no family name (NOM_USAGE or NOM_PATRONYMIQUE)", clip(ref))
	}
	if c.given == "" {
		return perr(p.w.file, c.line, n.name, "INDIVIDU ID %s has no given name (PRENOM)", clip(ref))
	}
	p.byRef[ref] = c
	p.people = append(p.people, c)
	return nil
}
