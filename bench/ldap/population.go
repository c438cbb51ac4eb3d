// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// The generated deployment: 10 establishments (5 collèges, 5 lycées) of 64
// classes of 25 pupils each, 300 teachers, 99 staff and a head each, and one
// admin, the read-only identity the search clients bind as: 20,000 people
// (16,000 pupils in 640 classes), 650 groups and 22,109 memberships.
const (
	establishments = 10
	classesPerEst  = 64
	classSize      = 25
	teachersPerEst = 300
	staffPerEst    = 99 // 98 in the last establishment, for the admin
	ownersPerClass = 8  // teachers owning each class (ENTAuxEnsClasses)
	bindUsers      = 200
)

// population is the generated directory, in creation order.
type population struct {
	ests    []*directory.Establishment
	people  []*directory.Person
	groups  []*directory.Group
	members []directory.Membership
	classes []classRef
	// passwords of the bind users and of the admin, by login; every other
	// account gets one shared hash of a password nobody knows.
	passwords map[string]string
	bindUsers []string // logins of the bind users
	admin     *directory.Person
}

// classRef names a class as LDAP sees it: cn=<code>,ou=groups,ou=<uai>,<base>.
type classRef struct{ uai, code string }

func (c classRef) dn(base string) string {
	return "cn=" + c.code + ",ou=groups,ou=" + c.uai + "," + base
}

var estNames = []string{"Jean Moulin", "Victor Hugo", "Marie Curie", "Jules Ferry", "Louise Michel",
	"Simone Veil", "Jean Jaurès", "Albert Camus", "Olympe de Gouges", "Paul Éluard"}

