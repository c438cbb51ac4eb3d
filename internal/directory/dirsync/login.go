// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirsync

import (
	"context"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// LoginFor returns the login of the rule prenom.nom: lower case, accents
// removed, apostrophes dropped, spaces and other separators turned into
// hyphens, at most 64 characters ("Zoé N'Diaye" → "zoe.ndiaye", "Anne-Marie
// Le Gall" → "anne-marie.le-gall"). It returns "" when nothing is left.
func LoginFor(given, family string) string {
	return loginOf(loginPart(given), loginPart(family))
}

// loginOf joins the login parts of a given and a family name.
func loginOf(g, f string) string {
	switch {
	case g == "" && f == "":
		return ""
	case g == "":
		return clip64(f)
	case f == "":
		return clip64(g)
	}
	return clip64(g + "." + f)
}

func loginPart(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(strings.TrimSpace(s))) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'' || r == '’':
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == 'ß':
			b.WriteString("ss")
		case r == 'æ':
			b.WriteString("ae")
		case r == 'œ':
			b.WriteString("oe")
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

func clip64(s string) string {
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-.")
	}
	return s
}

// logins returns a free login for each new person: the rule, then the rule
// with 2, 3 … appended when taken in the deployment or earlier in the batch.
func (b *builder) logins(ctx context.Context, fresh []Person) ([]string, error) {
	out := make([]string, len(fresh))
	used := map[string]bool{}
	base := make([]string, len(fresh))
	givens := map[string]string{} // given name → its login part: few distinct ones
	for i, p := range fresh {
		g, ok := givens[p.GivenName]
		if !ok {
			g = loginPart(p.GivenName)
			givens[p.GivenName] = g
		}
		base[i] = loginOf(g, loginPart(p.FamilyName))
		if base[i] == "" {
			base[i] = "compte"
		}
	}
	next := map[string]int{}
	pending := make([]int, len(fresh))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		cands := make([]string, len(pending))
		for j, i := range pending {
			cands[j] = candidate(base[i], next[base[i]])
		}
		taken, err := b.e.Store.LoginsTaken(ctx, cands)
		if err != nil {
			return nil, err
		}
		var again []int
		for j, i := range pending {
			c := cands[j]
			if taken[c] || used[c] {
				next[base[i]]++
				again = append(again, i)
				continue
			}
			used[c], out[i] = true, c
		}
		pending = again
	}
	return out, nil
}

// candidate is base for n = 0, else base followed by n+1 ("zoe.martin2").
func candidate(base string, n int) string {
	if n == 0 {
		return base
	}
	return base + strconv.Itoa(n+1)
}
