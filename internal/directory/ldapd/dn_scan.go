// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strings"
	"unicode/utf8"
)

// dnScanner walks the AVAs of a DN string without allocating.
type dnScanner struct {
	s   string
	pos int
}

// empty reports whether the DN is empty (only spaces).
func (sc *dnScanner) empty() bool { return strings.TrimLeft(sc.s, " ") == "" }

// next parses one AVA. The unescaped value is appended to tmp and returned
// (it is valid until tmp is reused). sep is ',' (or ';'), '+', or 0 at the
// end. ok is false on a syntax error.
func (sc *dnScanner) next(tmp []byte) (typ string, val []byte, sep byte, ok bool) {
	s, i := sc.s, sc.pos
	i = skipSpaces(s, i)
	start := i
	switch {
	case i < len(s) && isAlpha(s[i]):
		for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '-' || s[i] == '_') {
			i++
		}
		if strings.EqualFold(s[start:i], "oid") && i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			start = i + 1
			i = scanOID(s, start)
		}
	case i < len(s) && isDigit(s[i]):
		i = scanOID(s, i)
	default:
		return "", tmp, 0, false
	}
	typ = s[start:i]
	i = skipSpaces(s, i)
	if i >= len(s) || s[i] != '=' {
		return "", tmp, 0, false
	}
	i = skipSpaces(s, i+1)
	val = tmp
	if i < len(s) && s[i] == '#' {
		if val, i, ok = scanHexValue(s, i+1, val); !ok {
			return "", tmp, 0, false
		}
	} else {
		keep := len(val) // length up to the last significant character
		for i < len(s) && s[i] != ',' && s[i] != ';' && s[i] != '+' {
			c := s[i]
			switch {
			case c == '\\':
				if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
					h, _ := unhex(s[i+1])
					l, _ := unhex(s[i+2])
					val = append(val, h<<4|l)
					i += 3
				} else if i+1 < len(s) && strings.IndexByte(" \"#+,;<=>\\", s[i+1]) >= 0 {
					val = append(val, s[i+1])
					i += 2
				} else {
					return "", tmp, 0, false
				}
				keep = len(val)
				continue
			case c == 0 || c == '"':
				return "", tmp, 0, false
			}
			val = append(val, c)
			if c != ' ' {
				keep = len(val)
			}
			i++
		}
		val = val[:keep]
	}
	i = skipSpaces(s, i)
	if i < len(s) {
		sep = s[i]
		if sep == ';' {
			sep = ','
		}
		if sep != ',' && sep != '+' {
			return "", tmp, 0, false
		}
		if i = skipSpaces(s, i+1); i >= len(s) {
			return "", tmp, 0, false
		}
	}
	sc.pos = i
	return typ, val, sep, true
}

// scanHexValue decodes a "#" hex-string value. When it holds a BER string
// element, the value is its contents; otherwise the raw bytes.
func scanHexValue(s string, i int, val []byte) ([]byte, int, bool) {
	start := len(val)
	for i+1 < len(s) && isHex(s[i]) && isHex(s[i+1]) {
		h, _ := unhex(s[i])
		l, _ := unhex(s[i+1])
		val = append(val, h<<4|l)
		i += 2
	}
	if len(val) == start || i < len(s) && s[i] != ',' && s[i] != ';' && s[i] != '+' && s[i] != ' ' {
		return val, i, false
	}
	if tag, c, rest, err := readTLV(val[start:]); err == nil && len(rest) == 0 &&
		(tag == tagOctetString || tag == 0x0c || tag == 0x13 || tag == 0x16) {
		n := copy(val[start:], c)
		val = val[:start+n]
	}
	return val, i, true
}

func scanOID(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	return i
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { _, ok := unhex(c); return ok }

// appendLower appends s in ASCII lower case.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendEscapedDNValue appends v escaped per RFC 4514: the specials, a
// leading space or "#", a trailing space, control characters and bytes that
// are not UTF-8 (as \XX). With lower, ASCII letters are lower-cased.
func appendEscapedDNValue(dst []byte, v string, lower bool) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=':
			dst = append(dst, '\\', c)
		case (c == ' ' || c == '#') && i == 0, c == ' ' && i == len(v)-1:
			dst = append(dst, '\\', c)
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', hex[c>>4], hex[c&15])
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError && size <= 1 {
				dst = append(dst, '\\', hex[c>>4], hex[c&15])
				continue
			}
			dst = append(dst, v[i:i+size]...)
			i += size - 1
		default:
			if lower && c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
	}
	return dst
}
