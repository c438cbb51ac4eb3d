// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

// The snapshot keeps its entries in a flat form that holds almost no
// pointers: every string (DNs, values, index keys) once in one arena string,
// and entries, attributes and values as numbers (offsets into the arena,
// positions in tables). Built as *Entry values with their []Attr and
// []string, a view of 20,000 people was about a million small heap objects
// and 5 million pointer words; every garbage collection had to scan them
// all (about 100 ms of CPU on the benchmark machine) while LDAP requests
// waited behind the collector: the server's latency tail. Flat, the arena
// and the tables are pointer-free, so the collector skips them whole; what
// it still scans is the three maps (one key per DN, login and index value).
//
// Entries are made on demand: entry allocates an *Entry (lookups, exports,
// writes), fill builds one in reusable buffers (the search loop, with no
// allocation); either way values are substrings of the arena.

// span is a string of the arena.
type span struct{ off, n uint32 }

// rec is one entry.
type rec struct {
	dn, person, profile span
	attrs, attrsEnd     uint32 // range of attrTab
	ests, estsEnd       uint32 // range of valTab
	est0                span   // the first of ests, if any: the one most entries have
	hasEsts             bool   // ests is not nil (nil: every bound principal)
	kind                kind
}

// attrRec is one attribute: its name in names, its values a range of valTab.
type attrRec struct {
	name     uint32
	vals, to uint32
}

// str returns the arena string sp.
func (s *Snapshot) str(sp span) string { return s.arena[sp.off : sp.off+sp.n] }

// arenaBuilder collects distinct strings into one byte slice.
type arenaBuilder struct {
	b    []byte
	seen map[string]span
}

func (a *arenaBuilder) add(x string) span {
	if x == "" {
		return span{}
	}
	if sp, ok := a.seen[x]; ok {
		return sp
	}
	sp := span{uint32(len(a.b)), uint32(len(x))}
	a.b = append(a.b, x...)
	a.seen[x] = sp
	return sp
}

// raw appends x without looking for it (strings seen once: DNs, logins,
// mail addresses…).
func (a *arenaBuilder) raw(x string) span {
	sp := span{uint32(len(a.b)), uint32(len(x))}
	a.b = append(a.b, x...)
	return sp
}

// repeated are the attributes whose values many entries share (stored
// once each); other values are stored as they come, which saves a lookup
// per value.
var repeated = []string{"objectclass", "loginshell", "gidnumber", "entpersonprofils", "accountstatus", "memberof",
	"entpersonstructrattach", "enteleveclasses", "entelevegroupes", "entauxensclasses", "entauxensgroupes",
	"createtimestamp", "modifytimestamp", "businesscategory", "description", "ou", "givenname"}

