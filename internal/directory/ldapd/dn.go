// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/preau/preau/internal/core"
)

// RDNSequence is a parsed distinguished name (RFC 4514; the X.501 name of
// a DN's contents), most specific RDN first. The root DN has no RDN.
type RDNSequence []RDN

// RDN is a relative distinguished name: one or more attribute value
// assertions joined by "+".
type RDN []AVA

// AVA is one attribute type and value of an RDN. Value is unescaped.
type AVA struct {
	Type  string
	Value string
}

// ParseDN parses the string form of a DN. It accepts what RFC 4514
// generates plus the usual leniencies: spaces around separators and "=",
// ";" as an RDN separator, "oid." prefixes and hex-string values. Errors are
// of kind core.Invalid.
func ParseDN(s string) (RDNSequence, error) {
	var d RDNSequence
	var rdn RDN
	sc := dnScanner{s: s}
	if sc.empty() {
		return nil, nil
	}
	var tmp []byte
	for {
		typ, val, sep, ok := sc.next(tmp[:0])
		tmp = val
		if !ok {
			return nil, core.E("ldapd.ParseDN", core.Invalid, "invalid DN %s at offset %d", quote(s), sc.pos)
		}
		rdn = append(rdn, AVA{Type: typ, Value: string(val)})
		if sep == '+' {
			continue
		}
		d = append(d, rdn)
		rdn = nil
		if sep == 0 {
			return d, nil
		}
	}
}

// String returns the RFC 4514 form of d, escaping what must be.
func (d RDNSequence) String() string {
	var b []byte
	for i, rdn := range d {
		if i > 0 {
			b = append(b, ',')
		}
		for j, ava := range rdn {
			if j > 0 {
				b = append(b, '+')
			}
			b = append(b, ava.Type...)
			b = append(b, '=')
			b = appendEscapedDNValue(b, ava.Value, false)
		}
	}
	return string(b)
}

// NormalizeDN returns the normal form of dn under s (nil for the built-in
// knowledge): attribute types in lower case under their primary name,
// values of caseIgnore attributes case-folded with insignificant spaces
// removed, minimal RFC 4514 escaping, no spaces around separators, and the
// AVAs of a multi-valued RDN sorted. Two DNs name the same entry when their
// normal forms are equal. Errors are of kind core.Invalid.
func NormalizeDN(dn string, s *Schema) (string, error) {
	var buf, tmp [128]byte
	b, ok := appendNormDN(buf[:0], tmp[:0], dn, s.compiled())
	if !ok {
		return "", core.E("ldapd.NormalizeDN", core.Invalid, "invalid DN %s", quote(dn))
	}
	return string(b), nil
}

// EqualDN reports whether a and b are valid DNs naming the same entry.
func EqualDN(a, b string, s *Schema) bool {
	na, err1 := NormalizeDN(a, s)
	nb, err2 := NormalizeDN(b, s)
	return err1 == nil && err2 == nil && na == nb
}

// ParentOf returns the parent of dn as written in dn (without its first
// RDN and the spaces after its separator), or "" for a one-RDN or empty DN.
// For an invalid DN it returns "" or the text after the first separator.
func ParentOf(dn string) string {
	sc := dnScanner{s: dn}
	if sc.empty() {
		return ""
	}
	var tmp []byte
	for {
		_, val, sep, ok := sc.next(tmp[:0])
		tmp = val
		if !ok || sep == 0 {
			return ""
		}
		if sep != '+' {
			return dn[sc.pos:] // leading spaces already skipped
		}
	}
}

// InScope reports whether dn is within scope of base: base itself for
// ScopeBase, its children for ScopeOne, base and every descendant for
// ScopeSub, descendants only for ScopeChildren. Invalid DNs are in no scope.
func InScope(base, dn string, scope Scope, s *Schema) bool {
	c := s.compiled()
	var buf1, buf2, tmp [128]byte
	nb, ok1 := appendNormDN(buf1[:0], tmp[:0], base, c)
	nd, ok2 := appendNormDN(buf2[:0], tmp[:0], dn, c)
	return ok1 && ok2 && scopeMatch(bstr(nb), bstr(nd), scope)
}

