// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strconv"
	"strings"
	"time"
)

// tri is a three-valued truth value (RFC 4511 §4.5.1.7).
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUndefined
)

// compiledFilter is a filter resolved against a schema: attributes looked
// up, assertion values normalised once.
type compiledFilter struct {
	schema *Schema
	root   node
}

// node is one compiled filter node.
type node struct {
	kind    FilterKind
	kids    []node
	attr    *attrInfo // nil for an extensible match without type
	syn     AttrSyntax
	undef   bool   // the assertion can never be decided: Undefined
	val     string // normalised assertion value
	raw     string // the assertion value as sent
	tm      time.Time
	initial string
	anys    []string
	final   string
	bits    uint8 // 1: bitwise AND rule, 2: bitwise OR rule (Active Directory)
	bitv    uint64
	dnAttrs bool
	schema  *compiledSchema
}

// scratch holds the buffers of one evaluation; not for concurrent use.
type scratch struct {
	buf, dn, tmp []byte
}

// Match reports whether e matches f under s (nil for the built-in schema
// knowledge): whether the filter evaluates to TRUE, Undefined counting as a
// non-match. It is safe for concurrent use.
func (f *Filter) Match(e *Entry, s *Schema) bool {
	var sc scratch
	return f.matcher(s).root.eval(e, &sc) == triTrue
}

// matcher returns f compiled for s, cached on f.
func (f *Filter) matcher(s *Schema) *compiledFilter {
	if cf := f.compiled.Load(); cf != nil && cf.schema == s {
		return cf
	}
	cf := &compiledFilter{schema: s, root: compileNode(f, s.compiled())}
	f.compiled.Store(cf)
	return cf
}

// AD bitwise matching rules (LDAP_MATCHING_RULE_BIT_AND / _OR).
const (
	ruleBitAnd = "1.2.840.113556.1.4.803"
	ruleBitOr  = "1.2.840.113556.1.4.804"
)

func compileNode(f *Filter, c *compiledSchema) node {
	n := node{kind: f.Kind, schema: c, dnAttrs: f.DNAttributes}
	switch f.Kind {
	case FilterAnd, FilterOr, FilterNot:
		n.kids = make([]node, len(f.Children))
		for i, k := range f.Children {
			n.kids[i] = compileNode(k, c)
		}
		return n
	}
	if f.Attr != "" {
		n.attr = c.resolve(f.Attr)
		n.syn = n.attr.syntax
	}
	if f.Attr == "" && f.Kind != FilterExtensible || f.Kind > FilterExtensible {
		n.undef = true // only reachable with a hand-built Filter
		return n
	}
	switch f.Kind {
	case FilterPresent:
	case FilterSubstrings:
		if n.syn != CaseIgnore && n.syn != CaseExact {
			n.undef = true
			break
		}
		fold := n.syn == CaseIgnore
		n.initial = string(appendNorm(nil, f.Initial, fold))
		n.final = string(appendNorm(nil, f.Final, fold))
		for _, a := range f.Any {
			n.anys = append(n.anys, string(appendNorm(nil, a, fold)))
		}
	case FilterGreaterOrEqual, FilterLessOrEqual:
		n.undef = n.syn == DN || n.syn == Boolean || !n.setValue(f.Value)
	case FilterExtensible:
		switch {
		case f.Rule == ruleBitAnd || f.Rule == ruleBitOr:
			v, err := strconv.ParseUint(f.Value, 10, 64)
			n.bits, n.bitv, n.undef = 1, v, err != nil
			if f.Rule == ruleBitOr {
				n.bits = 2
			}
			return n
		case f.Rule != "":
			syn, ok := ruleSyntax(f.Rule)
			if !ok {
				n.undef = true // an unknown rule is Undefined (RFC 4511 §4.5.1.7.7)
				return n
			}
			n.syn = syn
		}
		n.undef = !n.setValue(f.Value)
	default: // equality, approx
		n.undef = !n.setValue(f.Value)
	}
	return n
}

// setValue normalises an assertion value for n.syn; false when invalid.
func (n *node) setValue(v string) bool {
	ok := true
	n.raw = v
	switch n.syn {
	case CaseIgnore:
		var buf [64]byte
		n.val = string(appendFold(buf[:0], v))
	case CaseExact:
		var buf [64]byte
		n.val = string(appendSpaceNorm(buf[:0], v))
	case Integer:
		var neg bool
		neg, n.val, ok = splitInteger(v)
		if neg {
			n.val = "-" + n.val
		}
	case DN:
		var buf, tmp [128]byte
		var b []byte
		b, ok = appendNormDN(buf[:0], tmp[:0], v, n.schema)
		n.val = string(b)
	case Boolean:
		n.val, ok = normBoolean(v)
	case GeneralizedTime:
		n.tm, ok = parseGeneralizedTime(v)
	default:
		n.val = v
	}
	return ok
}

