// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/preau/preau/internal/core"
)

// csvParser reads the rows of one CSV file.
type csvParser struct {
	b      *Batch
	file   string
	cr     *csv.Reader
	utf    bool
	cols   []string // canonical column of each field, "" when dropped
	names  []string // header cells as written
	keys   map[string]int
	uaiAt  int      // line that set the UAI
	yearAt int      // line that set the school year
	order  []string // group codes in order of first mention
	class  map[string]bool
}

// csvCharmap decides the encoding of a file without BOM: the name says
// latin1 / latin9 / iso-8859-1 / iso-8859-15 / cp1252 (any case, with or
// without separators), else the first 64 KiB are sniffed: valid UTF-8 stays
// UTF-8, anything else is ISO-8859-15, or Windows-1252 when bytes 0x80–0x9F
// occur (they are control codes in ISO-8859-15 but letters such as œ and ’
// in Excel's ANSI). It returns nil for UTF-8 and a warning when it guessed.
func csvCharmap(name string, head []byte) (*charmap.Charmap, string) {
	l := strings.NewReplacer("-", "", "_", "", ".", "", " ", "").Replace(strings.ToLower(name))
	for _, tag := range []string{"iso885915", "latin9", "iso88591", "latin1", "cp1252", "windows1252"} {
		if strings.Contains(l, tag) {
			cm, _ := charmapFor(tag)
			return cm, ""
		}
	}
	if validUTF8Prefix(head) {
		return nil, ""
	}
	for _, c := range head {
		if c >= 0x80 && c <= 0x9F {
			return charmap.Windows1252, "not valid UTF-8: read as Windows-1252"
		}
	}
	return charmap.ISO8859_15, "not valid UTF-8: read as ISO-8859-15"
}

// validUTF8Prefix reports whether head is UTF-8, allowing a rune cut by the
// end of the sample.
func validUTF8Prefix(head []byte) bool {
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

// rows reads every data row.
func (p *csvParser) rows() error {
	p.class = map[string]bool{}
	for {
		rec, err := p.cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.csvError(err)
		}
		line, _ := p.cr.FieldPos(0)
		if err := p.row(rec, line); err != nil {
			return err
		}
	}
}

// row turns one record into a Person.
func (p *csvParser) row(rec []string, line int) error {
	if len(rec) > len(p.cols) {
		return perr(p.file, line, "", "%d fields, but the header has %d columns", len(rec), len(p.cols))
	}
	v := map[string]string{}
	for i, cell := range rec {
		if !p.valid(cell) {
			return perr(p.file, line, p.names[i], "invalid UTF-8: save the file as UTF-8 or put latin9 in its name")
		}
		cell = unprotect(cell)
		switch {
		case cell == "":
		case p.cols[i] == "":
			p.b.drop(p.names[i]) // the value is not looked at
		case len(cell) > maxText:
			return perr(p.file, line, p.names[i], "value longer than %d bytes", maxText)
		default:
			v[p.cols[i]] = cell
		}
	}
	if err := p.establishment(v, line); err != nil {
		return err
	}
	prof, ok := csvProfiles[strings.ToLower(stripAccentsASCII(v["profile"]))]
	if !ok {
		return perr(p.file, line, "profile", "profile %q is not one of pupil, teacher, staff, head", clip(v["profile"]))
	}
	for _, c := range []string{"key", "given_name", "family_name"} {
		if v[c] == "" {
			return perr(p.file, line, c, "empty value")
		}
	}
	if prev, dup := p.keys[v["key"]]; dup {
		return perr(p.file, line, "key", "two rows with key %s (lines %d and %d)", clip(v["key"]), prev, line)
	}
	p.keys[v["key"]] = line
	p.b.People = append(p.b.People, p.person(v, prof, line))
	p.b.cover(prof)
	return nil
}

// establishment checks the uai and school_year of a row against the file's.
func (p *csvParser) establishment(v map[string]string, line int) error {
	uai, err := core.ParseUAI(v["uai"])
	if err != nil {
		return perr(p.file, line, "uai", "%s", core.MessageOf(err))
	}
	if p.b.UAI != "" && uai != p.b.UAI {
		return perr(p.file, line, "uai", "second establishment %s (line %d has %s): one file per establishment", uai, p.uaiAt, p.b.UAI)
	}
	if p.b.UAI == "" {
		p.b.UAI, p.uaiAt = uai, line
	}
	if s := v["school_year"]; s != "" {
		y, ok := parseYear(s)
		switch {
		case !ok:
			return perr(p.file, line, "school_year", "%q is not a school year such as 2026 or 2026-2027", clip(s))
		case p.b.SchoolYear != 0 && y != p.b.SchoolYear:
			return perr(p.file, line, "school_year", "second school year %d (line %d has %d)", y, p.yearAt, p.b.SchoolYear)
		case p.b.SchoolYear == 0:
			p.b.SchoolYear, p.yearAt = y, line
		}
	}
	return nil
}

// person builds the Person of a row.
func (p *csvParser) person(v map[string]string, prof core.Profile, line int) Person {
	pp := Person{Key: Key{KeyCSV, v["key"]}, ExternalIDs: map[string]string{KeyCSV: v["key"]},
		GivenName: cleanText(v["given_name"]), FamilyName: cleanText(v["family_name"]),
		Profile: prof, UAI: p.b.UAI, Class: v["class"], Line: line,
		Groups: list(v["groups"]), Disciplines: list(v["disciplines"]),
		HeadTeacherOf: list(v["head_teacher_of"]), Functions: list(v["functions"])}
	for _, k := range []string{KeyINE, KeySIECLE, KeySTS, KeyAAF} {
		if v[k] != "" {
			pp.ExternalIDs[k] = v[k]
		}
	}
	if pp.ExternalIDs[KeyAAF] != "" {
		pp.ExternalIDs[KeyAAF] = jointure(pp.ExternalIDs[KeyAAF])
	}
	for _, t := range list(v["teaches"]) {
		code, subject, _ := strings.Cut(t, ":")
		pp.Teaches = addTeaching(pp.Teaches, Teaching{Group: strings.TrimSpace(code), Subject: strings.TrimSpace(subject)})
	}
	p.mention(true, pp.Class)
	p.mention(true, pp.HeadTeacherOf...)
	p.mention(false, pp.Groups...)
	for _, t := range pp.Teaches {
		p.mention(false, t.Group)
	}
	return pp
}

// mention records group codes in order; classes are remembered as such.
func (p *csvParser) mention(class bool, codes ...string) {
	for _, c := range codes {
		if c != "" {
			p.order = append(p.order, c)
			p.class[c] = p.class[c] || class
		}
	}
}

// finish lists the groups: a code used as someone's class is a class,
// other codes are teaching groups.
func (p *csvParser) finish() {
	var gs groupSet
	for _, c := range p.order {
		kind := KindTeaching
		if p.class[c] {
			kind = KindClass
		}
		gs.ensure(c, kind)
	}
	p.b.Groups = gs.list
}

// list splits a "|"-separated cell, trimming and dropping empty items.
func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, "|") {
		out = addUnique(out, strings.TrimSpace(x))
	}
	return out
}

// unprotect trims a cell and removes Excel's text protection ="4A"
// (formats.md §2.6).
func unprotect(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		s = strings.TrimSpace(s[2 : len(s)-1])
	}
	return s
}

// stripAccentsASCII folds the accents of the profile aliases (élève).
func stripAccentsASCII(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'é', 'è', 'ê', 'É', 'È':
			return 'e'
		}
		return r
	}, s)
}
