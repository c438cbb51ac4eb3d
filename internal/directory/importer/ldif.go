// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// SourceLDIF is an LDIF file (RFC 2849) of people, e.g. an export of the
// ENT's or an older school server's directory (OpenLDAP, Samba).
const SourceLDIF Source = "ldif"

// ldifKept are the attributes an LDIF import keeps (lower case); every other
// attribute, userPassword included, is dropped and counted. Initial
// passwords are generated, never taken from another directory.
var ldifKept = map[string]bool{"dn": true, "objectclass": true, "uid": true, "givenname": true, "sn": true,
	"entryuuid": true, "entpersonprofils": true, "entpersonstructrattach": true, "enteleveclasses": true,
	"entelevegroupes": true, "enteleveine": true, "entauxensclasses": true, "entauxensgroupes": true}

// ldifProfiles maps national profile codes (formats.md §4.4) to profiles.
var ldifProfiles = map[string]core.Profile{"national_elv": core.ProfilePupil, "national_1": core.ProfilePupil,
	"national_ens": core.ProfileTeacher, "national_doc": core.ProfileTeacher, "national_3": core.ProfileTeacher,
	"national_dir": core.ProfileHead}

const maxLDIFLine = 64 << 10

// ParseLDIF reads people from an LDIF file: entries whose objectClass is a
// person class (inetOrgPerson, posixAccount, ENTPerson, person). Groups and
// other entries are skipped. Only content records and "changetype: add" are
// accepted; values may be base64 (::) but not URLs (:<). The key of a person
// is its entryUUID, else its uid; the establishment comes from
// ENTPersonStructRattach (a DN with ou=<UAI>) and must be the same for all.
func ParseLDIF(r io.Reader, name string) (*Batch, error) {
	b := newBatch(SourceLDIF, name)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLDIFLine)
	var rec []ldifLine
	line, start := 0, 0
	flush := func() error {
		if len(rec) == 0 {
			return nil
		}
		err := b.ldifRecord(name, start, rec)
		rec = rec[:0]
		return err
	}
	for sc.Scan() {
		line++
		l := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case l == "":
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(l, "#"):
			continue
		case strings.HasPrefix(l, " "):
			if len(rec) == 0 {
				return nil, perr(name, line, "", "a continuation line must follow an attribute line")
			}
			rec[len(rec)-1].raw += l[1:]
			continue
		}
		if len(rec) == 0 {
			start = line
			if strings.HasPrefix(strings.ToLower(l), "version:") {
				continue
			}
		}
		rec = append(rec, ldifLine{raw: l, line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, perr(name, line+1, "", "unreadable LDIF: %v", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(b.People) == 0 {
		return nil, perr(name, line, "", "no person entry (inetOrgPerson, posixAccount or ENTPerson) in this LDIF file")
	}
	return b, nil
}

type ldifLine struct {
	raw  string
	line int
}

// ldifAttr decodes one attribute line: "name: value" or "name:: base64".
func ldifAttr(name string, l ldifLine) (string, string, error) {
	attr, rest, ok := strings.Cut(l.raw, ":")
	if !ok || attr == "" {
		return "", "", perr(name, l.line, "", "expected name: value")
	}
	attr = strings.ToLower(strings.TrimSpace(attr))
	if i := strings.IndexByte(attr, ';'); i >= 0 {
		attr = attr[:i] // options such as ;lang-fr
	}
	switch {
	case strings.HasPrefix(rest, ":"):
		v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest[1:]))
		if err != nil {
			return "", "", perr(name, l.line, attr, "invalid base64 value")
		}
		if !utf8.Valid(v) {
			return "", "", perr(name, l.line, attr, "the value is not UTF-8 text")
		}
		return attr, string(v), nil
	case strings.HasPrefix(rest, "<"):
		return "", "", perr(name, l.line, attr, "values read from a URL (:<) are not accepted")
	}
	return attr, strings.TrimSpace(rest), nil
}

