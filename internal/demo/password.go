// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"math/rand/v2"
	"strings"
)

// Password alphabet. Passwords are easy for a child to read and type: lower
// case consonant-vowel syllables, then two digits. Characters that are
// easily confused are left out: l (1, I), o (0, O), 0, 1, and the letters
// h, q, w, x, y that young readers stumble on.
const (
	pwConsonants = "bcdfgjkmnprstvz"
	pwVowels     = "aeiu"
	pwDigits     = "23456789"
)

// pwDeny lists syllable sequences a password must not contain: words a
// teacher would not hand to a child.
var pwDeny = []string{"pute", "puta", "bite", "nazi", "pede", "caca", "kaka", "zizi",
	"pipi", "suce", "nik"}

// password returns a typed initial password of 10 or 12 characters: two
// syllable words (2 syllables, then 2 or 3) and two digits, e.g.
// "bakuteri47". It is drawn from r only and never from a name or a date
// (INF-ANN-8); avoid lists lower-case words it must not contain (the login
// and the parts of the person's names), and it is redrawn if it does.
func password(r *rand.Rand, avoid []string) string {
	for {
		var b strings.Builder
		b.Grow(12)
		n := 4 + r.IntN(2)
		for range n {
			b.WriteByte(pwConsonants[r.IntN(len(pwConsonants))])
			b.WriteByte(pwVowels[r.IntN(len(pwVowels))])
		}
		b.WriteByte(pwDigits[r.IntN(len(pwDigits))])
		b.WriteByte(pwDigits[r.IntN(len(pwDigits))])
		pw := b.String()
		if !containsAny(pw, pwDeny) && !containsAny(pw, avoid) {
			return pw
		}
	}
}

// containsAny reports whether s contains one of the non-empty words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// nameWords returns the words a person's password must not contain: the
// login, each name slug without separators, and each part of a compound
// name that is at least 3 letters long.
func nameWords(login string, slugs ...string) []string {
	words := []string{login}
	for _, s := range slugs {
		words = append(words, strings.ReplaceAll(s, "-", ""))
		for _, part := range strings.Split(s, "-") {
			if len(part) >= 3 {
				words = append(words, part)
			}
		}
	}
	return words
}

// pictures is the fixed set of pictures of the école picture password
// (INF-AUT-1): things a nursery-school child can name.
var pictures = [...]string{
	"chat", "chien", "soleil", "lune", "arbre", "fleur", "maison", "bateau",
	"pomme", "poisson", "etoile", "velo", "ballon", "oiseau", "cheval", "voiture",
}

// PictureSet returns the names of the pictures a picture sequence is drawn
// from, in a fixed order. The caller may modify the returned slice.
func PictureSet() []string { return append([]string(nil), pictures[:]...) }

// PictureLength is the number of pictures in a picture sequence.
const PictureLength = 4

// pictureSequence draws PictureLength distinct pictures, in order.
func pictureSequence(r *rand.Rand) []string {
	perm := r.Perm(len(pictures))
	seq := make([]string, PictureLength)
	for i := range seq {
		seq[i] = pictures[perm[i]]
	}
	return seq
}
