// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Data is what a snapshot is built from: the whole directory.
type Data struct {
	Establishments []*directory.Establishment
	People         []*directory.Person
	Groups         []*directory.Group
	Memberships    []directory.Membership
	Scopes         map[string]directory.ServiceScope // service accounts' read scopes by person ID
	SchoolYear     int
}

// Snapshot is an immutable LDAP view of the directory at one moment, with
// equality indexes. It is safe for concurrent readers.
type Snapshot struct {
	Base string
	// The entries, in tree order, in the flat form of flat.go.
	arena     string
	recs      []rec
	attrTab   []attrRec
	valTab    []span
	names     []string                      // attribute names
	nameFlags []uint8                       // flag* of each name
	nameIDs   map[string][]uint32           // positions in names by lower-case name
	byDN      map[string]int32              // normalised DN → entry
	index     map[string]map[string][]int32 // lower attribute → normalised value → entries
	login     map[string]int32              // login → person entry
	scopes    map[string]directory.ServiceScope
	Built     time.Time

	building []*Entry // during Build only
}

// indexed are the attributes with an equality index.
var indexed = []string{"uid", "mail", "cn", "objectclass", "memberof", "member", "uidnumber", "gidnumber",
	"entpersonlogin", "entpersonprofils", "entuuid", "memberuid", "enteleveclasses", "entstructureuai"}

// Build makes a snapshot of d under base (e.g. "dc=preau").
func Build(base string, d *Data) *Snapshot {
	s := &Snapshot{Base: base, scopes: d.Scopes, Built: time.Now()}
	estDN := map[string]string{} // establishment ID → DN
	estUAI := map[string]string{}
	root := &Entry{DN: base, kind: kindBase}
	rdn, _, _ := strings.Cut(base, ",")
	_, dc, _ := strings.Cut(rdn, "=")
	root.add("objectClass", "top", "dcObject", "organization")
	root.add("dc", dc)
	root.add("o", "Préau")
	s.put(root)
	s.put(container("ou=groups,"+base, "groups", nil))
	for code, p := range profileGroups() {
		g := &Entry{DN: "cn=" + code + ",ou=groups," + base, kind: kindGroup}
		g.add("objectClass", "top", "posixGroup")
		g.add("cn", code)
		g.add("gidNumber", strconv.FormatInt(p, 10))
		g.add("description", "Profil "+code)
		s.put(g)
	}
	for _, e := range d.Establishments {
		dn := "ou=" + e.UAI + "," + base
		estDN[e.ID], estUAI[e.ID] = dn, e.UAI
		ee := &Entry{DN: dn, kind: kindEstablishment, ests: []string{e.ID}}
		ee.add("objectClass", "top", "organizationalUnit", "ENTStructure", "ENTEtablissement")
		ee.add("ou", e.UAI)
		ee.add("description", e.Name)
		ee.add("ENTStructureUAI", e.UAI)
		ee.add("ENTStructureNomCourant", e.Name)
		ee.add("ENTStructureTypeStruct", strings.ToUpper(string(e.Type)))
		ee.add("ENTStructureJointure", "PREAU$"+e.ID)
		ee.add("entryUUID", e.ID)
		s.put(ee)
		s.put(container("ou=people,"+dn, "people", []string{e.ID}))
		s.put(container("ou=groups,"+dn, "groups", []string{e.ID}))
	}
	personDN := map[string]string{}
	personLogin := map[string]string{}
	for _, p := range d.People {
		if est := p.MainEstablishment(); est != "" && estDN[est] != "" {
			personDN[p.ID] = "uid=" + escapeRDNValue(p.Login) + ",ou=people," + estDN[est]
		} else {
			personDN[p.ID] = "uid=" + escapeRDNValue(p.Login) + ",ou=people," + base
		}
		personLogin[p.ID] = p.Login
	}
	groupDN := map[string]string{}
	groupByID := map[string]*directory.Group{}
	for _, g := range d.Groups {
		groupDN[g.ID] = "cn=" + escapeRDNValue(g.Code) + ",ou=groups," + estDN[g.Establishment]
		groupByID[g.ID] = g
	}
	members := map[string][]directory.Membership{}  // group → memberships
	personOf := map[string][]directory.Membership{} // person → memberships
	for _, m := range d.Memberships {
		members[m.GroupID] = append(members[m.GroupID], m)
		personOf[m.PersonID] = append(personOf[m.PersonID], m)
	}
	for _, p := range d.People {
		s.put(personEntry(p, personDN[p.ID], estDN, groupByID, groupDN, personOf[p.ID], d.SchoolYear))
	}
	for _, g := range d.Groups {
		s.put(groupEntry(g, groupDN[g.ID], members[g.ID], personDN, personLogin))
	}
	s.freeze(s.building)
	s.building = nil
	return s
}

func container(dn, ou string, ests []string) *Entry {
	e := &Entry{DN: dn, kind: kindContainer, ests: ests}
	e.add("objectClass", "top", "organizationalUnit")
	e.add("ou", ou)
	return e
}

func profileGroups() map[string]int64 {
	out := map[string]int64{}
	for _, p := range profileCodes {
		out[p.group] = p.gid
	}
	return out
}

func (s *Snapshot) put(e *Entry) {
	e.add("entryDN", e.DN)
	s.building = append(s.building, e)
}

