// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strconv"
	"strings"
)

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
