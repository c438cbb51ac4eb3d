// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	_ "embed"
	"math/rand/v2"
	"strings"
)

//go:embed names/prenoms.txt
var prenomsTxt string

//go:embed names/noms.txt
var nomsTxt string

// gender only chooses the agreement of a function title ("Directeur",
// "Directrice"). It is never stored in a Person.
type gender uint8

const (
	male gender = iota
	female
)

// givenName is one entry of prenoms.txt.
type givenName struct {
	name   string
	slug   string // login form, see slug
	g      gender
	either bool // épicène: the gender is drawn when needed
	adult  bool // mostly borne by adults: never given to a pupil
}

// nameBank holds the parsed, embedded name lists.
type nameBank struct {
	pupilGiven []givenName // names usable for pupils
	adultGiven []givenName // every name
	family     []string
	familySlug []string // slug of family[i]
}

// loadNames parses the embedded lists. They are part of the binary and
// checked by tests, so a malformed line is skipped rather than reported.
func loadNames() *nameBank {
	b := &nameBank{family: textLines(nomsTxt)}
	for _, f := range b.family {
		b.familySlug = append(b.familySlug, slug(f))
	}
	for _, l := range textLines(prenomsTxt) {
		tag, name, ok := strings.Cut(l, " ")
		if !ok || name == "" {
			continue
		}
		gn := givenName{name: strings.TrimSpace(name)}
		gn.slug = slug(gn.name)
		gn.adult = strings.HasSuffix(tag, "+")
		switch strings.TrimSuffix(tag, "+") {
		case "f":
			gn.g = female
		case "m":
			gn.g = male
		case "x":
			gn.either = true
		default:
			continue
		}
		b.adultGiven = append(b.adultGiven, gn)
		if !gn.adult {
			b.pupilGiven = append(b.pupilGiven, gn)
		}
	}
	return b
}

// textLines returns the non-empty lines of s that are not # comments,
// trimmed.
func textLines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// fullName is a drawn name, its login forms and the gender used for
// agreement.
type fullName struct {
	given, family         string
	givenSlug, familySlug string
	g                     gender
}

// draw returns a random name; adult chooses the list of given names.
func (b *nameBank) draw(r *rand.Rand, adult bool) fullName {
	list := b.pupilGiven
	if adult {
		list = b.adultGiven
	}
	gn := list[r.IntN(len(list))]
	f := r.IntN(len(b.family))
	g := gn.g
	if gn.either {
		g = gender(r.IntN(2))
	}
	return fullName{given: gn.name, family: b.family[f], givenSlug: gn.slug,
		familySlug: b.familySlug[f], g: g}
}

// agree returns the title that agrees with g: masc for male, fem for female.
func agree(g gender, masc, fem string) string {
	if g == female {
		return fem
	}
	return masc
}