func personEntry(p *directory.Person, dn string, estDN map[string]string, groups map[string]*directory.Group,
	groupDN map[string]string, ms []directory.Membership, year int) *Entry {
	e := &Entry{DN: dn, kind: kindPerson, ests: p.Establishments, person: p.ID, profile: p.Profile}
	classes := []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount", "ENTPerson"}
	switch p.Profile {
	case core.ProfilePupil:
		classes = append(classes, "ENTEleve")
	case core.ProfileTeacher:
		classes = append(classes, "ENTAuxEnseignant")
	default:
		classes = append(classes, "ENTAuxNonEnsEtab")
	}
	e.add("objectClass", classes...)
	e.add("uid", p.Login)
	e.add("cn", p.DisplayName)
	e.add("sn", p.FamilyName)
	e.add("givenName", p.GivenName)
	e.add("displayName", p.DisplayName)
	e.add("mail", p.Mail)
	pc := profileCodes[string(p.Profile)]
	e.add("uidNumber", strconv.FormatInt(p.UIDNumber, 10))
	e.add("gidNumber", strconv.FormatInt(pc.gid, 10))
	e.add("homeDirectory", "/home/"+p.Login)
	e.add("loginShell", "/bin/bash")
	e.add("gecos", asciiGecos(p.DisplayName))
	e.add("ENTPersonLogin", p.Login)
	e.add("ENTPersonProfils", pc.national)
	e.add("ENTPersonJointure", "PREAU$"+p.ID)
	for _, k := range []string{"aaf_jointure", "siecle_eleve_id", "sts_id", "be1d_id"} {
		if v := p.ExternalIDs[k]; v != "" {
			e.add("ENTPersonJointure", strings.ToUpper(strings.TrimSuffix(k, "_eleve_id"))+"$"+v)
		}
	}
	if main := estDN[p.MainEstablishment()]; main != "" {
		e.add("ENTPersonStructRattach", main)
	}
	if p.Profile == core.ProfilePupil {
		e.add("ENTEleveINE", p.ExternalIDs["ine"])
		e.add("ENTEleveStructRattachId", p.ExternalIDs["siecle_eleve_id"])
	}
	e.add("entryUUID", p.ID)
	e.add("accountStatus", string(p.State))
	e.add("createTimestamp", p.CreatedAt.UTC().Format("20060102150405Z"))
	e.add("modifyTimestamp", p.UpdatedAt.UTC().Format("20060102150405Z"))
	sort.Slice(ms, func(i, j int) bool { return groupDN[ms[i].GroupID] < groupDN[ms[j].GroupID] })
	for _, m := range ms {
		g := groups[m.GroupID]
		if g == nil {
			continue
		}
		ref := estDN[g.Establishment] + "$" + g.Code
		switch {
		case m.Role == directory.RoleMember:
			e.add("memberOf", groupDN[g.ID])
			if p.Profile == core.ProfilePupil && g.Kind == directory.Class && (year == 0 || g.SchoolYear == year) {
				e.add("ENTEleveClasses", ref)
			} else if p.Profile == core.ProfilePupil && g.Kind == directory.Teaching {
				e.add("ENTEleveGroupes", ref)
			}
		case m.Role == directory.RoleOwner && g.Kind == directory.Class:
			e.add("ENTAuxEnsClasses", ref)
		case m.Role == directory.RoleOwner && g.Kind == directory.Teaching:
			e.add("ENTAuxEnsGroupes", ref)
		}
	}
	return e
}

func groupEntry(g *directory.Group, dn string, ms []directory.Membership, personDN, login map[string]string) *Entry {
	e := &Entry{DN: dn, kind: kindGroup, ests: []string{g.Establishment}}
	classes := []string{"top", "groupOfNames", "posixGroup"}
	switch g.Kind {
	case directory.Class:
		classes = append(classes, "ENTClasse")
	case directory.Teaching:
		classes = append(classes, "ENTGroupe")
	}
	e.add("objectClass", classes...)
	e.add("cn", g.Code)
	e.add("description", g.Name)
	e.add("gidNumber", strconv.FormatInt(g.GIDNumber, 10))
	e.add("businessCategory", string(g.Kind))
	if g.Level != "" {
		e.add("ou", g.Level)
	}
	sort.Slice(ms, func(i, j int) bool { return personDN[ms[i].PersonID] < personDN[ms[j].PersonID] })
	for _, m := range ms {
		if m.Role == directory.RoleOwner {
			e.add("owner", personDN[m.PersonID])
			continue
		}
		e.add("member", personDN[m.PersonID])
		e.add("memberUid", login[m.PersonID])
	}
	e.add("entryUUID", g.ID)
	return e
}

// asciiGecos strips accents for the gecos field, which many tools read as ASCII.
func asciiGecos(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 {
			b.WriteRune(r)
			continue
		}
		switch {
		case strings.ContainsRune("àâä", r):
			b.WriteByte('a')
		case strings.ContainsRune("éèêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("îï", r):
			b.WriteByte('i')
		case strings.ContainsRune("ôö", r):
			b.WriteByte('o')
		case strings.ContainsRune("ùûü", r):
			b.WriteByte('u')
		case r == 'ç':
			b.WriteByte('c')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// normValue normalises a value for equality matching of attribute la.
func normValue(la, v string) string {
	switch la {
	case "memberof", "member", "owner", "entpersonstructrattach":
		return NormDN(v)
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// Entries returns every entry in tree order (parents before children),
// made anew (for exports).
func (s *Snapshot) Entries() []*Entry {
	out := make([]*Entry, len(s.recs))
	for i := range s.recs {
		out[i] = s.entry(int32(i))
	}
	return out
}
