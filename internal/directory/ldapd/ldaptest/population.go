// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldaptest

import (
	"fmt"
	"strconv"

	"github.com/preau/preau/internal/directory/ldapd"
)

// Base is the naming context of Population.
const Base = "dc=preau,dc=example"

// ClassSize is the number of people per class in Population.
const ClassSize = 25

// PersonDN returns the DN of person i of Population.
func PersonDN(i int) string { return fmt.Sprintf("uid=user%05d,ou=people,%s", i, Base) }

// ClassDN returns the DN of class k of Population.
func ClassDN(k int) string { return fmt.Sprintf("cn=class-%03d,ou=groups,%s", k, Base) }

// Population returns a synthetic school: the base entry, ou=people and
// ou=groups, n people uid=user00000… (inetOrgPerson and posixAccount, with
// memberOf), and one groupOfNames class per ClassSize people. Every 20th
// person is a teacher (ENTPersonProfils National_ENS), the others pupils.
func Population(n int) []ldapd.Entry {
	out := make([]ldapd.Entry, 0, n+n/ClassSize+4)
	out = append(out,
		entry(Base, "objectClass", "top", "domain", "dc", "preau"),
		entry("ou=people,"+Base, "objectClass", "top", "organizationalUnit", "ou", "people"),
		entry("ou=groups,"+Base, "objectClass", "top", "organizationalUnit", "ou", "groups"),
	)
	given := []string{"Zoé", "Léa", "Hugo", "Jules", "Chloé", "Louis", "Inès", "Adam", "Éloïse", "Noah"}
	family := []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"}
	for i := range n {
		uid := fmt.Sprintf("user%05d", i)
		g, f := given[i%len(given)], family[(i/len(given))%len(family)]
		profile := "National_ELV"
		if i%20 == 0 {
			profile = "National_ENS"
		}
		out = append(out, ldapd.Entry{DN: PersonDN(i), Attrs: []ldapd.Attr{
			{Name: "objectClass", Values: []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"}},
			{Name: "uid", Values: []string{uid}},
			{Name: "cn", Values: []string{g + " " + f}},
			{Name: "sn", Values: []string{f}},
			{Name: "givenName", Values: []string{g}},
			{Name: "mail", Values: []string{uid + "@preau.example"}},
			{Name: "uidNumber", Values: []string{strconv.Itoa(10000 + i)}},
			{Name: "gidNumber", Values: []string{strconv.Itoa(20000 + i/ClassSize)}},
			{Name: "homeDirectory", Values: []string{"/home/" + uid}},
			{Name: "ENTPersonProfils", Values: []string{profile}},
			{Name: "memberOf", Values: []string{ClassDN(i / ClassSize)}},
			{Name: "entryUUID", Values: []string{fmt.Sprintf("00000000-0000-7000-8000-%012d", i)}},
			{Name: "createTimestamp", Values: []string{"20260901080000Z"}},
		}})
	}
	for k := 0; k*ClassSize < n; k++ {
		members := make([]string, 0, ClassSize)
		for i := k * ClassSize; i < min(n, (k+1)*ClassSize); i++ {
			members = append(members, PersonDN(i))
		}
		out = append(out, ldapd.Entry{DN: ClassDN(k), Attrs: []ldapd.Attr{
			{Name: "objectClass", Values: []string{"top", "groupOfNames"}},
			{Name: "cn", Values: []string{fmt.Sprintf("class-%03d", k)}},
			{Name: "description", Values: []string{fmt.Sprintf("Classe %d", k)}},
			{Name: "member", Values: members},
		}})
	}
	return out
}

// entry builds an entry from DN and name, values… pairs where a name is
// followed by one or more values; a value is taken as a name when it is one
// of the known attribute names below.
func entry(dn string, kv ...string) ldapd.Entry {
	e := ldapd.Entry{DN: dn}
	for _, s := range kv {
		switch s {
		case "objectClass", "dc", "ou", "cn", "uid", "sn", "description":
			e.Attrs = append(e.Attrs, ldapd.Attr{Name: s})
		default:
			a := &e.Attrs[len(e.Attrs)-1]
			a.Values = append(a.Values, s)
		}
	}
	return e
}
