// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
)

// rule assesses one requirement from the facts.
type rule func(f *Facts, q Requirement) (Status, Text)

// rules maps a requirement ID to its assessment; requirements without a
// rule get the default of their tag (see fallback).
var rules = merge(directoryRules, authRules, infraRules, serviceRules, documentRules, rightsRules, backupRules, logRules, monitorRules, filterRules)

func merge(ms ...map[string]rule) map[string]rule {
	out := map[string]rule{}
	for _, m := range ms {
		for id, r := range m {
			if out[id] != nil {
				panic("compliance: two rules for " + id)
			}
			out[id] = r
		}
	}
	return out
}

// Assess turns facts into the report: one result per requirement of the
// catalogue, in catalogue order, and the totals per service.
func Assess(f *Facts) *Report {
	rep := &Report{GeneratedAt: f.Now, Version: f.Version, Establishments: f.Establishments}
	for _, q := range catalogue() {
		r := rules[q.ID]
		if r == nil {
			r = fallback
		}
		st, ev := r(f, q)
		rep.Results = append(rep.Results, Result{Requirement: q, Status: st, Evidence: ev})
	}
	rep.Services, rep.Overall = totals(rep.Results)
	return rep
}

// fallback is the assessment of a requirement without a rule: an [X] one
// is outside software, an [S] one organisational without support yet, and
// a [P] one belongs to a service this version does not have.
func fallback(f *Facts, q Requirement) (Status, Text) {
	switch q.Tag {
	case "X":
		return Organisational, T("Hors logiciel (matériel, câblage, achats ou droit) : relève de l’organisation de l’établissement et de la collectivité.",
			"Outside software (hardware, cabling, procurement or law): up to the establishment’s and the local authority’s organisation.")
	case "S":
		return Organisational, T("Exigence organisationnelle (charte, CGU, politique de sécurité) : ni la charte type ni un réglage de Préau ne la traitent encore ; l’établissement peut l’écrire dans sa charte, sa politique de sécurité ou ses CGU, que Préau publie et fait accepter.",
			"Organisational requirement (charter, terms of use, security policy): neither the model charter nor a setting of Préau covers it yet; the establishment can write it into its charter, security policy or terms of use, which Préau publishes and has accepted.")
	}
	return NotMet, unavailable(q.Service)
}

// noEstablishment is the evidence of a per-establishment fact when the
// report covers none.
var noEstablishment = T("Aucun établissement dans le périmètre du rapport.", "No establishment in the report’s scope.")

// unavailable says that a service is not in this version.
func unavailable(service string) Text {
	s, _ := ServiceByCode(service)
	return T(fmt.Sprintf("Service « %s » non disponible dans cette version.", s.Name.FR),
		fmt.Sprintf("Service “%s” not available in this version.", s.Name.EN))
}

// fixed returns a rule with a constant outcome.
func fixed(st Status, fr, en string) rule {
	return func(*Facts, Requirement) (Status, Text) { return st, T(fr, en) }
}

// notYet is a [P] requirement whose service is missing, with what exists
// already.
func notYet(fr, en string) rule {
	return func(_ *Facts, q Requirement) (Status, Text) { return NotMet, join(unavailable(q.Service), T(fr, en)) }
}

// Floor is the weakest password policy the report accepts for INF-AUT-6:
// the defaults of package policy for pupils (8 characters of 2 kinds) and,
// for adults, 12 characters of 3 kinds, after ANSSI's recommendations on
// passwords; both refuse common passwords.
func Floor(p core.Profile) policy.Policy {
	if p == core.ProfilePupil {
		return policy.Policy{MinLength: 8, MinClasses: 2, RejectCommon: true}
	}
	return policy.Policy{MinLength: 12, MinClasses: 3, RejectCommon: true}
}

// weakPolicies lists the policies in force in the scope that fall below
// the Floor, described in both languages.
func weakPolicies(f *Facts) []Text {
	var out []Text
	seen := map[string]bool{}
	ests := []string{""}
	for _, e := range f.Establishments {
		ests = append(ests, e.ID)
	}
	for _, id := range ests {
		for _, pr := range core.Profiles {
			p, fl := f.Policies.For(id, pr), Floor(pr)
			if p.MinLength >= fl.MinLength && p.MinClasses >= fl.MinClasses && (p.RejectCommon || !fl.RejectCommon) {
				continue
			}
			d := describePolicy(pr, p)
			if seen[d.EN] {
				continue
			}
			seen[d.EN] = true
			out = append(out, d)
		}
	}
	return out
}

var profileNames = map[core.Profile]Text{
	core.ProfilePupil: T("élèves", "pupils"), core.ProfileTeacher: T("enseignants", "teachers"),
	core.ProfileStaff: T("personnels", "staff"), core.ProfileHead: T("direction", "heads"),
	core.ProfileAdmin: T("administrateurs", "administrators"),
}

func describePolicy(pr core.Profile, p policy.Policy) Text {
	n := profileNames[pr]
	t := T(fmt.Sprintf("%s %d caractères, %d types", n.FR, p.MinLength, p.MinClasses),
		fmt.Sprintf("%s %d characters, %d kinds", n.EN, p.MinLength, p.MinClasses))
	if !p.RejectCommon {
		t.FR += ", mots de passe courants acceptés"
		t.EN += ", common passwords accepted"
	}
	return t
}

// list joins texts with "; ".
func list(ts []Text) Text {
	var fr, en []string
	for _, t := range ts {
		fr, en = append(fr, t.FR), append(en, t.EN)
	}
	return Text{FR: strings.Join(fr, " ; "), EN: strings.Join(en, "; ")}
}

// day formats a date for evidence.
func day(t time.Time) Text {
	if t.IsZero() {
		return T("jamais", "never")
	}
	return T(t.UTC().Format("02/01/2006 15:04 UTC"), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// sumAccounts adds the counts of every establishment in scope.
func sumAccounts(f *Facts) AccountCounts {
	var s AccountCounts
	for _, e := range f.Establishments {
		c := f.Accounts[e.ID]
		s.People += c.People
		s.Service += c.Service
		s.MustChange += c.MustChange
		s.Heads += c.Heads
		s.Admins += c.Admins
		s.PictureClasses += c.PictureClasses
	}
	return s
}

// withZone returns the UAIs of the establishments in scope that define
// one of the zones names, and of those that do not.
func withZone(f *Facts, names ...string) (with, without []string) {
	for _, e := range f.Establishments {
		if slices.ContainsFunc(f.Zones[e.ID], func(z string) bool { return slices.Contains(names, z) }) {
			with = append(with, e.UAI)
		} else {
			without = append(without, e.UAI)
		}
	}
	return with, without
}

// zoneRule is met partly when every establishment in scope defines one of
// the zones names (the rest of the requirement needs a missing service),
// and not met otherwise.
func zoneRule(names []string, ok, missing Text) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		with, without := withZone(f, names...)
		z := strings.Join(names, ", ")
		if len(f.Establishments) == 0 {
			return NotMet, join(noEstablishment, missing)
		}
		if len(without) > 0 {
			return NotMet, join(T(fmt.Sprintf("Aucune zone réseau %s définie pour : %s.", z, strings.Join(without, ", ")),
				fmt.Sprintf("No %s network zone defined for: %s.", z, strings.Join(without, ", "))), missing)
		}
		return Partly, join(T(fmt.Sprintf("Zone réseau %s définie pour %s.", z, strings.Join(with, ", ")),
			fmt.Sprintf("Network zone %s defined for %s.", z, strings.Join(with, ", "))), proxies(f), ok)
	}
}
