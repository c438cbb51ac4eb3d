// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/ldapd"
)

// Lookup returns the entry with dn, or nil.
func (s *Snapshot) Lookup(dn string) *Entry {
	if i, ok := s.lookup(dn); ok {
		return s.entry(i)
	}
	return nil
}

// lookup returns the number of the entry with dn. A DN already in normal
// form (a search base copied from an answer, in lower case) is found
// without normalising it: normal forms are their own normal form.
func (s *Snapshot) lookup(dn string) (int32, bool) {
	if i, ok := s.byDN[dn]; ok {
		return i, true
	}
	i, ok := s.byDN[NormDN(dn)]
	return i, ok
}

// PersonByLogin returns the entry of a login, or nil.
func (s *Snapshot) PersonByLogin(login string) *Entry {
	if i, ok := s.login[strings.ToLower(login)]; ok {
		return s.entry(i)
	}
	return nil
}

// Len returns the number of entries.
func (s *Snapshot) Len() int { return len(s.recs) }

// Term is one equality assertion of a search filter.
type Term = ldapd.Term

// Candidates returns the entries that can match every term (the shortest
// posting list among indexed attributes), or every entry when no term is
// indexed. The caller still evaluates the whole filter.
func (s *Snapshot) Candidates(terms []Term) []*Entry {
	list, all := s.candidates(terms)
	if all {
		return s.Entries()
	}
	out := make([]*Entry, len(list))
	for k, i := range list {
		out[k] = s.entry(i)
	}
	return out
}

// candidates returns the numbers of the entries that can match every
// term, or all true for every entry.
func (s *Snapshot) candidates(terms []Term) (list []int32, all bool) {
	found := false
	var buf [128]byte
	for _, t := range terms {
		la := indexedName(t.Attr)
		idx, ok := s.index[la]
		if !ok {
			continue
		}
		var l []int32
		if k, ok := appendSimpleNorm(buf[:0], t.Value); ok {
			l = idx[string(k)] // no allocation: the compiler looks the bytes up
		} else {
			l = idx[normValue(la, t.Value)]
		}
		if !found || len(l) < len(list) {
			list, found = l, true
		}
	}
	return list, !found
}

// indexedName returns the lower-case name of an indexed attribute without
// allocating (name in any case), or name itself when it is not indexed.
func indexedName(name string) string {
	for _, a := range indexed {
		if len(a) == len(name) && strings.EqualFold(a, name) {
			return a
		}
	}
	return name
}

