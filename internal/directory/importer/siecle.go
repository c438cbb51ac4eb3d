// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/preau/preau/internal/core"
)

// sieclePupil is an ELEVE being read. It holds only allow-listed values and
// the two internal join keys (ELENOET, ID_ELEVE_ETAB), which are not kept.
type sieclePupil struct {
	id, elenoet, idEtab  string
	ine                  string
	nom, birthName, used string // NOM (old files), NOM_DE_FAMILLE, NOM_USAGE
	given, usualGiven    string // PRENOM, PRENOM_USUEL
	exit                 string // DATE_SORTIE: only decides Inactive
	line                 int
	class                string
	groups               []string
}

// siecleStructure is one STRUCTURES_ELEVE block, joined to its pupil at the end.
type siecleStructure struct {
	id, elenoet string
	line        int
	codes       []string // "D:code" or "G:code"
}

// sieclePupilFields are the ELEVE children kept until the end of the record.
var sieclePupilFields = map[string]bool{
	"ID_NATIONAL": true, "INE_BEA": true, "INE_RNIE": true, "ELENOET": true, "ID_ELEVE_ETAB": true,
	"NOM": true, "NOM_DE_FAMILLE": true, "NOM_USAGE": true, "PRENOM": true, "PRENOM_USUEL": true,
	"DATE_SORTIE": true,
}

// siecleParser reads one BEE_ELEVES document.
type siecleParser struct {
	w       *walker
	b       *Batch
	params  beeParams
	pupils  []*sieclePupil
	byID    map[string]*sieclePupil
	cur     *sieclePupil
	structs []*siecleStructure
	curS    *siecleStructure
	code    string // CODE_STRUCTURE of the STRUCTURE being read
	typ     string // TYPE_STRUCTURE
}

// ParseSIECLE reads a SIECLE pupils export (root BEE_ELEVES:
// ElevesSansAdresses.xml or ElevesAvecAdresses.xml, formats.md §2.2) named
// name. It keeps, per pupil: ELEVE_ID (the key), the INE (ID_NATIONAL),
// the usual names, the division (TYPE_STRUCTURE D) and the groups (G).
// Birth data, sex, contact data, addresses, previous schooling, MEF,
// regime, options and every other element are dropped and counted.
// Pupils with a DATE_SORTIE on or before DATE_EXPORT, without a division or
// in a pseudo-division (Inactifs) go to Batch.Inactive. Errors are
// *ParseError: another root, malformed or truncated XML, an unsupported
// encoding, a bad UAJ, a missing UAJ or ANNEE_SCOLAIRE, an ELEVE without
// ELEVE_ID or names, two ELEVE with one ELEVE_ID or one INE.
func ParseSIECLE(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceSIECLE, name)
	p := &siecleParser{w: newWalker(r, name, b), b: b, byID: map[string]*sieclePupil{}}
	if err := p.w.run(rootEleves, handler{start: p.start, end: p.end}); err != nil {
		return nil, err
	}
	if err := p.params.finish(p.w, b); err != nil {
		return nil, err
	}
	p.join()
	b.cover(core.ProfilePupil)
	return b, p.finish()
}

func (p *siecleParser) start(n *node, attrs []xml.Attr) error {
	w := p.w
	switch {
	case p.params.start(w, n):
	case n.up == "ELEVE" && w.under(rootEleves, "DONNEES", "ELEVES"):
		p.cur = &sieclePupil{id: attr(attrs, "ELEVE_ID"), elenoet: attr(attrs, "ELENOET"), line: n.line}
	case p.cur != nil && w.under("ELEVES", "ELEVE") && sieclePupilFields[n.up]:
		n.keep = true
	case n.up == "STRUCTURES_ELEVE" && w.under(rootEleves, "DONNEES", "STRUCTURES"):
		p.curS = &siecleStructure{id: attr(attrs, "ELEVE_ID"), elenoet: attr(attrs, "ELENOET"), line: n.line}
	case p.curS != nil && n.up == "STRUCTURE":
		p.code, p.typ = "", ""
	case p.curS != nil && (n.up == "CODE_STRUCTURE" || n.up == "TYPE_STRUCTURE"):
		n.keep = true
	}
	return nil
}

func (p *siecleParser) end(n *node, text string) error {
	switch {
	case n.tag == tagParam:
		return p.params.end(p.w, n, text)
	case n.up == "ELEVE" && p.cur != nil:
		return p.endPupil(n)
	case p.cur != nil && n.keep:
		p.pupilField(n.up, text)
	case n.up == "STRUCTURES_ELEVE" && p.curS != nil:
		p.structs = append(p.structs, p.curS)
		p.curS = nil
	case p.curS != nil && n.up == "CODE_STRUCTURE":
		p.code = text
	case p.curS != nil && n.up == "TYPE_STRUCTURE":
		p.typ = strings.ToUpper(text)
	case p.curS != nil && n.up == "STRUCTURE" && p.code != "":
		p.curS.codes = append(p.curS.codes, p.typ+":"+p.code)
	}
	return nil
}

// pupilField stores one kept ELEVE child.
func (p *siecleParser) pupilField(el, text string) {
	c := p.cur
	switch el {
	case "ID_NATIONAL":
		c.ine = firstNonEmpty(strings.ToUpper(text), c.ine)
	case "INE_BEA", "INE_RNIE":
		c.ine = firstNonEmpty(c.ine, strings.ToUpper(text))
	case "ELENOET":
		c.elenoet = firstNonEmpty(c.elenoet, text)
	case "ID_ELEVE_ETAB":
		c.idEtab = text
	case "NOM":
		c.nom = text
	case "NOM_DE_FAMILLE":
		c.birthName = text
	case "NOM_USAGE":
		c.used = text
	case "PRENOM":
		c.given = text
	case "PRENOM_USUEL":
		c.usualGiven = text
	case "DATE_SORTIE":
		c.exit = text
	}
}

