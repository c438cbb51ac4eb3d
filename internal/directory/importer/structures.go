// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"io"
)

// structuresParser reads one BEE_STRUCTURES document.
type structuresParser struct {
	w      *walker
	b      *Batch
	params beeParams
	groups groupSet
	cur    *Group         // the DIVISION or GROUPE being read
	line   int            // its line
	depth  int            // its depth in the walker stack
	seen   map[string]int // code → line, to refuse duplicates
}

// Element names that carry a structure code, attribute or child; formats.md
// §2.4 says they vary between versions.
var codeNames = []string{"CODE_STRUCTURE", "CODE_DIVISION", "CODE_GROUPE", "CODE"}

func isCodeName(up string) bool {
	return up == "CODE_STRUCTURE" || up == "CODE_DIVISION" || up == "CODE_GROUPE" || up == "CODE"
}

// ParseStructures reads a SIECLE structures export (root BEE_STRUCTURES,
// Structures.xml, formats.md §2.4). It keeps the divisions (classes: code,
// LIBELLE_LONG, first MEF code) and the groups (code, LIBELLE_LONG, member
// divisions); the batch has no people. Codes are read tolerantly from the
// attributes or children CODE_STRUCTURE, CODE_DIVISION, CODE_GROUPE or CODE.
// Errors are *ParseError, as for ParseSIECLE, plus a DIVISION or GROUPE
// without code and two structures with one code.
func ParseStructures(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceSIECLE, name)
	p := &structuresParser{w: newWalker(r, name, b), b: b, seen: map[string]int{}}
	if err := p.w.run(rootStructures, handler{start: p.start, end: p.end}); err != nil {
		return nil, err
	}
	if err := p.params.finish(p.w, b); err != nil {
		return nil, err
	}
	b.Groups = p.groups.list
	return b, nil
}

func (p *structuresParser) start(n *node, attrs []xml.Attr) error {
	w := p.w
	switch {
	case p.params.start(w, n):
	case n.up == "DIVISION" && w.under(rootStructures, "DONNEES", "DIVISIONS"):
		p.open(n, &Group{Kind: KindClass, Code: attr(attrs, codeNames...)})
	case n.up == "GROUPE" && w.under(rootStructures, "DONNEES", "GROUPES"):
		p.open(n, &Group{Kind: KindTeaching, Code: attr(attrs, codeNames...)})
	case p.cur == nil:
	case (n.up == "DIVISION_APPARTENANCE" || n.up == "DIVISION") && p.cur.Kind == KindTeaching:
		p.cur.Divisions = addUnique(p.cur.Divisions, attr(attrs, codeNames...))
	case n.up == "MEF_APPARTENANCE" || n.up == "MEF":
		p.cur.MEF = firstNonEmpty(p.cur.MEF, attr(attrs, "CODE_MEF", "CODE"))
	case isCodeName(n.up), n.up == "CODE_MEF", n.up == "LIBELLE_LONG", n.up == "LIBELLE_COURT":
		n.keep = true
	}
	return nil
}

// open starts a DIVISION or GROUPE.
func (p *structuresParser) open(n *node, g *Group) {
	p.cur, p.line, p.depth = g, n.line, len(p.w.stack)
	n.tag = tagStruct
}

func (p *structuresParser) end(n *node, text string) error {
	switch {
	case n.tag == tagParam:
		return p.params.end(p.w, n, text)
	case p.cur == nil:
	case n.tag == tagStruct:
		return p.endStructure(n)
	case !n.keep:
	case isCodeName(n.up) && p.w.under("DIVISIONS_APPARTENANCE", "DIVISION_APPARTENANCE"):
		p.cur.Divisions = addUnique(p.cur.Divisions, text)
	case isCodeName(n.up) && p.w.under("DIVISIONS_APPARTENANCE", "DIVISION"):
		p.cur.Divisions = addUnique(p.cur.Divisions, text)
	case n.up == "CODE_MEF":
		p.cur.MEF = firstNonEmpty(p.cur.MEF, text)
	case len(p.w.stack) != p.depth+1: // below a direct child: not the structure's own
	case isCodeName(n.up):
		p.cur.Code = firstNonEmpty(p.cur.Code, text)
	case n.up == "LIBELLE_LONG":
		p.cur.Name = text
	case n.up == "LIBELLE_COURT":
		p.cur.Name = firstNonEmpty(p.cur.Name, text)
	}
	return nil
}

// endStructure checks and stores a finished DIVISION or GROUPE.
func (p *structuresParser) endStructure(n *node) error {
	g := p.cur
	p.cur = nil
	if g.Code == "" {
		return perr(p.w.file, p.line, n.name, "%s without code (CODE_STRUCTURE)", n.name)
	}
	if prev, ok := p.seen[g.Code]; ok {
		return perr(p.w.file, p.line, n.name, "two structures with code %q (lines %d and %d)", clip(g.Code), prev, p.line)
	}
	p.seen[g.Code] = p.line
	dst, _ := p.groups.ensure(g.Code, g.Kind)
	*dst = *g
	return nil
}
