// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
)

// Deployment-wide constants of the demo.
const (
	// Academie is the académie of every demo establishment: clearly not a real one.
	Academie = "Académie de Démo"
	// City is the fictional commune of every demo establishment.
	City = "Saint-Préau-les-Démos"
	// AdminLogin is the login of the technical admin.
	AdminLogin = "admin"
	// BaseDomain is the parent of every demo mail domain; .test is reserved
	// (RFC 2606) so that no demo address can ever reach a real mailbox.
	BaseDomain = "demo.preau.test"
)

// generator holds the state shared by every establishment of one run.
type generator struct {
	seed   int64
	names  *nameBank
	logins *logins
	pw     *rand.Rand // passwords and picture sequences, in People order
	ids    struct{ siecle, be1d, ine, sts, aaf int }
}

// Generate returns the demo deployment for seed. now only decides the
// school year (core.SchoolYear); the people and groups depend on seed alone,
// so the same seed and school year always give the same deployment. It does
// no I/O. The order is fixed: collège, lycée, école.
func Generate(seed int64, now time.Time) *Deployment {
	g := &generator{
		seed:   seed,
		names:  loadNames(),
		logins: newLogins(AdminLogin),
		pw:     newRand(seed, "passwords"),
	}
	d := &Deployment{SchoolYear: core.SchoolYear(now)}
	d.Admin = g.admin()
	d.Establishments = []Establishment{g.college(), g.lycee(), g.ecole()}
	return d
}

// newRand returns a PCG generator for one named stream of seed, so that
// each part of the deployment draws from its own sequence and a change in
// one part does not reshuffle the others.
func newRand(seed int64, stream string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// admin returns the technical admin: login "admin", ready to use.
func (g *generator) admin() Person {
	n := g.names.draw(newRand(g.seed, "admin"), true)
	return Person{
		Key:        "admin",
		Login:      AdminLogin,
		GivenName:  n.given,
		FamilyName: n.family,
		Profile:    core.ProfileAdmin,
		Function:   agree(n.g, "Administrateur technique", "Administratrice technique"),
		Password:   password(g.pw, nameWords(AdminLogin, n.givenSlug, n.familySlug)),
		Mail:       AdminLogin + "@" + BaseDomain,
	}
}

// externalIDs returns synthetic, well-formed join keys for a new person of
// an establishment of type typ. Numbers are unique in the deployment and
// obviously fake (INE "0000000001X", as formats.md §2 advises).
func (g *generator) externalIDs(typ string, p core.Profile) map[string]string {
	switch {
	case p == core.ProfilePupil && typ == TypeEcole:
		g.ids.be1d++
		g.ids.ine++
		return map[string]string{
			"be1d_id": strconv.Itoa(500000 + g.ids.be1d),
			"ine":     fmt.Sprintf("%010dX", g.ids.ine),
		}
	case p == core.ProfilePupil:
		g.ids.siecle++
		g.ids.ine++
		return map[string]string{
			"siecle_eleve_id": strconv.Itoa(900000 + g.ids.siecle),
			"ine":             fmt.Sprintf("%010dX", g.ids.ine),
		}
	case typ == TypeEcole:
		g.ids.aaf++
		return map[string]string{"aaf_jointure": "MENESR$" + strconv.Itoa(800000+g.ids.aaf)}
	default:
		g.ids.sts++
		return map[string]string{"sts_id": strconv.Itoa(7000 + g.ids.sts)}
	}
}
