// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"strconv"
	"strings"
)

// foldTable maps the accented letters found in French names (and in names
// of other origins common in France) to ASCII.
var foldTable = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ę': "e", 'ě': "e",
	'ğ': "g", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ı': "i", 'ł': "l",
	'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'œ': "oe",
	'ř': "r", 'ś': "s", 'ş': "s", 'š': "s", 'ß': "ss", 'ţ': "t", 'ť': "t",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

// slug turns a display name into a login part: lower case ASCII letters and
// digits, accents stripped, spaces and hyphens as one hyphen, apostrophes
// and anything else dropped. "N'Diaye" → "ndiaye", "Le Gall" → "le-gall",
// "Jean-Baptiste" → "jean-baptiste".
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		default:
			b.WriteString(foldTable[r])
		}
	}
	return strings.Trim(b.String(), "-")
}

// logins hands out logins that are unique across the deployment.
type logins struct {
	used map[string]bool
}

func newLogins(reserved ...string) *logins {
	l := &logins{used: make(map[string]bool, 2500)} // about the size of the demo
	for _, r := range reserved {
		l.used[r] = true
	}
	return l
}

// next returns "prenom.nom" for the slugs of a given and a family name, or
// "prenom.nom2", "prenom.nom3"… when taken.
func (l *logins) next(givenSlug, familySlug string) string {
	base := givenSlug + "." + familySlug
	login := base
	for n := 2; l.used[login]; n++ {
		login = base + strconv.Itoa(n)
	}
	l.used[login] = true
	return login
}
