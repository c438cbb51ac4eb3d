// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"io"
)

// labels collects the label children of one nomenclature entry (MEF,
// MATIERE) and picks the most readable one.
type labels struct {
	code                        string
	edition, long, short, other string
}

// set records one label element; it reports whether el is one.
func (l *labels) set(el, text string) bool {
	switch el {
	case "LIBELLE_EDITION":
		l.edition = text
	case "LIBELLE_LONG":
		l.long = text
	case "LIBELLE_COURT":
		l.short = text
	case "FORMATION", "CODE_GESTION":
		l.other = text
	default:
		return false
	}
	return true
}

// best returns the edition label (mixed case, meant for display), else the
// long, short or other one, else the code.
func (l *labels) best() string {
	return firstNonEmpty(l.edition, l.long, l.short, l.other, l.code)
}

func isLabel(up string) bool {
	switch up {
	case "LIBELLE_EDITION", "LIBELLE_LONG", "LIBELLE_COURT", "FORMATION", "CODE_GESTION":
		return true
	}
	return false
}

// ParseNomenclature reads a SIECLE nomenclature export (root
// BEE_NOMENCLATURES, Nomenclature.xml, formats.md §2.4). It keeps only the
// MEF labels (Batch.MEFs, code → LIBELLE_EDITION, else LIBELLE_LONG, else
// FORMATION), which Merge uses as class levels; subjects, programmes and
// options are dropped. Errors are *ParseError, as for ParseSIECLE.
func ParseNomenclature(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceSIECLE, name)
	b.MEFs = map[string]string{}
	w := newWalker(r, name, b)
	var params beeParams
	var cur *labels
	start := func(n *node, attrs []xml.Attr) error {
		switch {
		case params.start(w, n):
		case n.up == "MEF" && w.under(rootNomenclatures, "DONNEES", "MEFS"):
			cur = &labels{code: attr(attrs, "CODE_MEF", "CODE")}
			n.tag = tagRecord
		case cur != nil && (isLabel(n.up) || n.up == "CODE_MEF") && w.under("MEF"):
			n.keep = true
		}
		return nil
	}
	end := func(n *node, text string) error {
		switch {
		case n.tag == tagParam:
			return params.end(w, n, text)
		case n.tag == tagRecord:
			if cur.code == "" {
				return perr(name, n.line, n.name, "MEF without CODE_MEF")
			}
			b.MEFs[cur.code] = cur.best()
			cur = nil
		case cur != nil && n.up == "CODE_MEF":
			cur.code = firstNonEmpty(cur.code, text)
		case cur != nil && n.keep:
			cur.set(n.up, text)
		}
		return nil
	}
	if err := w.run(rootNomenclatures, handler{start: start, end: end}); err != nil {
		return nil, err
	}
	if err := params.finish(w, b); err != nil {
		return nil, err
	}
	return b, nil
}
