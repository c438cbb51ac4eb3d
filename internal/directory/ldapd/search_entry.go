// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

// selector decides which attributes of an entry a search returns
// (RFC 4511 §4.5.1.8, RFC 3673 for "+").
type selector struct {
	all       bool // "*" or no attribute list: user attributes
	ops       bool // "+": operational attributes
	none      bool // only "1.1": no attribute
	named     []*attrInfo
	typesOnly bool
	entryDN   bool // the virtual entryDN is wanted
	subschema bool // the virtual subschemaSubentry is wanted

	cache []selCache // decisions by attribute name, for this search
}

type selCache struct {
	name string
	want bool
}

// newSelector returns the selector of an attribute list; cache and named
// are reused storage for its decisions and named attributes.
func newSelector(attrs []string, cs *compiledSchema, typesOnly bool, cache []selCache, named []*attrInfo) selector {
	s := selector{typesOnly: typesOnly, all: len(attrs) == 0, cache: cache, named: named[:0]}
	oneOne := false
	for _, a := range attrs {
		switch a {
		case "*":
			s.all = true
		case "+":
			s.ops = true
		case "1.1":
			oneOne = true
		default:
			if validAttrDesc(a) {
				s.named = append(s.named, cs.resolve(a))
			}
		}
	}
	s.none = oneOne && !s.all && !s.ops && len(s.named) == 0
	s.entryDN, s.subschema = s.ops, s.ops
	for _, n := range s.named {
		s.entryDN = s.entryDN || n.entryDN
		s.subschema = s.subschema || n.matches("subschemaSubentry")
	}
	return s
}

// wants reports whether the attribute called name, at index hint of its
// entry, is returned. Entries of a search usually list their attributes in
// the same order, so the decision cached at hint is tried first.
func (s *selector) wants(name string, hint int, cs *compiledSchema) bool {
	if s.none {
		return false
	}
	if s.all && s.ops {
		return true
	}
	if hint < len(s.cache) && s.cache[hint].name == name {
		return s.cache[hint].want
	}
	for i := range s.cache {
		if s.cache[i].name == name {
			return s.cache[i].want
		}
	}
	info := cs.lookup(name)
	op := info != nil && info.operational
	want := op && s.ops || !op && s.all
	for _, n := range s.named {
		if want {
			break
		}
		want = info != nil && n == info || n.matches(name)
	}
	if len(s.cache) < 32 {
		s.cache = append(s.cache, selCache{name, want})
	}
	return want
}

// writeEntry appends a SearchResultEntry for e.
func (r *searchRun) writeEntry(e *Entry) {
	enc := r.enc
	msg, body := enc.message(r.o.id, opSearchEntry)
	enc.str(tagOctetString, e.DN)
	list := enc.begin(tagSequence)
	sawEntryDN, sawSubschema := false, false
	for i := range e.Attrs {
		a := &e.Attrs[i]
		if len(a.Values) == 0 || !r.sel.wants(a.Name, i, r.cs) {
			continue
		}
		if r.sel.entryDN || r.sel.subschema {
			info := r.cs.lookup(a.Name)
			sawEntryDN = sawEntryDN || info != nil && info.entryDN
			sawSubschema = sawSubschema || info != nil && info.matches("subschemaSubentry")
		}
		seq := enc.begin(tagSequence)
		enc.str(tagOctetString, a.Name)
		set := enc.begin(tagSet)
		if !r.sel.typesOnly {
			for _, v := range a.Values {
				enc.str(tagOctetString, v)
			}
		}
		enc.end(set)
		enc.end(seq)
	}
	if r.sel.entryDN && !sawEntryDN && !e.isSpecial() {
		r.writeAttr1("entryDN", e.DN)
	}
	if r.sel.subschema && !sawSubschema && !e.isSpecial() {
		r.writeAttr1("subschemaSubentry", subschemaDN)
	}
	enc.end(list)
	enc.close(msg, body)
}

// writeAttr1 appends a one-valued attribute.
func (r *searchRun) writeAttr1(name, value string) {
	enc := r.enc
	seq := enc.begin(tagSequence)
	enc.str(tagOctetString, name)
	set := enc.begin(tagSet)
	if !r.sel.typesOnly {
		enc.str(tagOctetString, value)
	}
	enc.end(set)
	enc.end(seq)
}