// scopeMatch compares normal forms.
func scopeMatch(base, dn string, scope Scope) bool {
	rel := dn
	if base != "" {
		switch {
		case len(dn) == len(base):
			if dn != base {
				return false
			}
			rel = ""
		case len(dn) > len(base):
			cut := len(dn) - len(base) - 1
			if dn[cut] != ',' || dn[cut+1:] != base || escapedAt(dn, cut) {
				return false
			}
			rel = dn[:cut]
		default:
			return false
		}
	}
	depth := 0
	if rel != "" {
		depth = 1
		for i := 0; i < len(rel); i++ {
			switch rel[i] {
			case '\\':
				i++
			case ',':
				depth++
			}
		}
	}
	switch scope {
	case ScopeBase:
		return depth == 0
	case ScopeOne:
		return depth == 1
	case ScopeSub:
		return true
	case ScopeChildren:
		return depth >= 1
	}
	return false
}

// escapedAt reports whether s[i] is escaped by an odd run of backslashes.
func escapedAt(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// appendNormDN appends the normal form of dn to dst, using tmp as scratch.
// It does not allocate for ordinary DNs when dst and tmp have room.
func appendNormDN(dst, tmp []byte, dn string, c *compiledSchema) ([]byte, bool) {
	sc := dnScanner{s: dn}
	if sc.empty() {
		return dst, true
	}
	rdnStart, multi := len(dst), false
	for {
		typ, val, sep, ok := sc.next(tmp[:0])
		tmp = val
		if !ok {
			return dst, false
		}
		syn := CaseIgnore
		if a := c.lookup(typ); a != nil {
			syn = a.syntax
			typ = a.names[0]
		}
		dst = appendLower(dst, typ)
		dst = append(dst, '=')
		dst = appendNormValue(dst, bstr(val), syn)
		switch sep {
		case '+':
			dst, multi = append(dst, '+'), true
			continue
		case 0:
			if multi {
				sortRDN(dst[rdnStart:])
			}
			return dst, true
		}
		if multi {
			sortRDN(dst[rdnStart:])
		}
		dst = append(dst, ',')
		rdnStart, multi = len(dst), false
	}
}

// appendNormValue appends the normalised, escaped form of an RDN value.
func appendNormValue(dst []byte, v string, syn AttrSyntax) []byte {
	switch syn {
	case CaseIgnore:
		if isPlainASCII(v) {
			return appendEscapedDNValue(dst, v, true)
		}
		var buf [128]byte
		return appendEscapedDNValue(dst, bstr(appendFold(buf[:0], v)), false)
	case OctetString, Integer, Boolean, GeneralizedTime:
		return appendEscapedDNValue(dst, v, false)
	}
	var buf [128]byte
	return appendEscapedDNValue(dst, bstr(appendSpaceNorm(buf[:0], v)), false)
}

// isPlainASCII reports whether v is printable ASCII without leading,
// trailing or doubled spaces: its caseIgnore form is then its lower case.
func isPlainASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7f || c == ' ' && (i == 0 || i == len(v)-1 || v[i-1] == ' ') {
			return false
		}
	}
	return true
}

// sortRDN sorts the "+"-joined AVAs of a normalised RDN in place.
func sortRDN(b []byte) {
	var parts []string
	start := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' {
			i++
		} else if b[i] == '+' {
			parts = append(parts, string(b[start:i]))
			start = i + 1
		}
	}
	parts = append(parts, string(b[start:]))
	slices.Sort(parts)
	copy(b, strings.Join(parts, "+"))
}

// bstr views b as a string without copying; the string must not outlive
// the next change to b.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
