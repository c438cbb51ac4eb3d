// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"time"

	"github.com/preau/preau/internal/core"
)

// beeParams reads the PARAMETRES block shared by the SIECLE exports
// (BEE_ELEVES, BEE_STRUCTURES, BEE_NOMENCLATURES): UAJ, ANNEE_SCOLAIRE,
// DATE_EXPORT. HORODATAGE and the rest are dropped.
type beeParams struct {
	uai        string
	year       int
	exportDate time.Time
}

// start marks the kept PARAMETRES children; it reports whether n is one.
func (p *beeParams) start(w *walker, n *node) bool {
	if !w.under(w.stack[0].up, "PARAMETRES") {
		return false
	}
	switch n.up {
	case "UAJ", "ANNEE_SCOLAIRE", "DATE_EXPORT":
		n.keep, n.tag = true, tagParam
		return true
	case "HORODATAGE":
		n.quiet = true // export metadata, not personal
		return true
	}
	return false
}

// end records a kept PARAMETRES child; other elements are ignored.
func (p *beeParams) end(w *walker, n *node, text string) error {
	if n.tag != tagParam {
		return nil
	}
	switch n.up {
	case "UAJ":
		uai, err := core.ParseUAI(text)
		if err != nil {
			return perr(w.file, n.line, n.name, "%s", core.MessageOf(err))
		}
		p.uai = uai
	case "ANNEE_SCOLAIRE":
		y, ok := parseYear(text)
		if !ok {
			return perr(w.file, n.line, n.name, "school year %q is not a year such as 2026", clip(text))
		}
		p.year = y
	case "DATE_EXPORT":
		if t, ok := parseDate(text); ok {
			p.exportDate = t
		}
	}
	return nil
}

// finish checks that UAJ and ANNEE_SCOLAIRE were given and copies them to b.
func (p *beeParams) finish(w *walker, b *Batch) error {
	line, _ := w.dec.InputPos()
	if p.uai == "" {
		return perr(w.file, line, "PARAMETRES/UAJ", "missing: the file does not say which establishment it is for")
	}
	if p.year == 0 {
		return perr(w.file, line, "PARAMETRES/ANNEE_SCOLAIRE", "missing: the file does not say which school year it is for")
	}
	b.UAI, b.SchoolYear = p.uai, p.year
	return nil
}
