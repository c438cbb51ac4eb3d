// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Figures are the dashboard's figures of one establishment over a period
// (MCO-SEI-5, -6). They are aggregates by construction: no field can hold
// a person (MCO-SEI-8), and the CSV export writes exactly these fields.
type Figures struct {
	Establishment string // ID ("" for the deployment's own services)
	UAI, Name     string

	Services     []ServiceAvailability
	Availability float64 // over every check of the establishment; -1 without any check
	TargetsDown  int
	Targets      int

	IncidentsOpen   int
	Incidents       int           // opened in the period
	MeanRestore     time.Duration // of those resolved in the period
	RestoreBreached int           // resolved later than their objective, or still open beyond it

	Requests      int // filed in the period
	RequestsOpen  int
	MeanDelay     time.Duration // filing to resolution, of those resolved
	ByCategory    map[Category]int
	AccountsTotal int // filled by the caller from the directory's counts

	Internet *InternetUse // filled by the caller from the filter's daily counts; nil: not counted
}

// InternetUse counts the decisions of the filtering proxy and DNS over a
// period: requests let through, requests blocked, bytes carried.
type InternetUse struct {
	Allowed, Blocked, Bytes int64
}

// Mbps is the mean bandwidth of u over period, in megabits per second.
func (u InternetUse) Mbps(period time.Duration) float64 {
	if period <= 0 {
		return 0
	}
	return float64(u.Bytes) * 8 / period.Seconds() / 1e6
}

// ServiceAvailability is one service's share of successful checks.
type ServiceAvailability struct {
	Service      string
	Checks       int64
	Availability float64
}

// Aggregate computes the figures of each establishment from the targets,
// their samples, the incidents and the request counts of a period. Each
// input is one grouped read of the store: the cost is linear in their size.
func Aggregate(ests []string, targets []*Target, samples []Sample, incidents []*Incident, reqs []RequestCount, now time.Time) []Figures {
	idx := map[string]int{}
	out := make([]Figures, len(ests))
	for i, e := range ests {
		idx[e] = i
		out[i] = Figures{Establishment: e, Availability: -1, ByCategory: map[Category]int{}}
	}
	targetOf := map[string]*Target{}
	for _, t := range targets {
		i, ok := idx[t.Establishment]
		if !ok {
			continue
		}
		targetOf[t.ID] = t
		out[i].Targets++
		if t.State == Down {
			out[i].TargetsDown++
		}
	}
	type acc struct{ checks, fails int64 }
	per := make([]map[string]*acc, len(out))
	for _, s := range samples {
		t := targetOf[s.TargetID]
		if t == nil {
			continue
		}
		i := idx[t.Establishment]
		if per[i] == nil {
			per[i] = map[string]*acc{}
		}
		svc := t.Service
		if svc == "" {
			svc = string(t.Kind)
		}
		a := per[i][svc]
		if a == nil {
			a = &acc{}
			per[i][svc] = a
		}
		a.checks += s.Checks
		a.fails += s.Failures
	}
	for i, m := range per {
		var all acc
		for svc, a := range m {
			out[i].Services = append(out[i].Services, ServiceAvailability{Service: svc, Checks: a.checks,
				Availability: float64(a.checks-a.fails) / float64(max(a.checks, 1))})
			all.checks += a.checks
			all.fails += a.fails
		}
		slices.SortFunc(out[i].Services, func(a, b ServiceAvailability) int { return strings.Compare(a.Service, b.Service) })
		if all.checks > 0 {
			out[i].Availability = float64(all.checks-all.fails) / float64(all.checks)
		}
	}
	restored := make([]int, len(out))
	for _, inc := range incidents {
		i, ok := idx[inc.Establishment]
		if !ok {
			continue
		}
		f := &out[i]
		f.Incidents++
		if inc.State != Resolved {
			f.IncidentsOpen++
		} else {
			f.MeanRestore += inc.TimeToRestore(now)
			restored[i]++
		}
		if inc.Breached(now) {
			f.RestoreBreached++
		}
	}
	resolved := make([]int, len(out))
	for _, c := range reqs {
		i, ok := idx[c.Establishment]
		if !ok {
			continue
		}
		f := &out[i]
		f.Requests += c.N
		f.ByCategory[c.Category] += c.N
		if c.State != ReqResolved {
			f.RequestsOpen += c.N
		}
		f.MeanDelay += c.DelaySum
		resolved[i] += c.ResolvedN
	}
	for i := range out {
		if restored[i] > 0 {
			out[i].MeanRestore /= time.Duration(restored[i])
		}
		if resolved[i] > 0 {
			out[i].MeanDelay /= time.Duration(resolved[i])
		}
	}
	return out
}

// Total sums figures into one line (an académie's or a collectivité's
// view): availabilities are weighted by their checks.
func Total(fs []Figures) Figures {
	t := Figures{Availability: -1, ByCategory: map[Category]int{}}
	svc := map[string]*ServiceAvailability{}
	var checks, ok float64
	var restoreN, delayN int
	for _, f := range fs {
		t.Targets += f.Targets
		t.TargetsDown += f.TargetsDown
		t.IncidentsOpen += f.IncidentsOpen
		t.Incidents += f.Incidents
		t.RestoreBreached += f.RestoreBreached
		t.Requests += f.Requests
		t.RequestsOpen += f.RequestsOpen
		t.AccountsTotal += f.AccountsTotal
		if f.Internet != nil {
			if t.Internet == nil {
				t.Internet = &InternetUse{}
			}
			t.Internet.Allowed += f.Internet.Allowed
			t.Internet.Blocked += f.Internet.Blocked
			t.Internet.Bytes += f.Internet.Bytes
		}
		for c, n := range f.ByCategory {
			t.ByCategory[c] += n
		}
		if f.MeanRestore > 0 {
			t.MeanRestore += f.MeanRestore
			restoreN++
		}
		if f.MeanDelay > 0 {
			t.MeanDelay += f.MeanDelay
			delayN++
		}
		for _, s := range f.Services {
			a := svc[s.Service]
			if a == nil {
				a = &ServiceAvailability{Service: s.Service}
				svc[s.Service] = a
			}
			a.Availability = (a.Availability*float64(a.Checks) + s.Availability*float64(s.Checks)) / float64(max(a.Checks+s.Checks, 1))
			a.Checks += s.Checks
			checks += float64(s.Checks)
			ok += s.Availability * float64(s.Checks)
		}
	}
	if restoreN > 0 {
		t.MeanRestore /= time.Duration(restoreN)
	}
	if delayN > 0 {
		t.MeanDelay /= time.Duration(delayN)
	}
	if checks > 0 {
		t.Availability = ok / checks
	}
	for _, a := range svc {
		t.Services = append(t.Services, *a)
	}
	slices.SortFunc(t.Services, func(a, b ServiceAvailability) int { return strings.Compare(a.Service, b.Service) })
	return t
}

// Span writes a duration as "2 h 05 min", "12 min", "< 1 min", or "—"
// for zero (read the same in French and English).
func Span(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return "< 1 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// RestoreText is the mean time to restore, written with Span.
func (f Figures) RestoreText() string { return Span(f.MeanRestore) }

// DelayText is the mean delay of requests, written with Span.
func (f Figures) DelayText() string { return Span(f.MeanDelay) }

// Percent is the availability as a percentage with two decimals, or "—"
// without any check.
func (f Figures) Percent() string {
	if f.Availability < 0 {
		return "—"
	}
	return strconv.FormatFloat(f.Availability*100, 'f', 2, 64) + " %"
}
