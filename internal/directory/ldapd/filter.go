// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// FilterKind is the form of a Filter node (RFC 4511 §4.5.1.7).
type FilterKind uint8

// Filter forms, in the order of their BER context tags.
const (
	FilterAnd            FilterKind = iota // Children, all TRUE; (&) is TRUE (RFC 4526)
	FilterOr                               // Children, one TRUE; (|) is FALSE
	FilterNot                              // Children[0]
	FilterEquality                         // Attr=Value
	FilterSubstrings                       // Attr=Initial*Any*…*Final
	FilterGreaterOrEqual                   // Attr>=Value
	FilterLessOrEqual                      // Attr<=Value
	FilterPresent                          // Attr=*
	FilterApprox                           // Attr~=Value, evaluated as equality
	FilterExtensible                       // Attr:dn:Rule:=Value
)

// maxFilterDepth bounds the nesting of and/or/not, so that a hostile filter
// cannot exhaust the stack.
const maxFilterDepth = 64

// maxFilterNodes bounds the size of a filter received from a client: each
// node is evaluated against every candidate entry.
const maxFilterNodes = 10000

// Filter is a search filter. Build one with ParseFilter, or receive it decoded
// from a SearchRequest. A Filter must not be modified once it is matched, nor
// copied by value (it caches its compiled form).
type Filter struct {
	Kind     FilterKind
	Children []*Filter // FilterAnd, FilterOr; FilterNot has exactly one
	// Attr is the attribute description; it is empty only for an extensible
	// match with a matching rule and no type.
	Attr  string
	Value string // assertion value of equality, ordering, approx and extensible
	// Initial, Any and Final are the parts of a substrings assertion; empty
	// Initial and Final mean absent.
	Initial string
	Any     []string
	Final   string
	// Rule is the matching rule (OID or name) of an extensible match.
	Rule string
	// DNAttributes asks an extensible match to also consider the attribute
	// values of the entry's DN.
	DNAttributes bool

	compiled atomic.Pointer[compiledFilter] // cache for Match
}

// Term is one equality assertion.
type Term struct {
	Attr  string
	Value string
}

// EqualityTerms returns the equality assertions that must all hold for the
// filter to match: the filter itself when it is an equality, or the
// equality children of a top-level AND (nested ANDs included). A directory
// can look them up in its indexes; it may still emit a superset.
func (f *Filter) EqualityTerms() []Term {
	if f == nil {
		return nil
	}
	return f.appendTerms(make([]Term, 0, max(len(f.Children), 1)))
}

// AppendEqualityTerms is EqualityTerms appending to dst (which may be a
// buffer on the caller's stack, so that a search allocates nothing here).
func (f *Filter) AppendEqualityTerms(dst []Term) []Term {
	if f == nil {
		return dst
	}
	return f.appendTerms(dst)
}

func (f *Filter) appendTerms(out []Term) []Term {
	switch f.Kind {
	case FilterEquality:
		out = append(out, Term{Attr: f.Attr, Value: f.Value})
	case FilterAnd:
		for _, c := range f.Children {
			out = c.appendTerms(out)
		}
	}
	return out
}

// String returns the RFC 4515 string form of f, escaping what must be.
func (f *Filter) String() string {
	var b strings.Builder
	f.appendString(&b)
	return b.String()
}

func (f *Filter) appendString(b *strings.Builder) {
	b.WriteByte('(')
	switch f.Kind {
	case FilterAnd, FilterOr, FilterNot:
		b.WriteByte("&|!"[f.Kind])
		for _, c := range f.Children {
			c.appendString(b)
		}
	case FilterEquality, FilterGreaterOrEqual, FilterLessOrEqual, FilterApprox:
		b.WriteString(f.Attr)
		b.WriteString([...]string{FilterEquality: "=", FilterGreaterOrEqual: ">=",
			FilterLessOrEqual: "<=", FilterApprox: "~="}[f.Kind])
		escapeFilterValue(b, f.Value)
	case FilterPresent:
		b.WriteString(f.Attr)
		b.WriteString("=*")
	case FilterSubstrings:
		b.WriteString(f.Attr)
		b.WriteByte('=')
		escapeFilterValue(b, f.Initial)
		b.WriteByte('*')
		for _, a := range f.Any {
			escapeFilterValue(b, a)
			b.WriteByte('*')
		}
		escapeFilterValue(b, f.Final)
	case FilterExtensible:
		b.WriteString(f.Attr)
		if f.DNAttributes {
			b.WriteString(":dn")
		}
		if f.Rule != "" {
			b.WriteByte(':')
			b.WriteString(f.Rule)
		}
		b.WriteString(":=")
		escapeFilterValue(b, f.Value)
	}
	b.WriteByte(')')
}

// escapeFilterValue writes v with RFC 4515 escapes: the specials *, (, ), \
// and NUL, plus control characters and bytes that are not valid UTF-8.
func escapeFilterValue(b *strings.Builder, v string) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(v); {
		c := v[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(v[i:])
			if r != utf8.RuneError || size > 1 {
				b.WriteString(v[i : i+size])
				i += size
				continue
			}
		}
		if c < 0x20 || c == 0x7f || c >= 0x80 || c == '*' || c == '(' || c == ')' || c == '\\' {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
		i++
	}
}

// validAttrDesc reports whether s is an acceptable attribute description:
// a name or numeric OID followed by options, e.g. "cn", "2.5.4.3",
// "cn;lang-fr". Underscores are tolerated, as some directories use them.
func validAttrDesc(s string) bool {
	if s == "" || s[0] == ';' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == ';' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// validRule reports whether s can name a matching rule (descr or OID); "dn"
// cannot, as the string form would read it as the dnAttributes flag.
func validRule(s string) bool {
	return validAttrDesc(s) && !strings.Contains(s, ";") && !strings.EqualFold(s, "dn")
}