// generate builds the deployment from seed; the same seed gives the same
// people, logins, classes and passwords.
func generate(seed uint64, schoolYear int) *population {
	r := rand.New(rand.NewPCG(seed, 0x5052c9a0))
	p := &population{passwords: map[string]string{}}
	used := map[string]bool{}
	login := func(given, family string) string {
		l := slug(given) + "." + slug(family)
		for n := 2; used[l]; n++ {
			l = fmt.Sprintf("%s.%s%d", slug(given), slug(family), n)
		}
		used[l] = true
		return l
	}
	person := func(est []string, domain string, prof core.Profile) *directory.Person {
		given, family := givenNames[r.IntN(len(givenNames))], familyNames[r.IntN(len(familyNames))]
		pp := &directory.Person{ID: uuid(r), GivenName: given, FamilyName: displayFamily(family), Profile: prof,
			State: directory.Active, Establishments: est, ExternalIDs: map[string]string{}}
		pp.Login = login(given, family)
		pp.Mail = pp.Login + "@" + domain
		p.people = append(p.people, pp)
		return pp
	}
	for i := range establishments {
		college := i < establishments/2
		// levels: the level of a class, then its code prefix ("6e" → 6A…6P,
		// "2nde" → 2NDE01…2NDE22).
		typ, prefix, levels := directory.Lycee, "Lycée ", [][2]string{{"2nde", "2NDE"}, {"1re", "1G"}, {"Tle", "TG"}}
		if college {
			typ, prefix = directory.College, "Collège "
			levels = [][2]string{{"6e", "6"}, {"5e", "5"}, {"4e", "4"}, {"3e", "3"}}
		}
		e := &directory.Establishment{ID: uuid(r), UAI: core.MakeUAI(fmt.Sprintf("07510%02d", i+1)), Type: typ,
			Name: prefix + estNames[i], Academie: "Paris",
			Domains: []string{slug(strings.ReplaceAll(estNames[i], " ", "-")) + ".ac-bench.fr"}}
		p.ests = append(p.ests, e)
		ests, domain := []string{e.ID}, e.Domains[0]
		var classes []*directory.Group
		for c := range classesPerEst {
			l := c * len(levels) / classesPerEst
			n := c - firstOfLevel(l, len(levels), classesPerEst)
			code := fmt.Sprintf("%s%c", levels[l][1], 'A'+n)
			if !college {
				code = fmt.Sprintf("%s%02d", levels[l][1], n+1)
			}
			g := &directory.Group{ID: uuid(r), Establishment: e.ID, Code: code, Name: "Classe " + code,
				Kind: directory.Class, SchoolYear: schoolYear, Level: levels[l][0]}
			classes = append(classes, g)
			p.groups = append(p.groups, g)
			p.classes = append(p.classes, classRef{uai: e.UAI, code: code})
		}
		for _, g := range classes {
			for range classSize {
				pp := person(ests, "eleves."+domain, core.ProfilePupil)
				pp.ExternalIDs["ine"] = fmt.Sprintf("%09d%c%c", r.IntN(1e9), 'A'+r.IntN(26), 'A'+r.IntN(26))
				pp.ExternalIDs["siecle_eleve_id"] = fmt.Sprint(100000 + len(p.people))
				p.members = append(p.members, directory.Membership{GroupID: g.ID, PersonID: pp.ID, Role: directory.RoleMember})
			}
		}
		var teachers []*directory.Person
		for range teachersPerEst {
			pp := person(ests, domain, core.ProfileTeacher)
			pp.ExternalIDs["sts_id"] = fmt.Sprint(500000 + len(p.people))
			teachers = append(teachers, pp)
		}
		for c, g := range classes {
			for k := range ownersPerClass {
				t := teachers[(c*ownersPerClass+k)%len(teachers)]
				p.members = append(p.members, directory.Membership{GroupID: g.ID, PersonID: t.ID, Role: directory.RoleOwner})
			}
		}
		vs := &directory.Group{ID: uuid(r), Establishment: e.ID, Code: "VIE-SCOLAIRE", Name: "Vie scolaire",
			Kind: directory.Staff}
		p.groups = append(p.groups, vs)
		nStaff := staffPerEst
		if i == establishments-1 {
			nStaff--
		}
		for range nStaff {
			pp := person(ests, domain, core.ProfileStaff)
			p.members = append(p.members, directory.Membership{GroupID: vs.ID, PersonID: pp.ID, Role: directory.RoleMember})
		}
		person(ests, domain, core.ProfileHead)
	}
	all := make([]string, len(p.ests))
	for i, e := range p.ests {
		all[i] = e.ID
	}
	p.admin = &directory.Person{ID: uuid(r), Login: "bench-reader", GivenName: "Lecteur", FamilyName: "Banc d'essai",
		Profile: core.ProfileAdmin, State: directory.Active, Service: true, Establishments: all,
		Mail: "bench-reader@" + p.ests[0].Domains[0]}
	used[p.admin.Login] = true
	p.people = append(p.people, p.admin)
	p.passwords[p.admin.Login] = password(r)
	// The bind users: every 100th person, so pupils, teachers and staff of
	// every establishment.
	for i := 0; len(p.bindUsers) < bindUsers; i += len(p.people) / bindUsers {
		l := p.people[i].Login
		p.bindUsers = append(p.bindUsers, l)
		p.passwords[l] = password(r)
	}
	p.validate()
	return p
}

// validate checks and completes (display names, states) what generate
// made, as the directory service does before it stores anything.
func (p *population) validate() {
	for _, e := range p.ests {
		must(e.Validate())
	}
	for _, pp := range p.people {
		must(pp.Validate())
	}
	for _, g := range p.groups {
		must(g.Validate())
	}
}

func must(err error) {
	if err != nil {
		panic("bench/ldap: generated an invalid directory: " + err.Error())
	}
}

// firstOfLevel returns the index of the first class of level l when n
// classes are spread over levels levels.
func firstOfLevel(l, levels, n int) int {
	for c := range n {
		if c*levels/n == l {
			return c
		}
	}
	return 0
}

// uuid returns a random-looking, seed-determined UUID (version 4 form).
func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(3<<62) | 2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// password returns a 16-letter password.
func password(r *rand.Rand) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
