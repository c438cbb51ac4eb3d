// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/preau/preau/internal/core"
)

// AAFOptions narrows ParseAAFWith to one establishment of a file that
// covers several (an académie-wide feed).
type AAFOptions struct {
	// UAI, when set, keeps only the records of that establishment: people
	// attached to it or with a class, group or function in it, and only
	// their values for it. Deletions cannot be told apart and are all kept.
	UAI string
	// Structures maps AAF structure ids to UAIs, e.g. the Batch.Structures
	// of the EtabEducNat file parsed first. A structure id that is itself a
	// UAI needs no entry.
	Structures map[string]string
}

// aafRecord is one addRequest, modifyRequest or deleteRequest being read.
type aafRecord struct {
	op       string // "add", "modify", "delete"
	line     int
	category string
	id       string
	attrs    map[string][]string // allowed attribute (lower case) → non-empty values
	mods     []string            // modifyRequest: allowed attributes replaced (lower case)
}

// aafParser reads one ficAlimMENESR document.
type aafParser struct {
	w       *walker
	b       *Batch
	opt     AAFOptions
	fname   aafName
	rec     *aafRecord
	attr    string // name of the attr or modification being read, as written
	section string // OPERATIONALATTRIBUTES, IDENTIFIER, ATTRIBUTES, MODIFICATIONS
	out     aafOutput
}

// ParseAAF reads an AAF file (root ficAlimMENESR, formats.md §3): Complet
// or Delta, of type Eleve, PersEducNat, EtabEducNat, MefEducNat,
// MatiereEducNat or PersRelEleve. It is ParseAAFWith without options: the
// people of the file must all be attached to one establishment.
func ParseAAF(r io.Reader, name string) (*Batch, error) {
	return ParseAAFWith(r, name, AAFOptions{})
}

// ParseAAFWith reads an AAF file named name. The kind of each record comes
// from its categoriePersonne / categorieStructure / categorieMef /
// categorieMatiere, else from the <Type> part of the name; Complete is false
// for a name with _Delta_ (or, for an unnamed file, one with modify or
// delete requests). It keeps, per person: ENTPersonJointure (the key, as
// "MENESR$id"), sn and givenName, the attachment, ENTEleveINE, classes and
// groups (ENTEleveClasses, ENTEleveGroupes: structId$code), teachers'
// services (ENTAuxEns*: structId$code[$subject]) and head-teacher classes,
// functions (ENTPersonFonctions: structId$code$label$discipline$label) and
// ENTPersonProfils; from EtabEducNat the structure id → UAI map, classes
// and groups; from MefEducNat and MatiereEducNat the labels. Everything
// else — birth date, birth name, other given names, civility, addresses,
// phones, mail, regime, bursary, transport, MEF, guardian links — is
// dropped and counted; PersRelEleve records (guardians) are dropped whole.
// A modifyRequest gives a Partial person (only operation "replace" is
// accepted); a deleteRequest gives a Batch.Removed key. Errors are
// *ParseError: another root, malformed or truncated XML, an unsupported
// encoding, a record without identifier, an added person without names,
// two records for one person, a bad UAI, and, without opt.UAI, people of
// several establishments.
func ParseAAFWith(r io.Reader, name string, opt AAFOptions) (*Batch, error) {
	if opt.UAI != "" {
		uai, err := core.ParseUAI(opt.UAI)
		if err != nil {
			return nil, err
		}
		opt.UAI = uai
	}
	b := newBatch(SourceAAF, name)
	p := &aafParser{b: b, opt: opt, fname: parseAAFName(name)}
	p.w = newWalker(r, name, b)
	p.out.init(p)
	if err := p.w.run(rootAAF, handler{start: p.start, end: p.end}); err != nil {
		return nil, err
	}
	return b, p.out.finish()
}

func (p *aafParser) start(n *node, attrs []xml.Attr) error {
	w := p.w
	switch {
	case len(w.stack) == 2:
		if op := requestOp(n.up); op != "" {
			p.rec = &aafRecord{op: op, line: n.line, category: p.fname.category, attrs: map[string][]string{}}
			n.tag = tagRecord
		}
	case p.rec == nil:
	case len(w.stack) == 3:
		p.section = n.up
	case n.up == "ID" && p.section == "IDENTIFIER":
		n.keep = true
	case n.up == "ATTR" || n.up == "MODIFICATION":
		p.attr = attr(attrs, "name")
		if p.section != "OPERATIONALATTRIBUTES" && p.rec.category == "" {
			return p.noCategory(n)
		}
		if op := attr(attrs, "operation"); n.up == "MODIFICATION" && op != "" && !strings.EqualFold(op, "replace") {
			return perr(w.file, n.line, n.name, "modification of %s: operation %q is not supported (only replace)", clip(p.attr), clip(op))
		}
		if n.up == "MODIFICATION" && p.allowed() {
			p.rec.mods = append(p.rec.mods, strings.ToLower(p.attr))
		}
	case n.up == "VALUE" && p.section == "OPERATIONALATTRIBUTES":
		n.keep = true
	case n.up == "VALUE":
		n.keep, n.countAs = p.allowed(), p.attr
	}
	return nil
}

// requestOp maps a request element to its operation.
func requestOp(up string) string {
	switch up {
	case "ADDREQUEST":
		return "add"
	case "MODIFYREQUEST":
		return "modify"
	case "DELETEREQUEST":
		return "delete"
	}
	return ""
}

// allowed reports whether the current attribute is on the allow-list of
// the record's category.
func (p *aafParser) allowed() bool {
	return aafAllowed[p.rec.category][strings.ToLower(p.attr)]
}

// noCategory refuses an attribute of a record whose kind is unknown: its
// values could not be sorted into kept and dropped.
func (p *aafParser) noCategory(n *node) error {
	return perr(p.w.file, n.line, p.attr, "the record does not say its kind (no categoriePersonne or categorieStructure before its attributes) and neither does the file name (…_Eleve_0000.xml)")
}

func (p *aafParser) end(n *node, text string) error {
	switch {
	case n.tag == tagRecord:
		rec := p.rec
		p.rec, p.section = nil, ""
		return p.out.record(rec)
	case p.rec == nil || !n.keep:
	case n.up == "ID":
		p.rec.id = text
	case p.section == "OPERATIONALATTRIBUTES":
		if c := categoryOf(text); c != "" && strings.HasPrefix(strings.ToLower(p.attr), "categorie") {
			p.rec.category = c
		}
	case text != "":
		k := strings.ToLower(p.attr)
		p.rec.attrs[k] = append(p.rec.attrs[k], text)
	}
	return nil
}