// freeze turns the built entries into the flat form, with the maps keyed by
// arena strings.
func (s *Snapshot) freeze(list []*Entry) {
	ab := &arenaBuilder{seen: make(map[string]span, 1<<12)}
	type posting struct {
		key  span
		list []int32
	}
	type nameInfo struct {
		id    uint32
		dedup bool
		index map[string]*posting // nil: not indexed
	}
	names := map[string]*nameInfo{}
	s.recs = make([]rec, len(list))
	nAttrs, nVals := 0, 0
	for _, e := range list {
		nAttrs += len(e.Attrs)
		nVals += len(e.ests)
		for _, a := range e.Attrs {
			nVals += len(a.Values)
		}
	}
	s.attrTab = make([]attrRec, 0, nAttrs)
	s.valTab = make([]span, 0, nVals)
	dnKeys := make([]span, len(list))
	loginKeys := map[int32]span{}
	nPost := 0
	for i, e := range list {
		r := rec{dn: ab.raw(e.DN), person: ab.raw(e.person), profile: ab.add(string(e.profile)), kind: e.kind,
			hasEsts: e.ests != nil, attrs: uint32(len(s.attrTab)), ests: uint32(len(s.valTab))}
		for k, est := range e.ests {
			s.valTab = append(s.valTab, ab.add(est))
			if k == 0 {
				r.est0 = s.valTab[len(s.valTab)-1]
			}
		}
		r.estsEnd = uint32(len(s.valTab))
		for _, a := range e.Attrs {
			ni := names[a.Name]
			if ni == nil {
				la := strings.ToLower(a.Name)
				ni = &nameInfo{id: uint32(len(s.names)), dedup: slices.Contains(repeated, la)}
				if slices.Contains(indexed, la) {
					ni.index = map[string]*posting{}
				}
				names[a.Name] = ni
				s.names = append(s.names, a.Name)
				s.nameFlags = append(s.nameFlags, nameFlag(a.Name))
			}
			ar := attrRec{name: ni.id, vals: uint32(len(s.valTab))}
			for _, v := range a.Values {
				var sp span
				if ni.dedup {
					sp = ab.add(v)
				} else {
					sp = ab.raw(v)
				}
				s.valTab = append(s.valTab, sp)
				if ni.index == nil {
					continue
				}
				k := normValue(strings.ToLower(a.Name), v)
				p := ni.index[k]
				if p == nil {
					p = &posting{key: sp}
					if k != v {
						p.key = ab.raw(k)
					}
					ni.index[k] = p
				}
				if n := len(p.list); n == 0 || p.list[n-1] != int32(i) {
					p.list = append(p.list, int32(i))
					nPost++
				}
			}
			ar.to = uint32(len(s.valTab))
			s.attrTab = append(s.attrTab, ar)
			if e.kind == kindPerson && a.Name == "uid" && len(a.Values) > 0 {
				if l := strings.ToLower(a.Values[0]); l == a.Values[0] {
					loginKeys[int32(i)] = s.valTab[ar.vals]
				} else {
					loginKeys[int32(i)] = ab.raw(l)
				}
			}
		}
		r.attrsEnd = uint32(len(s.attrTab))
		s.recs[i] = r
		if k := NormDN(e.DN); k == e.DN {
			dnKeys[i] = r.dn
		} else {
			dnKeys[i] = ab.raw(k)
		}
	}
	idx := map[string]map[string]*posting{}
	for name, ni := range names {
		if ni.index == nil {
			continue
		}
		la := strings.ToLower(name)
		if idx[la] == nil {
			idx[la] = ni.index
			continue
		}
		for k, p := range ni.index { // the same attribute under two spellings: merge
			q := idx[la][k]
			if q == nil {
				idx[la][k] = p
				continue
			}
			q.list = append(q.list, p.list...)
			slices.Sort(q.list)
			q.list = slices.Compact(q.list)
		}
	}
	for _, a := range indexed {
		if idx[a] == nil {
			idx[a] = map[string]*posting{}
		}
	}
	s.nameIDs = make(map[string][]uint32, len(s.names))
	for id, name := range s.names {
		l := strings.ToLower(name)
		s.nameIDs[l] = append(s.nameIDs[l], uint32(id))
	}
	// The arena is complete: nothing appends to ab.b any more, so strings
	// may point into it.
	s.arena = unsafe.String(unsafe.SliceData(ab.b), len(ab.b))
	s.byDN = make(map[string]int32, len(list))
	for i, k := range dnKeys {
		s.byDN[s.str(k)] = int32(i)
	}
	s.login = make(map[string]int32, len(loginKeys))
	for i, k := range loginKeys {
		s.login[s.str(k)] = i
	}
	post := make([]int32, 0, nPost)
	s.index = make(map[string]map[string][]int32, len(idx))
	for a, m := range idx {
		out := make(map[string][]int32, len(m))
		for _, p := range m {
			from := len(post)
			post = append(post, p.list...)
			out[s.str(p.key)] = post[from:len(post):len(post)]
		}
		s.index[a] = out
	}
}

// entry returns entry i as a new *Entry.
func (s *Snapshot) entry(i int32) *Entry {
	r := &s.recs[i]
	e := &Entry{}
	s.fill(i, e, make([]Attr, 0, r.attrsEnd-r.attrs), nil)
	return e
}

// fill makes e entry i, with its attributes appended to attrs[:0] and its
// values to vals[:0]; it returns the buffers for the next call. e's slices
// are capped, so that appending to them copies.
func (s *Snapshot) fill(i int32, e *Entry, attrs []Attr, vals []string) ([]Attr, []string) {
	return s.fillView(i, e, attrs, vals, viewAll)
}

// neededNames is which of the snapshot's attribute names one search needs
// (ldapd.SearchRequest.NeededAttributes); nil needs them all.
type neededNames []bool

