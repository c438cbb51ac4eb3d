// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/go-ldap/ldap/v3"
)

// The workloads, the same requests on both servers:
//
//   - uid: what a service does to find an account by login (a mail server,
//     a Wi-Fi RADIUS, an LMS at login): (uid=<random login among all
//     20,000>), base the tree base, scope subtree, attributes cn, uidNumber,
//     mail. Exactly one entry must come back.
//
//   - class: the pupils of a class, as an LMS or a printing quota tool
//     syncs them: (&(objectClass=posixAccount)(memberOf=<class DN>)) for a
//     random class among 640, base the tree base, scope subtree,
//     attributes uid, cn, sn, givenName, mail. memberOf is served by
//     both: Préau computes it and indexes it; slapd stores it (memberof
//     overlay) with an equality index. Exactly 25 entries must come back.
//     The other common way on slapd, reading the class entry's member
//     values and then each member, takes 26 requests and is not what
//     Préau's clients do.
//
//   - bind: a simple bind of one of 200 users with a password, on a
//     connection that stays open (rebinding), as a web application checks a
//     password. The cost is the password hash: argon2id on both servers
//     when slapd has the module.
//
// Search clients bind once, before the clock starts, as bench-reader, a
// person of profile admin attached to every establishment on Préau (it
// reads every entry whole) and a user with read access to everything but
// passwords on slapd (the same DN and password in both).

// searchUID is the uid equality workload.
func searchUID(base string, logins []string) workload {
	t := newSearchTemplate(base, uidAttrs)
	filters := make([][]byte, len(logins)) // encoded once, not in the measured loop
	for i, l := range logins {
		filters[i] = eqFilter("uid", l)
	}
	return workload{name: "uid", reader: true, op: func(c *wireConn, r *rand.Rand) error {
		i := r.IntN(len(logins))
		n, err := c.search(t, filters[i])
		if err == nil && n != 1 {
			err = fmt.Errorf("(uid=%s): %d entries, want 1", logins[i], n)
		}
		return err
	}}
}

var (
	uidAttrs   = []string{"cn", "uidNumber", "mail"}
	classAttrs = []string{"uid", "cn", "sn", "givenName", "mail"}
)

// uidFilter and classFilter are the workloads' filters as text, for
// go-ldap (verify.go).
func uidFilter(login string) string { return "(uid=" + ldap.EscapeFilter(login) + ")" }

func classFilter(classDN string) string {
	return "(&(objectClass=posixAccount)(memberOf=" + ldap.EscapeFilter(classDN) + "))"
}

// searchClass is the class-membership workload.
func searchClass(base string, classDNs []string) workload {
	t := newSearchTemplate(base, classAttrs)
	filters := make([][]byte, len(classDNs))
	for i, dn := range classDNs {
		filters[i] = andFilter(eqFilter("objectClass", "posixAccount"), eqFilter("memberOf", dn))
	}
	return workload{name: "class", reader: true, op: func(c *wireConn, r *rand.Rand) error {
		i := r.IntN(len(classDNs))
		n, err := c.search(t, filters[i])
		if err == nil && n != classSize {
			err = fmt.Errorf("class %s: %d entries, want %d", classDNs[i], n, classSize)
		}
		return err
	}}
}

// bindUser is the bind workload: dns and passwords of the bind users.
func bindUser(dns, passwords []string) workload {
	return workload{name: "bind", op: func(c *wireConn, r *rand.Rand) error {
		i := r.IntN(len(dns))
		return c.bind(dns[i], passwords[i])
	}}
}
