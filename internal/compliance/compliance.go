// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package compliance is the live CARINE compliance report: for each of the
// 183 requirements of the catalogue (163 numbered, 20 narrative) it says
// whether the deployment meets it (met, partly, not-met) or that it is
// organisational, with evidence read from the live deployment: password
// policies, accounts still to change their password, the journal's chain,
// network zones and trusted proxies, TLS and LDAP settings, strong
// authentication, SSO applications, picture login, directory imports, the
// charters each establishment published and who accepted them, the rights
// the head granted, break-glass requests.
//
// It is a domain package: it does no I/O itself. [Gather] reads facts
// through the small interfaces of [Deps], which the store, the auth service
// and the app satisfy; [Assess] turns facts into a [Report] without any
// reading, so tests give it facts directly. Rendering (CSV, HTML, PDF) is in
// subpackage report, the console page in complianceweb.
//
// A requirement without a rule gets the default of its tag: [X] and [S]
// are organisational, [P] is not met because its service is not in this
// version. When a service lands, give its requirements rules in
// rules_*.go, reading new facts through a new small interface in Deps;
// TestAgreesWithCoverageMatrix keeps the report and docs/carine.md in step.
//
// The catalogue (catalogue.json) is generated from the spec's
// requirements.md by gen/main.go:
//
//	go generate ./internal/compliance
package compliance

//go:generate go run ./gen -out catalogue.json

import (
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/directory"
)

// Status is the state of one requirement.
type Status string

// Statuses, in the order reports list them.
const (
	Met            Status = "met"
	Partly         Status = "partly"
	NotMet         Status = "not-met"
	Organisational Status = "organisational"
)

// Statuses lists every status.
var Statuses = []Status{Met, Partly, NotMet, Organisational}

// Label returns the status in lang ("fr" or "en").
func (s Status) Label(lang string) string {
	fr := map[Status]string{Met: "conforme", Partly: "partiel", NotMet: "non conforme", Organisational: "organisationnel"}
	if lang == "en" {
		return map[Status]string{Met: "met", Partly: "partly met", NotMet: "not met", Organisational: "organisational"}[s]
	}
	return fr[s]
}

// Text is a sentence in French and English.
type Text struct{ FR, EN string }

// T returns a Text.
func T(fr, en string) Text { return Text{FR: fr, EN: en} }

// In returns the text in lang: English for "en", else French.
func (t Text) In(lang string) string {
	if lang == "en" {
		return t.EN
	}
	return t.FR
}

// join joins texts with a space, each language on its own.
func join(ts ...Text) Text {
	var fr, en []string
	for _, t := range ts {
		if t.FR != "" {
			fr, en = append(fr, t.FR), append(en, t.EN)
		}
	}
	return Text{FR: strings.Join(fr, " "), EN: strings.Join(en, " ")}
}

// Result is the assessment of one requirement.
type Result struct {
	Requirement
	Status   Status
	Evidence Text
}

// Totals counts results per status.
type Totals struct {
	Service        Service
	Met            int
	Partly         int
	NotMet         int
	Organisational int
}

// Total is the number of results counted.
func (t Totals) Total() int { return t.Met + t.Partly + t.NotMet + t.Organisational }

// Count returns the number of results with status s.
func (t Totals) Count(s Status) int {
	switch s {
	case Met:
		return t.Met
	case Partly:
		return t.Partly
	case NotMet:
		return t.NotMet
	}
	return t.Organisational
}

// Score is the share of the service's assessable requirements (all but the
// organisational ones) that are met, a partly met one counting half, in
// percent; -1 when every requirement is organisational.
func (t Totals) Score() int {
	n := t.Met + t.Partly + t.NotMet
	if n == 0 {
		return -1
	}
	return (200*t.Met + 100*t.Partly + n) / (2 * n)
}

func (t *Totals) add(s Status) {
	switch s {
	case Met:
		t.Met++
	case Partly:
		t.Partly++
	case NotMet:
		t.NotMet++
	default:
		t.Organisational++
	}
}

// Report is the compliance report of some establishments (or of the whole
// deployment).
type Report struct {
	GeneratedAt    time.Time
	Version        string
	Establishments []*directory.Establishment
	Results        []Result
	Services       []Totals // one per service, in catalogue order
	Overall        Totals
}

// Result returns the result of requirement id, and whether it exists.
func (r *Report) Result(id string) (Result, bool) {
	i := slices.IndexFunc(r.Results, func(x Result) bool { return x.ID == id })
	if i < 0 {
		return Result{}, false
	}
	return r.Results[i], true
}

// Filter returns the results of service (all when "") with status (all
// when "").
func (r *Report) Filter(service string, status Status) []Result {
	var out []Result
	for _, x := range r.Results {
		if (service == "" || x.Service == service) && (status == "" || x.Status == status) {
			out = append(out, x)
		}
	}
	return out
}

// Scope names the establishments of the report in one line.
func (r *Report) Scope(lang string) string {
	if len(r.Establishments) == 0 {
		return T("aucun établissement", "no establishment").In(lang)
	}
	var names []string
	for _, e := range r.Establishments {
		names = append(names, e.Name+" ("+e.UAI+")")
	}
	return strings.Join(names, ", ")
}

func totals(results []Result) ([]Totals, Totals) {
	var all Totals
	var out []Totals
	for _, s := range Services() {
		t := Totals{Service: s}
		for _, x := range results {
			if x.Service == s.Code {
				t.add(x.Status)
				all.add(x.Status)
			}
		}
		out = append(out, t)
	}
	return out, all
}