// neededFor returns what req needs of s, in buf's storage; nil when it
// needs every attribute.
func (s *Snapshot) neededFor(req *ldapd.SearchRequest, buf neededNames) neededNames {
	names, all := req.NeededAttributes()
	if all {
		return nil
	}
	buf = append(buf[:0], make([]bool, len(s.names))...)
	var low [64]byte
	for _, name := range names {
		if len(name) > len(low) {
			return nil
		}
		b := low[:len(name)]
		for i := range len(name) {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		for _, id := range s.nameIDs[string(b)] {
			buf[id] = true
		}
	}
	return buf
}

// Views of an entry (View), decided per principal and entry by viewOf.
const (
	viewAll     = iota // the whole entry
	viewService        // serviceAttrs only
	viewPupil          // pupilAttrs only
	viewNoJoin         // all but joinKeys
	viewOther          // a service account's own scope: ViewFor on the whole entry
)

// Flags of attribute names (Snapshot.nameFlags).
const (
	flagService = 1 << iota // in serviceAttrs
	flagPupil               // in pupilAttrs
	flagJoin                // in joinKeys
)

// nameFlag returns the flags of an attribute name.
func nameFlag(name string) uint8 {
	n := strings.ToLower(name)
	var f uint8
	if slices.Contains(serviceAttrs, n) {
		f |= flagService
	}
	if slices.Contains(pupilAttrs, n) {
		f |= flagPupil
	}
	if slices.Contains(joinKeys, n) {
		f |= flagJoin
	}
	return f
}

// viewOf returns which view of entry i principal p reads, as ViewFor
// decides; op is p.Operator().
func (s *Snapshot) viewOf(p *core.Principal, op bool, i int32) int {
	r := &s.recs[i]
	if p.Service && !op && s.scopes != nil {
		if sc, ok := s.scopes[p.PersonID]; ok && !sc.IsZero() &&
			(r.kind == kindPerson && len(sc.Attrs) > 0 || r.kind == kindGroup && len(sc.Profiles) > 0) {
			return viewOther
		}
	}
	switch {
	case p.Service && r.kind == kindPerson && !op:
		return viewService
	case r.kind != kindPerson || p.System || op || p.PersonID == s.str(r.person) ||
		p.Profile == core.ProfileAdmin || p.Profile == core.ProfileHead:
		return viewAll
	case p.Profile == core.ProfilePupil:
		return viewPupil
	}
	return viewNoJoin
}

// fillView is fill keeping only the attributes of view (not viewOther).
func (s *Snapshot) fillView(i int32, e *Entry, attrs []Attr, vals []string, view int) ([]Attr, []string) {
	r := &s.recs[i]
	vals = vals[:0]
	for _, sp := range s.valTab[r.ests:r.estsEnd] {
		vals = append(vals, s.str(sp))
	}
	var ests []string
	if r.hasEsts {
		ests = vals[:len(vals):len(vals)]
	}
	attrs, vals = s.appendAttrs(i, attrs[:0], vals, view, nil)
	*e = Entry{DN: s.str(r.dn), Attrs: attrs[:len(attrs):len(attrs)], ests: ests, person: s.str(r.person),
		profile: core.Profile(s.str(r.profile)), kind: r.kind}
	return attrs, vals
}

// appendAttrs appends to attrs the attributes of entry i that view shows
// (not viewOther) and need has (nil: all), and their values to vals; each
// attribute's Values are capped.
func (s *Snapshot) appendAttrs(i int32, attrs []Attr, vals []string, view int, need neededNames) ([]Attr, []string) {
	keep := func(a attrRec) bool {
		f := s.nameFlags[a.name]
		switch view {
		case viewService:
			return f&flagService != 0
		case viewPupil:
			return f&flagPupil != 0
		case viewNoJoin:
			return f&flagJoin == 0
		}
		return true
	}
	r := &s.recs[i]
	for _, a := range s.attrTab[r.attrs:r.attrsEnd] {
		if view != viewAll && !keep(a) || need != nil && !need[a.name] {
			continue
		}
		from := len(vals)
		for _, sp := range s.valTab[a.vals:a.to] {
			vals = append(vals, s.str(sp))
		}
		attrs = append(attrs, Attr{Name: s.names[a.name], Values: vals[from:len(vals):len(vals)]})
	}
	return attrs, vals
}

// warm reads, for the first candidates of a search, the memory the search
// reads first of each: the record, then its first attribute, first value
// and DN. Candidates of an index (a class's pupils) lie far apart in the
// tables, so each is a chain of cache misses; with the loads of every
// candidate issued together, level by level, the processor overlaps them
// instead of waiting out each chain in turn. The caller keeps the sum it
// returns, so that the loads are not optimised away.
func (s *Snapshot) warm(list []int32) uint32 {
	list = list[:min(len(list), 256)]
	var sum uint32
	for _, i := range list {
		sum += s.recs[i].attrs
	}
	for _, i := range list {
		r := &s.recs[i]
		if r.attrs < r.attrsEnd {
			sum += s.attrTab[r.attrs].vals
		}
		if r.dn.n > 0 {
			sum += uint32(s.arena[r.dn.off])
		}
	}
	for _, i := range list {
		r := &s.recs[i]
		if r.attrs < r.attrsEnd {
			if a := s.attrTab[r.attrs]; a.vals < a.to {
				sum += s.valTab[a.vals].off
			}
		}
	}
	return sum
}

// visible is Visible for entry i, without making the entry; op is
// p.Operator().
func (s *Snapshot) visible(p *core.Principal, op bool, i int32) bool {
	r := &s.recs[i]
	if op || !r.hasEsts {
		return !p.Anonymous() || r.kind == kindBase
	}
	// p.AttachedTo without copying the principal for every entry; the
	// first establishment is in the record, the others (rare) in valTab
	if r.est0.n > 0 && slices.Contains(p.Establishments, s.str(r.est0)) {
		return true
	}
	if r.estsEnd-r.ests <= 1 {
		return false
	}
	for _, sp := range s.valTab[r.ests+1 : r.estsEnd] {
		if slices.Contains(p.Establishments, s.str(sp)) {
			return true
		}
	}
	return false
}

// visibleTo is VisibleTo for entry i, without making the entry.
func (s *Snapshot) visibleTo(p *core.Principal, op bool, i int32) bool {
	if !s.visible(p, op, i) {
		return false
	}
	if sc, ok := s.scopeOf(*p); ok && s.recs[i].kind == kindPerson {
		return sc.SeesProfile(core.Profile(s.str(s.recs[i].profile)))
	}
	return true
}