// eval evaluates n against e.
func (n *node) eval(e *Entry, sc *scratch) tri {
	switch n.kind {
	case FilterAnd:
		r := triTrue
		for i := range n.kids {
			switch n.kids[i].eval(e, sc) {
			case triFalse:
				return triFalse
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case FilterOr:
		r := triFalse
		for i := range n.kids {
			switch n.kids[i].eval(e, sc) {
			case triTrue:
				return triTrue
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case FilterNot:
		if len(n.kids) != 1 {
			return triUndefined
		}
		return [...]tri{triTrue, triFalse, triUndefined}[n.kids[0].eval(e, sc)]
	case FilterPresent:
		if n.attr == nil {
			return triUndefined
		}
		if n.attr.entryDN {
			return triTrue
		}
		for i := range e.Attrs {
			if len(e.Attrs[i].Values) > 0 && n.attr.matches(e.Attrs[i].Name) {
				return triTrue
			}
		}
		return triFalse
	}
	if n.undef {
		return triUndefined
	}
	for i := range e.Attrs {
		a := &e.Attrs[i]
		if n.attr != nil && !n.attr.matches(a.Name) {
			continue
		}
		for _, v := range a.Values {
			if n.test(v, sc) {
				return triTrue
			}
		}
	}
	if n.attr != nil && n.attr.entryDN && n.test(e.DN, sc) {
		return triTrue
	}
	if n.dnAttrs && n.evalDN(e.DN, sc) {
		return triTrue
	}
	return triFalse
}

// evalDN tests the values of the entry's own DN (extensible :dn:).
func (n *node) evalDN(dn string, sc *scratch) bool {
	d, err := ParseDN(dn)
	if err != nil {
		return false
	}
	for _, rdn := range d {
		for _, ava := range rdn {
			if (n.attr == nil || n.attr.matches(ava.Type)) && n.test(ava.Value, sc) {
				return true
			}
		}
	}
	return false
}

// test applies n's assertion to one value.
func (n *node) test(v string, sc *scratch) bool {
	switch n.kind {
	case FilterGreaterOrEqual:
		c, ok := n.compare(v, sc)
		return ok && c >= 0
	case FilterLessOrEqual:
		c, ok := n.compare(v, sc)
		return ok && c <= 0
	case FilterSubstrings:
		sc.buf = appendNorm(sc.buf[:0], v, n.syn == CaseIgnore)
		s := bstr(sc.buf)
		if !strings.HasPrefix(s, n.initial) {
			return false
		}
		s = s[len(n.initial):]
		for _, a := range n.anys {
			i := strings.Index(s, a)
			if i < 0 {
				return false
			}
			s = s[i+len(a):]
		}
		return strings.HasSuffix(s, n.final)
	}
	if n.bits != 0 {
		x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return false
		}
		if n.bits == 1 {
			return uint64(x)&n.bitv == n.bitv
		}
		return uint64(x)&n.bitv != 0
	}
	return n.equal(v, sc)
}

// equal is the equality matching rule of n.syn.
func (n *node) equal(v string, sc *scratch) bool {
	switch n.syn {
	case CaseIgnore:
		return foldEqual(v, n.val)
	case CaseExact:
		return exactEqual(v, n.val)
	case Integer:
		c, ok := compareIntegers(v, n.val)
		return ok && c == 0
	case DN:
		if v == n.raw { // identical text normalises identically
			return true
		}
		var ok bool
		sc.dn, ok = appendNormDN(sc.dn[:0], sc.tmp[:0], v, n.schema)
		return ok && bstr(sc.dn) == n.val
	case Boolean:
		b, ok := normBoolean(v)
		return ok && b == n.val
	case GeneralizedTime:
		t, ok := parseGeneralizedTime(v)
		return ok && t.Equal(n.tm)
	}
	return v == n.val
}

// compare is the ordering rule of n.syn: the sign of v - assertion.
func (n *node) compare(v string, sc *scratch) (int, bool) {
	switch n.syn {
	case CaseIgnore, CaseExact:
		sc.buf = appendNorm(sc.buf[:0], v, n.syn == CaseIgnore)
		return strings.Compare(bstr(sc.buf), n.val), true
	case Integer:
		return compareIntegers(v, n.val)
	case GeneralizedTime:
		t, ok := parseGeneralizedTime(v)
		return t.Compare(n.tm), ok
	case OctetString:
		return strings.Compare(v, n.val), true
	}
	return 0, false
}
