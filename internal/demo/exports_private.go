// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/preau/preau/internal/core"
)

// private is the synthetic personal data the national files carry and the
// directory must never hold (INF-ANN-8): it exists only while an export is
// written, so that importers are tested on realistic files. Every value is
// fake: phone numbers are in the ranges ARCEP reserves for fiction
// (01 99 00…, 06 39 98…), mail domains are reserved (RFC 2606) and the
// streets and communes do not exist.
type private struct {
	birth        time.Time
	sex          int    // CODE_SEXE: 1 or 2
	birthName    string // legal family name; differs from the usual one for a few people
	otherGiven   []string
	dept, insee  string // birth département and commune code
	birthCity    string
	mail         string // personal mail, "" for most
	mobile, home string // "" when none
	street       string
	postcode     string
	city         string
	regime       int  // 0 externe, 2 demi-pensionnaire, 3 interne
	repeating    bool // the pupil repeats the year
	grade        string
	guardians    []guardian
}

// guardian is a legal guardian of a pupil, for the AAF PersRelEleve file.
type guardian struct {
	id, title, given, family, mobile, mail string
	relation                               int // 10 mother, 20 father, 50 other (illustrative)
}

var (
	streets = []string{"rue des Lilas", "avenue Jean Jaurès", "impasse des Glycines", "chemin du Moulin",
		"allée des Tilleuls", "boulevard Victor Hugo", "place de la Mairie", "rue Pasteur",
		"route de la Forêt", "rue de l'Égalité", "square des Érables", "rue du Onze-Novembre"}
	communes = []struct{ name, postcode string }{{City, "99100"}, {"Villefictive", "99110"},
		{"Bourg-des-Essais", "99120"}, {"Montexemple", "99130"}, {"Fauxville-sur-Loire", "99140"}}
	birthPlaces = []struct{ dept, insee, city string }{{"075", "75056", "PARIS"}, {"069", "69123", "LYON"},
		{"013", "13055", "MARSEILLE"}, {"059", "59350", "LILLE"}, {"033", "33063", "BORDEAUX"},
		{"099", "99350", "CASABLANCA (MAROC)"}, {"031", "31555", "TOULOUSE"}}
	grades = []string{"CERT", "AGR", "PLP", "CPE", "ATTACHE", "SAENES", "INF", "PSYEN", "AED", "CONT"}
)

// privateFor returns the private data of person p, drawn from a stream of
// its own: the same person gets the same data in every export.
func privateFor(p *Person, level string, year int, names *nameBank) private {
	r := newRand(int64(year), "exports/private/"+p.Key)
	v := private{sex: 1 + r.IntN(2), birthName: p.FamilyName}
	age := 25 + r.IntN(38)
	if p.Profile == core.ProfilePupil {
		age = ageAtStart[level]
		switch x := r.IntN(100); {
		case x < 12:
			age, v.repeating = age+1, true
		case x < 14:
			age--
		}
	}
	v.birth = time.Date(year-age, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	if r.IntN(100) < 4 {
		v.birthName = names.draw(r, true).family // a usual name differs from the legal one
	}
	for range r.IntN(3) {
		v.otherGiven = append(v.otherGiven, names.draw(r, p.Profile.Adult()).given)
	}
	bp := birthPlaces[r.IntN(len(birthPlaces))]
	v.dept, v.insee, v.birthCity = bp.dept, bp.insee, bp.city
	n := r.IntN(10000)
	if r.IntN(100) < 35 {
		v.mail = fmt.Sprintf("%s.%s%02d@example.net", slug(p.GivenName), slug(p.FamilyName), n%100)
	}
	if r.IntN(100) < 60 {
		v.mobile = fmt.Sprintf("06 39 98 %02d %02d", n/100, n%100)
	}
	if r.IntN(100) < 40 {
		v.home = fmt.Sprintf("01 99 00 %02d %02d", r.IntN(100), r.IntN(100))
	}
	c := communes[r.IntN(len(communes))]
	v.street = fmt.Sprintf("%d %s", 1+r.IntN(120), streets[r.IntN(len(streets))])
	v.postcode, v.city = c.postcode, c.name
	v.regime = []int{0, 2, 2, 2, 3}[r.IntN(5)]
	v.grade = grades[r.IntN(len(grades))]
	if p.Profile == core.ProfilePupil {
		v.guardians = guardiansFor(p, r, names)
	}
	return v
}

// guardiansFor draws one or two guardians; their ids are derived from the
// pupil's SIECLE id so that they are stable and distinct.
func guardiansFor(p *Person, r *rand.Rand, names *nameBank) []guardian {
	id := p.ExternalIDs["siecle_eleve_id"]
	n := 1 + r.IntN(2)
	out := make([]guardian, 0, n)
	for i := range n {
		nm := names.draw(r, true)
		g := guardian{id: fmt.Sprintf("6%s%d", id, i), given: nm.given, family: p.FamilyName,
			title: agree(nm.g, "M.", "Mme"), relation: []int{10, 20, 50}[min(i+r.IntN(2), 2)]}
		if r.IntN(100) < 30 {
			g.family = nm.family
		}
		g.mobile = fmt.Sprintf("06 39 98 %02d %02d", r.IntN(100), r.IntN(100))
		g.mail = fmt.Sprintf("%s.%s@example.org", slug(g.given), slug(g.family))
		out = append(out, g)
	}
	return out
}

// frDate writes a date as the national files do: dd/mm/yyyy.
func frDate(t time.Time) string { return t.Format("02/01/2006") }