// ldifRecord turns one record into a person (or skips it).
func (b *Batch) ldifRecord(name string, start int, rec []ldifLine) error {
	attrs := map[string][]string{}
	for i, l := range rec {
		a, v, err := ldifAttr(name, l)
		if err != nil {
			return err
		}
		if i == 0 && a != "dn" {
			return perr(name, l.line, a, "an entry must start with dn:")
		}
		if a == "changetype" && !strings.EqualFold(v, "add") {
			return perr(name, l.line, a, "only entries to add are imported, not changetype %s", clipValue(v))
		}
		if !ldifKept[a] && a != "changetype" {
			if v != "" {
				b.Dropped[a]++ // counted, never kept (birth dates, addresses, passwords…)
			}
			continue
		}
		attrs[a] = append(attrs[a], v)
	}
	if !isPersonEntry(attrs["objectclass"]) {
		return nil
	}
	return b.ldifPerson(name, start, attrs)
}

func isPersonEntry(classes []string) bool {
	for _, c := range classes {
		switch strings.ToLower(c) {
		case "inetorgperson", "posixaccount", "entperson", "person":
			return true
		}
	}
	return false
}

func (b *Batch) ldifPerson(name string, line int, a map[string][]string) error {
	first := func(k string) string {
		if v := a[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	key := first("entryuuid")
	if key == "" {
		key = first("uid")
	}
	if key == "" || first("sn") == "" {
		return perr(name, line, "dn", "a person needs a uid (or entryUUID) and an sn")
	}
	uai := ""
	for _, rdn := range strings.Split(first("entpersonstructrattach"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(rdn), "=")
		if strings.EqualFold(k, "ou") {
			if u, err := core.ParseUAI(v); err == nil {
				uai = u
				break
			}
		}
	}
	if uai == "" {
		return perr(name, line, "ENTPersonStructRattach", "no establishment: ENTPersonStructRattach must name ou=<UAI>")
	}
	if b.UAI == "" {
		b.UAI = uai
	} else if b.UAI != uai {
		return perr(name, line, "ENTPersonStructRattach", "people of two establishments (%s and %s): import one establishment per file", b.UAI, uai)
	}
	for _, p := range b.People {
		if p.Key.Value == key {
			return perr(name, line, "uid", "two entries have the key %s", clipValue(key))
		}
	}
	p := Person{Key: Key{KeyCSV, key}, ExternalIDs: map[string]string{KeyCSV: key}, GivenName: first("givenname"),
		FamilyName: first("sn"), Profile: core.ProfileStaff, UAI: uai, Line: line}
	for _, code := range a["entpersonprofils"] {
		if prof, ok := ldifProfiles[strings.ToLower(code)]; ok {
			p.Profile = prof
			break
		}
	}
	if ine := first("enteleveine"); ine != "" && p.Profile == core.ProfilePupil {
		p.ExternalIDs[KeyINE] = ine
	}
	after := func(v string) string { _, code, _ := cutLast(v, "$"); return code }
	if c := first("enteleveclasses"); c != "" {
		p.Class = after(c)
	}
	for _, g := range a["entelevegroupes"] {
		p.Groups = append(p.Groups, after(g))
	}
	for _, k := range []string{"entauxensclasses", "entauxensgroupes"} {
		for _, g := range a[k] {
			p.Teaches = append(p.Teaches, Teaching{Group: after(g)})
		}
	}
	b.People = append(b.People, p)
	b.cover(p.Profile)
	return nil
}

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, s, false
	}
	return s[:i], s[i+len(sep):], true
}

// clipValue bounds a value echoed in an error.
func clipValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// looksLikeLDIF reports whether head starts like an LDIF file.
func looksLikeLDIF(head []byte) bool {
	for _, l := range bytes.Split(head, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		s := strings.ToLower(string(l))
		return strings.HasPrefix(s, "version:") || strings.HasPrefix(s, "dn:")
	}
	return false
}
