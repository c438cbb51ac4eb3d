// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// appendFold appends the caseIgnore form of s: leading and trailing spaces
// removed, inner runs of spaces collapsed to one, letters lower-cased
// (RFC 4518 insignificant space handling, simplified).
func appendFold(dst []byte, s string) []byte {
	return appendNorm(dst, s, true)
}

// appendSpaceNorm appends the caseExact form of s: spaces as appendFold,
// case kept.
func appendSpaceNorm(dst []byte, s string) []byte {
	return appendNorm(dst, s, false)
}

func appendNorm(dst []byte, s string, fold bool) []byte {
	space := false
	start := len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' {
			space = true
			i++
			continue
		}
		if space && len(dst) > start {
			dst = append(dst, ' ')
		}
		space = false
		if c < utf8.RuneSelf {
			if fold && c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			dst = append(dst, c)
		} else if fold {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// foldEqual reports whether the caseIgnore form of v is norm (a caseIgnore
// form). ASCII values are compared without allocating.
func foldEqual(v, norm string) bool {
	return normEqual(v, norm, true)
}

// exactEqual is foldEqual for caseExact.
func exactEqual(v, norm string) bool {
	return normEqual(v, norm, false)
}

func normEqual(v, norm string, fold bool) bool {
	i, j := 0, 0
	for i < len(v) && v[i] == ' ' {
		i++
	}
	for i < len(v) {
		c := v[i]
		if c == ' ' {
			k := i
			for k < len(v) && v[k] == ' ' {
				k++
			}
			if k == len(v) {
				break
			}
			if j >= len(norm) || norm[j] != ' ' {
				return false
			}
			i, j = k, j+1
			continue
		}
		if c >= utf8.RuneSelf {
			var buf [256]byte
			return string(appendNorm(buf[:0], v, fold)) == norm
		}
		if fold && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if j >= len(norm) || norm[j] != c {
			return false
		}
		i, j = i+1, j+1
	}
	return j == len(norm)
}

// splitInteger validates a decimal integer and returns its sign and digits
// without leading zeros ("0" for zero, never negative).
func splitInteger(s string) (neg bool, digits string, ok bool) {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" {
		return false, "", false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false, "", false
		}
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "0" {
		neg = false
	}
	return neg, s, true
}

// compareIntegers compares two decimal integers of any size.
func compareIntegers(a, b string) (int, bool) {
	na, da, ok1 := splitInteger(a)
	nb, db, ok2 := splitInteger(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	if na != nb {
		if na {
			return -1, true
		}
		return 1, true
	}
	c := 0
	switch {
	case len(da) != len(db):
		c = 1
		if len(da) < len(db) {
			c = -1
		}
	case da < db:
		c = -1
	case da > db:
		c = 1
	}
	if na {
		c = -c
	}
	return c, true
}

// normBoolean returns "TRUE" or "FALSE" for a boolean in any case.
func normBoolean(s string) (string, bool) {
	var buf [8]byte
	switch string(appendFold(buf[:0], s)) {
	case "true":
		return "TRUE", true
	case "false":
		return "FALSE", true
	}
	return "", false
}

// parseGeneralizedTime parses RFC 4517 GeneralizedTime:
// YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|±HH[MM]). A missing zone means UTC.
func parseGeneralizedTime(s string) (time.Time, bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	var f [6]int // year month day hour minute second
	widths := [6]int{4, 2, 2, 2, 2, 2}
	i, n := 0, 0
	for ; n < 6; n++ {
		v, ok := num(i, widths[n])
		if !ok {
			break
		}
		f[n], i = v, i+widths[n]
	}
	if n < 4 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60 {
		return time.Time{}, false
	}
	var frac time.Duration
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		unit := [...]time.Duration{3: time.Hour, 4: time.Minute, 5: time.Second, 6: time.Second}[n]
		j, scale := i+1, 1.0
		for j < len(s) && isDigit(s[j]) && j-i < 10 {
			scale /= 10
			frac += time.Duration(float64(unit) * scale * float64(s[j]-'0'))
			j++
		}
		if j == i+1 {
			return time.Time{}, false
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		i = j
	}
	loc := time.UTC
	if i < len(s) {
		switch s[i] {
		case 'Z':
			i++
		case '+', '-':
			hh, ok1 := num(i+1, 2)
			mm, ok2 := 0, true
			if i+3 < len(s) {
				mm, ok2 = num(i+3, 2)
			}
			if !ok1 || !ok2 || hh > 23 || mm > 59 {
				return time.Time{}, false
			}
			off := hh*3600 + mm*60
			if s[i] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
			i = len(s)
		default:
			return time.Time{}, false
		}
	}
	if i != len(s) {
		return time.Time{}, false
	}
	return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, loc).Add(frac), true
}
