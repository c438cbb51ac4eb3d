// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strconv"
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
	known   bool // attr is an attribute of the schema
	schema  *compiledSchema
}

// scratch holds the buffers of one evaluation; not for concurrent use.
type scratch struct {
	buf, dn, tmp []byte
	cs           *compiledSchema
	names        []nameSlot // attribute names resolved, by position in the entry
}

// nameSlot is an entry attribute name resolved against the schema.
type nameSlot struct {
	name string
	info *attrInfo // nil for an attribute the schema does not know
}

// reset prepares sc for evaluations under cs.
func (sc *scratch) reset(cs *compiledSchema) {
	sc.cs, sc.names = cs, sc.names[:0]
}

// infoAt resolves name, the name of the i-th attribute of an entry. Entries
// of one search usually list the same names (the same strings) in the same
// order, so the slot of position i answers most lookups with one pointer
// comparison.
func (sc *scratch) infoAt(i int, name string) *attrInfo {
	if i < len(sc.names) && sc.names[i].name == name {
		return sc.names[i].info
	}
	info := sc.cs.lookup(name)
	switch {
	case i < len(sc.names):
		sc.names[i] = nameSlot{name, info}
	case i == len(sc.names) && i < 256:
		sc.names = append(sc.names, nameSlot{name, info})
	}
	return info
}

// isAttr reports whether the i-th attribute of an entry, called name, is
// the attribute of n.
func (n *node) isAttr(sc *scratch, i int, name string) bool {
	if info := sc.infoAt(i, name); info != nil {
		return info == n.attr
	}
	return !n.known && n.attr.matches(name)
}

// appendAttrNames appends the names of the attributes n tests (isAttr:
// every name of a schema attribute, the name as sent of another); ok is
// false when n tests every attribute (an extensible match without a type).
func (n *node) appendAttrNames(names []string) (_ []string, ok bool) {
	switch n.kind {
	case FilterAnd, FilterOr, FilterNot:
		for i := range n.kids {
			if names, ok = n.kids[i].appendAttrNames(names); !ok {
				return names, false
			}
		}
		return names, true
	}
	if n.attr == nil {
		return names, false
	}
	return append(names, n.attr.names...), true
}

// Match reports whether e matches f under s (nil for the built-in schema
// knowledge): whether the filter evaluates to TRUE, Undefined counting as a
// non-match. It is safe for concurrent use.
func (f *Filter) Match(e *Entry, s *Schema) bool {
	var sc scratch
	sc.reset(s.compiled())
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
		n.syn, n.known = n.attr.syntax, c.lookup(f.Attr) != nil
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
			if len(e.Attrs[i].Values) > 0 && n.isAttr(sc, i, e.Attrs[i].Name) {
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
		if n.attr != nil && !n.isAttr(sc, i, a.Name) {
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