// appendSimpleNorm appends the normal form of a value made only of
// printable ASCII without spaces, where it is the value in lower case for
// every indexed attribute (DN-valued ones included: NormDN only trims
// spaces and lowers case); ok is false for any other value.
func appendSimpleNorm(b []byte, v string) ([]byte, bool) {
	if len(v) > cap(b) {
		return b, false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return b, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

// Visible reports whether principal p may read e: operators and system
// principals read everything; others read the base, the shared profile
// groups and what belongs to one of their establishments.
func Visible(p core.Principal, e *Entry) bool {
	if p.Operator() || e.ests == nil {
		return !p.Anonymous() || e.kind == kindBase
	}
	for _, est := range e.ests {
		if p.AttachedTo(est) {
			return true
		}
	}
	return false
}

// joinKeys are readable only by admins, heads, service accounts and the
// person themself: they identify pupils in national databases.
var joinKeys = []string{"enteleveine", "entelevestructrattachid", "entpersonjointure", "accountstatus"}

// pupilAttrs are what a pupil may read of other people (INF-ANN-8: the
// minimum a class directory needs).
var pupilAttrs = []string{"objectclass", "uid", "cn", "sn", "givenname", "displayname", "mail", "uidnumber",
	"gidnumber", "homedirectory", "loginshell", "gecos", "entpersonprofils", "entrydn", "entryuuid",
	"entpersonlogin", "entpersonstructrattach", "memberof"}

// serviceAttrs are what a service account (an application reading the
// directory) may read of people: identity, POSIX and group attributes, no
// national join keys (INF-ANN-6: only what the application needs).
var serviceAttrs = []string{"objectclass", "uid", "cn", "sn", "givenname", "displayname", "mail", "uidnumber",
	"gidnumber", "homedirectory", "loginshell", "gecos", "entpersonprofils", "entpersonlogin", "entrydn",
	"entryuuid", "entpersonstructrattach", "memberof", "enteleveclasses", "entelevegroupes", "entauxensclasses",
	"entauxensgroupes"}

// View returns e as p may read it: the whole entry for admins, heads,
// operators, services and the person themself; without national join keys
// for other adults; and only pupilAttrs for pupils. It returns e itself when
// nothing is hidden. A service account reads serviceAttrs whatever its
// profile. userPassword is never in an entry.
func View(p core.Principal, e *Entry) *Entry {
	if p.Service && e.kind == kindPerson && !p.Operator() {
		return filtered(e, func(name string) bool { return slices.Contains(serviceAttrs, strings.ToLower(name)) })
	}
	if e.kind != kindPerson || p.System || p.Operator() || p.PersonID == e.person ||
		p.Profile == core.ProfileAdmin || p.Profile == core.ProfileHead {
		return e
	}
	keep := func(name string) bool { return !slices.Contains(joinKeys, strings.ToLower(name)) }
	if p.Profile == core.ProfilePupil {
		keep = func(name string) bool { return slices.Contains(pupilAttrs, strings.ToLower(name)) }
	}
	return filtered(e, keep)
}

// filtered returns a copy of e with the attributes keep accepts.
func filtered(e *Entry, keep func(string) bool) *Entry {
	out := &Entry{DN: e.DN, ests: e.ests, person: e.person, kind: e.kind, Attrs: make([]Attr, 0, len(e.Attrs))}
	for _, a := range e.Attrs {
		if keep(a.Name) {
			out.Attrs = append(out.Attrs, a)
		}
	}
	return out
}

// scopeOf returns the read scope of a service account that has one.
func (s *Snapshot) scopeOf(p core.Principal) (directory.ServiceScope, bool) {
	if !p.Service || p.Operator() {
		return directory.ServiceScope{}, false
	}
	sc, ok := s.scopes[p.PersonID]
	return sc, ok && !sc.IsZero()
}

// VisibleTo is Visible narrowed by a service account's scope: people of
// other profiles than its scope names are not there for it.
func (s *Snapshot) VisibleTo(p core.Principal, e *Entry) bool {
	if !Visible(p, e) {
		return false
	}
	if sc, ok := s.scopeOf(p); ok && e.kind == kindPerson {
		return sc.SeesProfile(e.profile)
	}
	return true
}

// ViewFor is View narrowed by a service account's scope: of people, only
// the attributes it names (objectClass always, so that filters on it work);
// of groups, only the members it sees.
func (s *Snapshot) ViewFor(p core.Principal, e *Entry) *Entry {
	sc, ok := s.scopeOf(p)
	if !ok {
		return View(p, e)
	}
	switch {
	case e.kind == kindPerson && len(sc.Attrs) > 0:
		return filtered(e, func(name string) bool {
			n := strings.ToLower(name)
			return n == "objectclass" || slices.Contains(sc.Attrs, n)
		})
	case e.kind == kindGroup && len(sc.Profiles) > 0:
		return s.membersSeen(View(p, e), sc)
	}
	return View(p, e)
}

// membersSeen returns a copy of group entry g whose member and memberUid
// values name only people of the scope's profiles.
func (s *Snapshot) membersSeen(g *Entry, sc directory.ServiceScope) *Entry {
	out := &Entry{DN: g.DN, ests: g.ests, kind: g.kind, Attrs: make([]Attr, 0, len(g.Attrs))}
	byLogin := func(l string) (int32, bool) {
		i, ok := s.login[strings.ToLower(l)]
		return i, ok
	}
	for _, a := range g.Attrs {
		var who func(string) (int32, bool)
		switch strings.ToLower(a.Name) {
		case "member", "uniquemember":
			who = s.lookup
		case "memberuid":
			who = byLogin
		default:
			out.Attrs = append(out.Attrs, a)
			continue
		}
		kept := Attr{Name: a.Name}
		for _, v := range a.Values {
			i, ok := who(v)
			if !ok || s.recs[i].kind != kindPerson || sc.SeesProfile(core.Profile(s.str(s.recs[i].profile))) {
				kept.Values = append(kept.Values, v)
			}
		}
		if len(kept.Values) > 0 {
			out.Attrs = append(out.Attrs, kept)
		}
	}
	return out
}
