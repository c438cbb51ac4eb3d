// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"strings"
	"testing"
)

func TestNameLists(t *testing.T) {
	t.Parallel()
	b := loadNames()
	if n := len(b.adultGiven); n != len(textLines(prenomsTxt)) {
		t.Errorf("parsed %d first names of %d lines: a line is malformed", n, len(textLines(prenomsTxt)))
	}
	if len(b.pupilGiven) < 300 || len(b.family) < 400 {
		t.Errorf("%d first names for pupils, %d family names; want ≥ 300 and ≥ 400",
			len(b.pupilGiven), len(b.family))
	}
	var f, m int
	for _, g := range b.pupilGiven {
		switch {
		case g.either:
		case g.g == female:
			f++
		default:
			m++
		}
	}
	if f < 100 || m < 100 {
		t.Errorf("%d female and %d male first names for pupils, want ≥ 100 of each", f, m)
	}
	for _, list := range [][]string{namesOf(b.adultGiven), b.family} {
		seen := map[string]bool{}
		for _, n := range list {
			s := slug(n)
			if seen[n] || s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz-") != "" {
				t.Errorf("name %q: duplicate or slug %q not ASCII", n, s)
			}
			seen[n] = true
		}
	}
}

func namesOf(gs []givenName) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.name
	}
	return out
}

func TestSlug(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Zoé", "zoe"},
		{"Jean-Baptiste", "jean-baptiste"},
		{"N'Diaye", "ndiaye"},
		{"Le Gall", "le-gall"},
		{"Guivarc'h", "guivarch"},
		{"Çelik", "celik"},
		{"Wiśniewski", "wisniewski"},
		{"Aït  Ahmed", "ait-ahmed"},
		{"Œdipe", "oedipe"},
		{" - ", ""},
	} {
		if got := slug(tc.in); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoginsCollide(t *testing.T) {
	t.Parallel()
	l := newLogins("admin")
	got := []string{l.next(slug("Zoé"), slug("Martin")), l.next(slug("Zoe"), slug("Martin")),
		l.next(slug("Zoé"), slug("Martin")), l.next(slug("Léo"), slug("Da Silva"))}
	want := []string{"zoe.martin", "zoe.martin2", "zoe.martin3", "leo.da-silva"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("login %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestPasswordAvoidsWords(t *testing.T) {
	t.Parallel()
	r := newRand(7, "test")
	avoid := nameWords("eva.sabatier", "eva", "sabatier")
	for range 5000 {
		pw := password(r, avoid)
		if containsAny(pw, avoid) || containsAny(pw, pwDeny) {
			t.Fatalf("password %q contains an avoided word", pw)
		}
	}
}
