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

// Filter is a search filter. Build one with ParseFilter, or receive it decoded
// from a SearchRequest. A Filter must not be modified once it is matched.
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
	var out []Term
	var walk func(*Filter)
	walk = func(n *Filter) {
		switch n.Kind {
		case FilterEquality:
			out = append(out, Term{Attr: n.Attr, Value: n.Value})
		case FilterAnd:
			for _, c := range n.Children {
				walk(c)
			}
		}
	}
	if f != nil {
		walk(f)
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

// decodeFilter decodes one BER Filter off b (RFC 4511 §4.5.1).
func decodeFilter(b []byte, depth int) (*Filter, []byte, error) {
	if depth > maxFilterDepth {
		return nil, nil, errMalformed
	}
	tag, c, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	f := &Filter{}
	switch tag {
	case 0xa0, 0xa1: // and, or
		f.Kind = FilterAnd
		if tag == 0xa1 {
			f.Kind = FilterOr
		}
		for len(c) > 0 {
			var child *Filter
			if child, c, err = decodeFilter(c, depth+1); err != nil {
				return nil, nil, err
			}
			f.Children = append(f.Children, child)
		}
	case 0xa2: // not
		f.Kind = FilterNot
		child, tail, err := decodeFilter(c, depth+1)
		if err != nil || len(tail) != 0 {
			return nil, nil, errMalformed
		}
		f.Children = []*Filter{child}
	case 0xa3, 0xa5, 0xa6, 0xa8: // equality, >=, <=, approx
		f.Kind = avaKinds[tag-0xa3]
		err = decodeAVA(c, &f.Attr, &f.Value)
	case 0x87: // present
		f.Kind, f.Attr = FilterPresent, string(c)
		if !validAttrDesc(f.Attr) {
			err = errFilterAttr
		}
	case 0xa4:
		err = decodeSubstrings(c, f)
	case 0xa9:
		err = decodeExtensible(c, f)
	default:
		err = errMalformed
	}
	if err != nil {
		return nil, nil, err
	}
	return f, rest, nil
}

// errFilterAttr answers a filter naming an invalid attribute description or
// matching rule with protocolError, without ending the session.
var errFilterAttr = &protoError{"invalid attribute description or matching rule in the filter"}

// avaKinds maps the context tags [3], [5], [6] and [8] (less 0xa3) to kinds.
var avaKinds = [...]FilterKind{0: FilterEquality, 2: FilterGreaterOrEqual, 3: FilterLessOrEqual,
	5: FilterApprox}

// decodeAVA decodes an AttributeValueAssertion.
func decodeAVA(b []byte, attr, value *string) error {
	var err error
	if *attr, b, err = readString(b, tagOctetString); err != nil {
		return err
	}
	if *value, b, err = readString(b, tagOctetString); err != nil {
		return err
	}
	if len(b) != 0 {
		return errMalformed
	}
	if !validAttrDesc(*attr) {
		return errFilterAttr
	}
	return nil
}

// decodeSubstrings decodes a SubstringFilter. Empty parts are dropped and a
// substrings filter with no part left becomes a presence filter.
func decodeSubstrings(b []byte, f *Filter) error {
	f.Kind = FilterSubstrings
	attr, b, err := readString(b, tagOctetString)
	if err != nil {
		return err
	}
	f.Attr = attr
	seq, tail, err := expect(b, tagSequence)
	if err != nil || len(tail) != 0 || len(seq) == 0 {
		return errMalformed
	}
	if !validAttrDesc(attr) {
		return errFilterAttr
	}
	sawFinal, first := false, true
	for len(seq) > 0 {
		tag, v, r, err := readTLV(seq)
		if err != nil || sawFinal {
			return errMalformed
		}
		seq = r
		switch tag {
		case 0x80:
			if !first {
				return errMalformed
			}
			f.Initial = string(v)
		case 0x81:
			if len(v) > 0 {
				f.Any = append(f.Any, string(v))
			}
		case 0x82:
			f.Final, sawFinal = string(v), true
		default:
			return errMalformed
		}
		first = false
	}
	if f.Initial == "" && f.Final == "" && len(f.Any) == 0 {
		f.Kind = FilterPresent
	}
	return nil
}

// decodeExtensible decodes a MatchingRuleAssertion.
func decodeExtensible(b []byte, f *Filter) error {
	f.Kind = FilterExtensible
	var err error
	if peekTag(b) == 0x81 {
		if f.Rule, b, err = readString(b, 0x81); err != nil {
			return err
		}
		if !validRule(f.Rule) {
			return errFilterAttr
		}
	}
	if peekTag(b) == 0x82 {
		if f.Attr, b, err = readString(b, 0x82); err != nil {
			return err
		}
		if !validAttrDesc(f.Attr) {
			return errFilterAttr
		}
	}
	if f.Value, b, err = readString(b, 0x83); err != nil {
		return err
	}
	if peekTag(b) == 0x84 {
		if f.DNAttributes, b, err = readBool(b, 0x84); err != nil {
			return err
		}
	}
	if len(b) != 0 || f.Rule == "" && f.Attr == "" {
		return errMalformed
	}
	return nil
}
