// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// forbiddenAttributes are the names of personal data that CARINE forbids in
// the school directory (INF-ANN-8): birth date, phone, postal address and
// legal guardians, with the spellings used by LDAP schemas, SIECLE, AAF and
// common APIs. Keys are normalised by normAttr.
var forbiddenAttributes = buildForbiddenAttributes()

func buildForbiddenAttributes() map[string]string {
	m := map[string]string{}
	groups := map[string][]string{
		"birth date": {"birthdate", "dateofbirth", "datenaissance", "date_naissance", "dob",
			"birthday", "naissance", "entpersondatenaissance", "birth_date", "date_of_birth"},
		"phone number": {"phone", "telephone", "telephonenumber", "mobile", "mobilephone",
			"homephone", "tel", "telephone_portable", "portable", "entpersontelperso",
			"phonenumber", "phone_number", "cellphone", "fax", "facsimiletelephonenumber"},
		"postal address": {"address", "postaladdress", "homepostaladdress", "street", "adresse",
			"entpersonadresse", "entpersoncodepostal", "entpersonville", "postalcode",
			"codepostal", "code_postal", "ville", "city", "l", "st", "postofficebox"},
		"legal guardians": {"guardian", "guardians", "legalguardian", "responsable",
			"responsables", "enteleveparent", "enteleveparents", "entelevepere", "entelevemere", "enteleveautoriteparentale", "entelevepersrelation",
			"entelevepersrelationeleve", "parent", "parents", "entelevetuteur", "tuteur"},
	}
	for what, names := range groups {
		for _, n := range names {
			m[normAttr(n)] = what
		}
	}
	return m
}

func normAttr(s string) string {
	s = strings.ToLower(stripAccents(s))
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '.' {
			return -1
		}
		return r
	}, s)
}

// ForbiddenAttribute reports whether an attribute or field name denotes
// personal data that the school directory must never store (INF-ANN-8), and
// what kind of data it is ("birth date", "phone number", "postal address",
// "legal guardians").
func ForbiddenAttribute(name string) (what string, forbidden bool) {
	what, forbidden = forbiddenAttributes[normAttr(name)]
	return what, forbidden
}

// stripAccents removes combining marks: "PRIVÉ" → "PRIVE".
func stripAccents(s string) string {
	d := norm.NFD.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, d)
}

// privateWords are the markers CARINE names (UTI-ESF-6): PERSONNEL and PRIVÉ.
var privateWords = []string{"PERSONNEL", "PRIVE"}

// IsPrivate reports whether a path component, folder or file name, or mail
// subject marks its item as private (design §3, UTI-ESF-6): it says PERSONNEL
// or PRIVÉ in any case, with or without the accent, with or without brackets,
// as the whole name, its stem before an extension, or its first word; extra
// holds more marker words the establishment adds. A private item and
// everything below it are owner-only.
func IsPrivate(name string, extra ...string) bool {
	s := strings.ToUpper(stripAccents(strings.TrimSpace(name)))
	s = strings.TrimLeft(s, "[(<{ ")
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return false
	}
	first := words[0]
	for _, w := range privateWords {
		if first == w {
			return true
		}
	}
	for _, e := range extra {
		if e = strings.ToUpper(stripAccents(strings.TrimSpace(e))); e != "" && first == e {
			return true
		}
	}
	return false
}

// PathIsPrivate reports whether any component of a slash-separated path is
// private.
func PathIsPrivate(path string, extra ...string) bool {
	for _, c := range strings.Split(path, "/") {
		if c != "" && IsPrivate(c, extra...) {
			return true
		}
	}
	return false
}
