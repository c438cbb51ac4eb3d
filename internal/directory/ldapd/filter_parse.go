// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// ParseFilter parses the RFC 4515 string form of a filter, such as
// "(&(objectClass=person)(uid=jdupont))". Like ldapsearch, it also accepts a
// single item without parentheses ("uid=jdupont"), and the absolute filters
// "(&)" and "(|)" of RFC 4526. Errors are of kind core.Invalid.
func ParseFilter(s string) (*Filter, error) {
	p := filterParser{s: strings.TrimSpace(s)}
	var f *Filter
	var err error
	if p.s != "" && p.s[0] != '(' {
		f, err = p.item(len(p.s))
		p.pos = len(p.s)
	} else {
		f, err = p.filter(0)
	}
	if err == nil && p.pos != len(p.s) {
		err = p.fail("unexpected text after the filter")
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

type filterParser struct {
	s   string
	pos int
}

func (p *filterParser) fail(msg string) error {
	return core.E("ldapd.ParseFilter", core.Invalid, "invalid filter at offset %d: %s", p.pos, msg)
}

// filter parses "(" filtercomp ")".
func (p *filterParser) filter(depth int) (*Filter, error) {
	if depth > maxFilterDepth {
		return nil, p.fail("filter nested too deeply")
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, p.fail("expected (")
	}
	p.pos++
	if p.pos >= len(p.s) {
		return nil, p.fail("unexpected end")
	}
	var f *Filter
	var err error
	switch p.s[p.pos] {
	case '&', '|':
		f = &Filter{Kind: FilterAnd}
		if p.s[p.pos] == '|' {
			f.Kind = FilterOr
		}
		p.pos++
		for p.skipSpaces() && p.s[p.pos] == '(' {
			c, err := p.filter(depth + 1)
			if err != nil {
				return nil, err
			}
			f.Children = append(f.Children, c)
		}
	case '!':
		p.pos++
		p.skipSpaces()
		c, err := p.filter(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		f = &Filter{Kind: FilterNot, Children: []*Filter{c}}
	default:
		end := p.itemEnd()
		if f, err = p.item(end); err != nil {
			return nil, err
		}
		p.pos = end
	}
	if p.pos >= len(p.s) || p.s[p.pos] != ')' {
		return nil, p.fail("expected )")
	}
	p.pos++
	return f, nil
}

// skipSpaces skips blanks between filters and reports whether text remains.
func (p *filterParser) skipSpaces() bool {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
	return p.pos < len(p.s)
}

// itemEnd returns the offset of the ")" that closes the item at p.pos, or
// len(s): values may hold no unescaped parenthesis.
func (p *filterParser) itemEnd() int {
	if i := strings.IndexByte(p.s[p.pos:], ')'); i >= 0 {
		return p.pos + i
	}
	return len(p.s)
}

// item parses an item in s[p.pos:end].
func (p *filterParser) item(end int) (*Filter, error) {
	text := p.s[p.pos:end]
	i := strings.IndexAny(text, "=~<>:")
	if i < 0 {
		return nil, p.fail("missing operator")
	}
	attr, rest := text[:i], text[i:]
	f := &Filter{Attr: attr}
	switch {
	case rest[0] == ':':
		return p.extensible(f, rest)
	case strings.HasPrefix(rest, "~="):
		f.Kind, rest = FilterApprox, rest[2:]
	case strings.HasPrefix(rest, ">="):
		f.Kind, rest = FilterGreaterOrEqual, rest[2:]
	case strings.HasPrefix(rest, "<="):
		f.Kind, rest = FilterLessOrEqual, rest[2:]
	case rest[0] == '=':
		f.Kind, rest = FilterEquality, rest[1:]
	default:
		return nil, p.fail("unknown operator")
	}
	if !validAttrDesc(attr) {
		return nil, p.fail("invalid attribute description " + quote(attr))
	}
	if f.Kind != FilterEquality {
		v, err := p.value(rest)
		f.Value = v
		return f, err
	}
	if rest == "*" {
		f.Kind = FilterPresent
		return f, nil
	}
	if !strings.Contains(rest, "*") {
		v, err := p.value(rest)
		f.Value = v
		return f, err
	}
	return p.substrings(f, rest)
}

// substrings parses initial*any*…*final.
func (p *filterParser) substrings(f *Filter, s string) (*Filter, error) {
	f.Kind = FilterSubstrings
	parts := strings.Split(s, "*")
	for i, part := range parts {
		v, err := p.value(part)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0:
			f.Initial = v
		case i == len(parts)-1:
			f.Final = v
		case v == "":
			return nil, p.fail("empty substring between two *")
		default:
			f.Any = append(f.Any, v)
		}
	}
	return f, nil
}

// extensible parses [attr][:dn][:rule]:=value; rest starts at the first ':'.
func (p *filterParser) extensible(f *Filter, rest string) (*Filter, error) {
	f.Kind = FilterExtensible
	for {
		if strings.HasPrefix(rest, ":=") {
			rest = rest[2:]
			break
		}
		if rest == "" || rest[0] != ':' {
			return nil, p.fail("expected := in an extensible match")
		}
		rest = rest[1:]
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return nil, p.fail("expected := in an extensible match")
		}
		tok := rest[:j]
		rest = rest[j:]
		switch {
		case strings.EqualFold(tok, "dn") && !f.DNAttributes && f.Rule == "":
			f.DNAttributes = true
		case f.Rule == "" && validRule(tok):
			f.Rule = tok
		default:
			return nil, p.fail("invalid matching rule " + quote(tok))
		}
	}
	if f.Attr != "" && !validAttrDesc(f.Attr) {
		return nil, p.fail("invalid attribute description " + quote(f.Attr))
	}
	if f.Attr == "" && f.Rule == "" {
		return nil, p.fail("an extensible match needs a type or a matching rule")
	}
	v, err := p.value(rest)
	f.Value = v
	return f, err
}

// value unescapes an assertion value (RFC 4515 \XX escapes).
func (p *filterParser) value(s string) (string, error) {
	if strings.ContainsAny(s, "()*\x00") {
		return "", p.fail("unescaped (, ), * or NUL in a value")
	}
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", p.fail("truncated escape")
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", p.fail("invalid escape \\" + s[i+1:i+3])
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// quote quotes s for an error message, shortened.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + strings.ToValidUTF8(s, "?") + "\""
}
