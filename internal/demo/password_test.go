// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
)

// passwordRE is the password rule: 4 or 5 consonant-vowel syllables with
// no l, o, h, q, w, x or y, then two digits from 2 to 9.
var passwordRE = regexp.MustCompile(`^([bcdfgjkmnprstvz][aeiu]){4,5}[2-9]{2}$`)

// loginWords returns the words of a login: "zoe.da-silva2" → zoe, da-silva,
// dasilva, silva (parts under 3 letters are left out).
func loginWords(login string) []string {
	words := []string{login}
	for _, w := range strings.Split(strings.TrimRight(login, "0123456789"), ".") {
		words = append(words, w, strings.ReplaceAll(w, "-", ""))
		for _, part := range strings.Split(w, "-") {
			if len(part) >= 3 {
				words = append(words, part)
			}
		}
	}
	return words
}

// CARINE: INF-ANN-8, INF-AUT-7
func TestGeneratePasswords(t *testing.T) {
	t.Parallel()
	d := generate(t)
	seen := map[string]int{}
	for _, p := range d.People() {
		pw := p.Password
		if !passwordRE.MatchString(pw) || len(pw) < 10 || len(pw) > 12 {
			t.Errorf("%s: password %q breaks the rule", p.Key, pw)
		}
		for _, w := range loginWords(p.Login) {
			if w != "" && strings.Contains(pw, w) {
				t.Errorf("%s: password %q contains %q from login %q", p.Key, pw, w, p.Login)
			}
		}
		for _, n := range []string{p.GivenName, p.FamilyName} {
			if strings.Contains(pw, strings.ToLower(n)) {
				t.Errorf("%s: password %q contains name %q", p.Key, pw, n)
			}
		}
		seen[pw]++
	}
	if len(seen) < len(d.People())*99/100 {
		t.Errorf("only %d distinct passwords for %d people", len(seen), len(d.People()))
	}
}

// CARINE: INF-AUT-1
func TestGeneratePictureSequences(t *testing.T) {
	t.Parallel()
	d := generate(t)
	set := demo.PictureSet()
	if len(set) < 12 || len(slices.Compact(slices.Sorted(slices.Values(set)))) != len(set) {
		t.Fatalf("PictureSet() = %v, want about 16 distinct names", set)
	}
	for _, e := range d.Establishments {
		for _, p := range e.People {
			wantSeq := e.Type == demo.TypeEcole && p.Profile == core.ProfilePupil
			if !wantSeq {
				if p.PictureSequence != nil {
					t.Errorf("%s (%s %s) has a picture sequence", p.Key, e.Type, p.Profile)
				}
				continue
			}
			seq := p.PictureSequence
			if len(seq) != demo.PictureLength {
				t.Errorf("%s: picture sequence %v, want %d pictures", p.Key, seq, demo.PictureLength)
			}
			for i, pic := range seq {
				if !slices.Contains(set, pic) || slices.Contains(seq[:i], pic) {
					t.Errorf("%s: picture sequence %v: %q unknown or repeated", p.Key, seq, pic)
				}
			}
		}
	}
}
