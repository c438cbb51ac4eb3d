// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"strings"
	"sync"
)

// AttrSyntax says how values of an attribute are compared.
type AttrSyntax int

// Syntaxes. CaseIgnore is the default for unknown attributes.
const (
	CaseIgnore      AttrSyntax = iota // case-folded, insignificant spaces ignored (RFC 4518)
	CaseExact                         // insignificant spaces ignored, case kept
	Integer                           // decimal integers, of any size
	DN                                // distinguished names, normalised
	OctetString                       // bytes; never matched with substrings
	Boolean                           // TRUE / FALSE
	GeneralizedTime                   // RFC 4517 GeneralizedTime, compared as instants
)

// Schema describes what the server serves. Build it once and return the same
// pointer from Directory.Schema: it is compiled on first use and must not be
// modified afterwards. A nil *Schema is valid and holds only the built-in
// attribute knowledge.
type Schema struct {
	// ObjectClasses and AttributeTypes are RFC 4512 description strings,
	// served in the subschema entry. The server also reads them: NAME
	// aliases, EQUALITY or SYNTAX (for the matching syntax), SUP and USAGE (a
	// USAGE other than userApplications makes the attribute operational).
	ObjectClasses  []string
	AttributeTypes []string
	// Attributes maps a lower-case attribute name or alias to its syntax. It
	// overrides what the descriptions and the built-in table say.
	Attributes map[string]AttrSyntax
	// Operational lists more operational attribute names (any case), for
	// attributes that have no description.
	Operational []string

	once sync.Once
	c    *compiledSchema
}

// attrInfo is what the server knows about one attribute type.
type attrInfo struct {
	names       []string // every name and the OID, primary first, schema case
	syntax      AttrSyntax
	operational bool
	entryDN     bool // the entryDN virtual attribute: the entry's own DN
}

type compiledSchema struct {
	attrs map[string]*attrInfo // lower-case name, alias or OID
}

var defaultSchema = compileSchema(nil)

// compiled returns the compiled form of s (the built-in one for nil).
func (s *Schema) compiled() *compiledSchema {
	if s == nil {
		return defaultSchema
	}
	s.once.Do(func() { s.c = compileSchema(s) })
	return s.c
}

// Syntax returns the matching syntax of the attribute named name.
func (s *Schema) Syntax(name string) AttrSyntax {
	if a := s.compiled().lookup(name); a != nil {
		return a.syntax
	}
	return CaseIgnore
}

// Canonical returns the primary name of the attribute known by name, alias
// or OID ("commonName" → "cn"), and whether the schema (or the built-in
// knowledge) defines it.
func (s *Schema) Canonical(name string) (string, bool) {
	if a := s.compiled().lookup(name); a != nil {
		return a.names[0], true
	}
	return "", false
}

// IsOperational reports whether the attribute named name is operational: it
// is then returned only when asked by name or with "+".
func (s *Schema) IsOperational(name string) bool {
	a := s.compiled().lookup(name)
	return a != nil && a.operational
}

// lookup finds an attribute by name, alias or OID, ignoring case and options.
// It does not allocate for names up to 64 bytes.
func (c *compiledSchema) lookup(name string) *attrInfo {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	var buf [64]byte
	if len(name) > len(buf) {
		return c.attrs[strings.ToLower(name)]
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return c.attrs[string(b)]
}

// resolve returns the attribute info for name, or a fresh CaseIgnore user
// attribute known by that name alone.
func (c *compiledSchema) resolve(name string) *attrInfo {
	if a := c.lookup(name); a != nil {
		return a
	}
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	return &attrInfo{names: []string{name}}
}

// matches reports whether an entry attribute called name is this attribute.
func (a *attrInfo) matches(name string) bool {
	for _, n := range a.names {
		if len(n) == len(name) && (n == name || strings.EqualFold(n, name)) {
			return true
		}
	}
	if i := strings.IndexByte(name, ';'); i >= 0 {
		return a.matches(name[:i])
	}
	return false
}

func compileSchema(s *Schema) *compiledSchema {
	c := &compiledSchema{attrs: map[string]*attrInfo{}}
	add := func(a *attrInfo) {
		for _, n := range a.names {
			c.attrs[strings.ToLower(n)] = a
		}
	}
	for _, b := range builtinAttrs {
		a := &attrInfo{names: b.names, syntax: b.syntax, operational: b.operational,
			entryDN: b.names[0] == "entryDN"}
		add(a)
	}
	if s == nil {
		return c
	}
	descs := make([]attrDesc, 0, len(s.AttributeTypes))
	for _, d := range s.AttributeTypes {
		if ad, ok := parseAttrDesc(d); ok {
			descs = append(descs, ad)
		}
	}
	for _, d := range descs {
		a := &attrInfo{names: append(append([]string{}, d.names...), d.oid), syntax: CaseIgnore,
			operational: d.usage != "" && !strings.EqualFold(d.usage, "userApplications")}
		old := c.lookup(d.oid)
		if old == nil && len(d.names) > 0 {
			old = c.lookup(d.names[0])
		}
		if old != nil { // a description of a built-in attribute keeps what it does not say
			a.syntax, a.entryDN = old.syntax, old.entryDN
			a.operational = a.operational || old.operational
		}
		if syn, ok := d.syntax(); ok {
			a.syntax = syn
		}
		add(a)
	}
	// Second pass: attributes that only name a superior take its syntax.
	for _, d := range descs {
		if _, ok := d.syntax(); ok || d.sup == "" {
			continue
		}
		if sup, a := c.lookup(d.sup), c.lookup(d.oid); sup != nil && a != nil {
			a.syntax = sup.syntax
		}
	}
	for _, n := range s.Operational {
		if a := c.lookup(n); a != nil {
			a.operational = true
		} else {
			add(&attrInfo{names: []string{n}, operational: true})
		}
	}
	for n, syn := range s.Attributes {
		if a := c.lookup(n); a != nil {
			a.syntax = syn
		} else {
			add(&attrInfo{names: []string{n}, syntax: syn})
		}
	}
	return c
}

// NormalizeValue returns the normal form of value under the equality rule of
// the attribute attr: two values are equal for a filter exactly when their
// normal forms are. A directory may key its indexes on it. ok is false when
// value is not valid for the attribute's syntax (e.g. not an integer).
func (s *Schema) NormalizeValue(attr, value string) (norm string, ok bool) {
	n := node{syn: s.Syntax(attr), schema: s.compiled()}
	if !n.setValue(value) {
		return "", false
	}
	if n.syn == GeneralizedTime {
		return n.tm.UTC().Format("20060102150405.999999999Z"), true
	}
	return n.val, true
}