// endPupil checks a finished ELEVE and indexes it.
func (p *siecleParser) endPupil(n *node) error {
	c := p.cur
	p.cur = nil
	if c.id == "" {
		return perr(p.w.file, c.line, n.name, "pupil without ELEVE_ID attribute")
	}
	if prev, ok := p.byID[c.id]; ok {
		return perr(p.w.file, c.line, n.name, "two pupils with ELEVE_ID %s (lines %d and %d)", clip(c.id), prev.line, c.line)
	}
	if firstNonEmpty(c.used, c.birthName, c.nom) == "" {
		return perr(p.w.file, c.line, n.name, "pupil ELEVE_ID %s has no family name (NOM_DE_FAMILLE or NOM)", clip(c.id))
	}
	if firstNonEmpty(c.usualGiven, c.given) == "" {
		return perr(p.w.file, c.line, n.name, "pupil ELEVE_ID %s has no given name (PRENOM)", clip(c.id))
	}
	p.byID[c.id] = c
	p.pupils = append(p.pupils, c)
	return nil
}

// join attaches the STRUCTURES_ELEVE blocks to their pupils: by ELEVE_ID,
// else by an ELENOET that is unique and belongs to this establishment.
func (p *siecleParser) join() {
	byNoet := map[string]*sieclePupil{}
	dup := map[string]bool{}
	for _, c := range p.pupils {
		if c.elenoet == "" || !elenoetTrusted(c, p.params.uai) {
			continue
		}
		if byNoet[c.elenoet] != nil {
			dup[c.elenoet] = true
		}
		byNoet[c.elenoet] = c
	}
	for _, s := range p.structs {
		c := p.byID[s.id]
		if c == nil && s.id == "" && !dup[s.elenoet] {
			c = byNoet[s.elenoet]
		}
		if c == nil {
			p.b.Warnings = append(p.b.Warnings, perr(p.w.file, s.line, "STRUCTURES_ELEVE",
				"no pupil with ELEVE_ID %q / ELENOET %q: structures skipped", clip(s.id), clip(s.elenoet)).Error())
			continue
		}
		p.attach(c, s)
	}
}

// attach records the division and groups of one STRUCTURES_ELEVE block.
func (p *siecleParser) attach(c *sieclePupil, s *siecleStructure) {
	for _, tc := range s.codes {
		typ, code, _ := strings.Cut(tc, ":")
		switch {
		case typ == "D" && c.class == "":
			c.class = code
		case typ == "D" && c.class != code:
			p.b.Warnings = append(p.b.Warnings, perr(p.w.file, s.line, "STRUCTURE",
				"pupil ELEVE_ID %s is in two divisions (%s, %s): the first is kept", clip(c.id), clip(c.class), clip(code)).Error())
		case typ == "G":
			c.groups = addUnique(c.groups, code)
		default:
			p.b.drop("TYPE_STRUCTURE")
		}
	}
}

// elenoetTrusted applies Se3's rule (formats.md §2.2): a transferred pupil
// may carry the ELENOET of a previous establishment; it is trusted only if
// ID_ELEVE_ETAB is absent or holds the ELENOET followed by the UAI digits.
func elenoetTrusted(c *sieclePupil, uai string) bool {
	return c.idEtab == "" || len(uai) < 7 || strings.Contains(c.idEtab, c.elenoet+uai[:7])
}

// finish builds the batch people and groups, in file order.
func (p *siecleParser) finish() error {
	var groups groupSet
	ines := map[string]*sieclePupil{}
	for _, c := range p.pupils {
		if c.ine != "" {
			if prev := ines[c.ine]; prev != nil {
				return perr(p.w.file, c.line, "ID_NATIONAL", "two pupils with one INE %s (ELEVE_ID %s line %d, ELEVE_ID %s line %d)",
					clip(c.ine), clip(prev.id), prev.line, clip(c.id), c.line)
			}
			ines[c.ine] = c
		}
		key := Key{KeySIECLE, c.id}
		if p.inactive(c) {
			p.b.Inactive = append(p.b.Inactive, key)
			continue
		}
		person := Person{Key: key, ExternalIDs: map[string]string{KeySIECLE: c.id},
			GivenName: firstNonEmpty(c.usualGiven, c.given), FamilyName: firstNonEmpty(c.used, c.birthName, c.nom),
			Profile: core.ProfilePupil, UAI: p.b.UAI, Class: c.class, Groups: c.groups, Line: c.line}
		if c.ine != "" {
			person.ExternalIDs[KeyINE] = c.ine
		}
		if c.used != "" && c.birthName != "" {
			p.b.drop("NOM_DE_FAMILLE") // the legal name is not kept when a usual one exists
		}
		if c.usualGiven != "" && c.given != "" {
			p.b.drop("PRENOM")
		}
		groups.ensure(c.class, KindClass)
		for _, g := range c.groups {
			groups.ensure(g, KindTeaching)
		}
		p.b.People = append(p.b.People, person)
	}
	p.b.Groups = groups.list
	return nil
}

// inactive reports whether a pupil has no current schooling.
func (p *siecleParser) inactive(c *sieclePupil) bool {
	if c.class == "" || isPseudoDivision(c.class) {
		return true
	}
	if c.exit == "" {
		return false
	}
	exit, ok := parseDate(c.exit)
	if !ok || p.params.exportDate.IsZero() {
		return true // a DATE_SORTIE that cannot be compared: the pupil has left
	}
	return !exit.After(p.params.exportDate)
}
