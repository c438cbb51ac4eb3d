// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// csvColumns are the columns of the CSV format, with the French aliases
// accepted in headers (normalised by csvColumnName).
var csvColumns = map[string]string{
	"uai": "uai", "profile": "profile", "profil": "profile", "key": "key", "identifiant": "key",
	"given_name": "given_name", "prenom": "given_name", "family_name": "family_name", "nom": "family_name",
	"class": "class", "classe": "class", "division": "class", "groups": "groups", "groupes": "groups",
	"ine": "ine", "siecle_eleve_id": "siecle_eleve_id", "sts_id": "sts_id", "aaf_jointure": "aaf_jointure",
	"disciplines": "disciplines", "teaches": "teaches", "head_teacher_of": "head_teacher_of",
	"functions": "functions", "fonctions": "functions", "school_year": "school_year",
}

// csvRequired are the columns every file must have.
var csvRequired = []string{"uai", "profile", "key", "given_name", "family_name"}

// csvProfiles maps the profile column's values (and French aliases) to profiles.
var csvProfiles = map[string]core.Profile{
	"pupil": core.ProfilePupil, "eleve": core.ProfilePupil, "teacher": core.ProfileTeacher,
	"enseignant": core.ProfileTeacher, "professeur": core.ProfileTeacher, "staff": core.ProfileStaff,
	"personnel": core.ProfileStaff, "head": core.ProfileHead, "direction": core.ProfileHead,
}

// csvColumnName normalises a header cell: lower case, no accents, spaces
// and hyphens as underscores.
func csvColumnName(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	r := strings.NewReplacer("é", "e", "è", "e", "ê", "e", " ", "_", "-", "_")
	return r.Replace(h)
}

// ParseCSV reads the documented CSV format (see the package doc) named
// name: a header line, then one person per line. Forbidden columns
// (core.ForbiddenAttribute: birth date, phone, address, guardians…) and
// unknown columns are dropped and counted, with a warning naming the column,
// never a value. Errors are *ParseError: a missing header or required
// column, a duplicate column, malformed CSV, invalid UTF-8 after the first
// 64 KiB, a bad or second UAI or school year, an unknown profile, a missing
// key or name, two rows with one key.
func ParseCSV(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceCSV, name)
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var in io.Reader = br
	utf := true
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(3)
		head = head[3:]
	} else if cm, why := csvCharmap(name, head); cm != nil {
		in, utf = cm.NewDecoder().Reader(br), false
		if why != "" {
			b.Warnings = append(b.Warnings, name+": "+why)
		}
	}
	cr := csv.NewReader(in)
	cr.Comma = sniffComma(head)
	cr.ReuseRecord = true
	cr.LazyQuotes = true    // Excel writes ="4A" (formats.md §2.6)
	cr.FieldsPerRecord = -1 // short rows are padded; long ones are refused by row
	p := &csvParser{b: b, file: name, cr: cr, utf: utf, keys: map[string]int{}}
	if err := p.header(); err != nil {
		return nil, err
	}
	if err := p.rows(); err != nil {
		return nil, err
	}
	p.finish()
	return b, nil
}

// sniffComma picks the separator of the header line: ';' (French Excel),
// tab or ',' (the default), whichever occurs most.
func sniffComma(head []byte) rune {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(line, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

// header reads and checks the header line.
func (p *csvParser) header() error {
	rec, err := p.cr.Read()
	if err == io.EOF {
		return perr(p.file, 1, "", "empty file: a header line is required (%s)", strings.Join(csvRequired, ","))
	}
	if err != nil {
		return p.csvError(err)
	}
	p.cols = make([]string, len(rec))
	seen := map[string]bool{}
	for i, h := range rec {
		if !p.valid(h) {
			return perr(p.file, 1, "", "header: invalid UTF-8")
		}
		col, known := csvColumns[csvColumnName(h)]
		p.names = append(p.names, strings.TrimSpace(h))
		switch {
		case known && seen[col]:
			return perr(p.file, 1, p.names[i], "column given twice")
		case known:
			seen[col], p.cols[i] = true, col
		default:
			p.warnDropped(p.names[i])
		}
	}
	for _, c := range csvRequired {
		if !seen[c] {
			return perr(p.file, 1, c, "required column missing; the header must have %s", strings.Join(csvRequired, ", "))
		}
	}
	return nil
}

// warnDropped notes a column that is not imported.
func (p *csvParser) warnDropped(col string) {
	if what, forbidden := core.ForbiddenAttribute(col); forbidden {
		p.b.Warnings = append(p.b.Warnings, fmt.Sprintf("%s: column %q (%s) is never imported (INF-ANN-8): its values are dropped", p.file, clip(col), what))
		return
	}
	p.b.Warnings = append(p.b.Warnings, fmt.Sprintf("%s: column %q is not a known column: its values are dropped", p.file, clip(col)))
}

// valid checks UTF-8 when the input is read as UTF-8.
func (p *csvParser) valid(s string) bool { return !p.utf || utf8.ValidString(s) }

// csvError turns a csv.Reader error into a ParseError (or an I/O error).
func (p *csvParser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return perr(p.file, pe.Line, "", "malformed CSV: %s", pe.Err.Error())
	}
	return fmt.Errorf("reading %s: %w", p.file, err)
}
