// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
)

// Layer names where a decision came from, in evaluation order (INF-SEC-5:
// the national layer first, then the local ones).
type Layer string

// Layers.
const (
	LayerNational   Layer = "national"   // locked national block: no local rule lifts it
	LayerContext    Layer = "context"    // exam / allow-list-only mode for a class, group or room
	LayerDelegation Layer = "delegation" // a teacher opened or closed a site or category
	LayerGroup      Layer = "group"      // rules of a class, teaching group or discipline
	LayerSchedule   Layer = "schedule"   // the profile's time-of-day rules
	LayerProfile    Layer = "profile"    // the establishment's profile for this kind of user
	LayerDefault    Layer = "default"    // nothing matched
	LayerAuth       Layer = "auth"       // no identity: no internet (INF-AUT-1)
)

// Settings are an establishment's filter settings, edited by authorised
// people in the console and stored (journaled) as one document.
type Settings struct {
	TimeZone  string            `json:"time_zone,omitempty"` // default Europe/Paris
	Profiles  []ProfileSettings `json:"profiles"`
	Schedules []Schedule        `json:"schedules,omitempty"`
	Holidays  []Holiday         `json:"holidays,omitempty"`
	Groups    []GroupRule       `json:"groups,omitempty"`
	// Zones gives the profile of requests without an identity (DNS
	// clients, kiosks) by network zone; the default is "pupil".
	Zones map[string]string `json:"zones,omitempty"`
	// Captive sends a plain-HTTP request that carries no proxy credentials,
	// from an address no portal login has bound, to the portal's login page
	// (a captive portal) instead of answering 407 (proxy authentication);
	// CaptiveZones does so for these network zones only (rooms of shared
	// or unmanaged devices). CONNECT always gets 407: no page can be shown
	// inside TLS. INF-AUT-1.
	Captive      bool     `json:"captive,omitempty"`
	CaptiveZones []string `json:"captive_zones,omitempty"`
}

// ProfileSettings is what one kind of user may reach.
type ProfileSettings struct {
	Name            string         `json:"name"`    // "pupil", "adult", or an establishment's own
	Applies         []core.Profile `json:"applies"` // directory profiles it applies to
	BlockCategories []string       `json:"block_categories"`
	AllowCategories []string       `json:"allow_categories,omitempty"` // white lists that win over blocks
	AllowSites      []string       `json:"allow_sites,omitempty"`
	BlockSites      []string       `json:"block_sites,omitempty"`
	Expressions     []string       `json:"expressions,omitempty"` // categories whose (opt-in) expressions apply
	SafeSearch      bool           `json:"safe_search"`
	// Intercept decrypts the HTTPS of this profile's requests at the proxy
	// (TLS interception with Préau's interception CA, which the managed
	// devices must trust): URL rules then apply to HTTPS and blocked pages
	// show the block page. Off by default: see docs/filtering.md for its
	// privacy cost.
	Intercept bool `json:"intercept,omitempty"`
	// InterceptSkip lists categories never decrypted even with Intercept
	// (banks, health, the state's services: UT1 "bank" …); their CONNECT
	// stays a plain tunnel decided on the host.
	InterceptSkip []string `json:"intercept_skip,omitempty"`
}

// Schedule blocks more during a time window on some days.
type Schedule struct {
	Name            string   `json:"name"`
	Profile         string   `json:"profile"` // profile name; "" for every profile
	Days            []int    `json:"days"`    // 0 Sunday … 6 Saturday
	From            string   `json:"from"`    // HH:MM, local time
	To              string   `json:"to"`      // HH:MM, exclusive; may be before From (overnight)
	BlockAll        bool     `json:"block_all,omitempty"`
	BlockCategories []string `json:"block_categories,omitempty"`
	// Holidays: "" the rule holds every day it names, "except" not during
	// school holidays, "only" only during them.
	Holidays string `json:"holidays,omitempty"`
}

// Holiday is a school holiday period (zone A/B/C calendars, or the
// establishment's own days), inclusive dates.
type Holiday struct {
	Name string `json:"name"`
	From string `json:"from"` // 2006-01-02
	To   string `json:"to"`
}

// GroupRule holds the rules of a directory group (class, teaching group,
// discipline; INF-SEC-10), by group code.
type GroupRule struct {
	Group           string   `json:"group"`
	AllowSites      []string `json:"allow_sites,omitempty"`
	BlockSites      []string `json:"block_sites,omitempty"`
	AllowCategories []string `json:"allow_categories,omitempty"`
	BlockCategories []string `json:"block_categories,omitempty"`
}

// National is the locked national layer (INF-SEC-5, -7): set by the
// deployment's operators (the académie), never liftable by a local rule.
type National struct {
	Categories []string `json:"categories"`
	Sites      []string `json:"sites"`
}

// OverrideKind says what a time-bounded override is.
type OverrideKind string

// Override kinds.
const (
	KindDelegation OverrideKind = "delegation" // a teacher opens or closes a site or category (INF-SEC-6)
	KindExam       OverrideKind = "exam"       // only the listed sites, for an exam (INF-SEC-4, -5)
	KindAllowList  OverrideKind = "allowlist"  // allow-list only, for very young children
)

// Override is a delegation or a context mode, in force from From until
// Until: it reverts by itself.
type Override struct {
	ID            string
	Establishment string
	Kind          OverrideKind
	Target        string // a group code, or "zone:<name>" for a room
	Allow         bool   // delegation: open (true) or close (false)
	Site          string // delegation: a domain …
	Category      string // … or a category
	Sites         []string
	From, Until   time.Time
	AuthorID      string
	AuthorLogin   string
	Note          string
	Ended         bool // ended early by someone
}

// Active reports whether o is in force at t.
func (o *Override) Active(t time.Time) bool {
	return !o.Ended && !t.Before(o.From) && t.Before(o.Until)
}

// Pupil categories blocked out of the box (issue INF-SEC: what a French
// school expects for minors), plus doh so that browsers fall back to the
// filtered resolver.
var DefaultPupilBlock = []string{"adult", "mixed_adult", "agressif", "dangerous_material", "drogue", "gambling",
	"hacking", "malware", "phishing", "redirector", "strict_redirector", "sect", "warez", "dating", "lingerie",
	"ddos", "doh"}

// DefaultSettings is the profile a French school gets before anyone
// changes anything: pupils filtered for minors, adults protected from
// malware; white categories are never blocked.
func DefaultSettings() Settings {
	return Settings{
		TimeZone: "Europe/Paris",
		Profiles: []ProfileSettings{
			{Name: "pupil", Applies: []core.Profile{core.ProfilePupil}, BlockCategories: slices.Clone(DefaultPupilBlock),
				AllowCategories: []string{"liste_blanche"}, SafeSearch: true},
			{Name: "adult", Applies: []core.Profile{core.ProfileTeacher, core.ProfileStaff, core.ProfileHead, core.ProfileAdmin},
				BlockCategories: []string{"malware", "phishing", "cryptojacking"}, AllowCategories: []string{"liste_blanche"}},
		},
	}
}

// Validate returns every problem of s at once, naming each. lists, when
// given, checks category names (white-only categories cannot be blocked).
func (s *Settings) Validate(lists *Lists) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			bad("time zone %q is unknown", s.TimeZone)
		}
	}
	names := map[string]bool{}
	cats := func(where string, list []string, block bool) {
		for _, c := range list {
			if lists == nil {
				continue
			}
			cat, ok := lists.Category(c)
			if !ok && !defaultCategory(c) {
				bad("%s: category %q is not in the lists", where, c)
			} else if ok && block && cat.WhiteOnly() {
				bad("%s: category %q is an allow list (white) and cannot be blocked", where, c)
			}
		}
	}
	sites := func(where string, list []string) {
		for _, h := range list {
			if _, err := NormalizeHost(h); err != nil {
				bad("%s: %q is not a site name (%s)", where, h, core.MessageOf(err))
			}
		}
	}
	if len(s.Profiles) == 0 {
		bad("at least one profile is needed")
	}
	for _, p := range s.Profiles {
		w := "profile " + p.Name
		if p.Name == "" {
			bad("a profile has no name")
		}
		if names[p.Name] {
			bad("profile %q is defined twice", p.Name)
		}
		names[p.Name] = true
		for _, cp := range p.Applies {
			if !cp.Valid() {
				bad("%s: %q is not a profile", w, cp)
			}
		}
		cats(w, p.BlockCategories, true)
		cats(w, p.AllowCategories, false)
		cats(w, p.Expressions, false)
		cats(w, p.InterceptSkip, false)
		sites(w, p.AllowSites)
		sites(w, p.BlockSites)
	}
	for _, sc := range s.Schedules {
		w := "schedule " + sc.Name
		if sc.Profile != "" && !names[sc.Profile] {
			bad("%s: profile %q does not exist", w, sc.Profile)
		}
		if _, err := parseClock(sc.From); err != nil {
			bad("%s: start %q is not a time HH:MM", w, sc.From)
		}
		if _, err := parseClock(sc.To); err != nil {
			bad("%s: end %q is not a time HH:MM", w, sc.To)
		}
		for _, d := range sc.Days {
			if d < 0 || d > 6 {
				bad("%s: day %d is not 0 (Sunday) to 6 (Saturday)", w, d)
			}
		}
		switch sc.Holidays {
		case "", "except", "only":
		default:
			bad("%s: holidays must be empty, except or only, not %q", w, sc.Holidays)
		}
		cats(w, sc.BlockCategories, true)
	}
	for _, h := range s.Holidays {
		f, err1 := time.Parse(time.DateOnly, h.From)
		t, err2 := time.Parse(time.DateOnly, h.To)
		if err1 != nil || err2 != nil || t.Before(f) {
			bad("holiday %q: dates must be YYYY-MM-DD with the end not before the start", h.Name)
		}
	}
	seen := map[string]bool{}
	for _, g := range s.Groups {
		w := "group " + g.Group
		if g.Group == "" {
			bad("a group rule names no group")
		}
		if seen[g.Group] {
			bad("group %q has two rules", g.Group)
		}
		seen[g.Group] = true
		cats(w, g.BlockCategories, true)
		cats(w, g.AllowCategories, false)
		sites(w, g.AllowSites)
		sites(w, g.BlockSites)
	}
	for _, z := range s.CaptiveZones {
		if z == "" || len(z) > 100 {
			bad("captive portal: a zone name must have 1 to 100 characters")
		}
	}
	for z, p := range s.Zones {
		if !names[p] {
			bad("zone %s: profile %q does not exist", z, p)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return core.E("filter.Settings.Validate", core.Invalid, "%s", errors.Join(errs...).Error())
}

// Validate checks an override before it is stored.
func (o *Override) Validate(lists *Lists, now time.Time) error {
	const op = "filter.Override.Validate"
	if o.Target == "" {
		return core.E(op, core.Invalid, "choose the class, group or room")
	}
	if !o.Until.After(o.From) {
		return core.E(op, core.Invalid, "the end must be after the start")
	}
	if !o.Until.After(now) {
		return core.E(op, core.Invalid, "the end is already past")
	}
	if o.Until.Sub(o.From) > 366*24*time.Hour {
		return core.E(op, core.Invalid, "an override lasts at most a year")
	}
	switch o.Kind {
	case KindDelegation:
		if (o.Site == "") == (o.Category == "") {
			return core.E(op, core.Invalid, "give either a site or a category")
		}
		if o.Site != "" {
			h, err := NormalizeHost(o.Site)
			if err != nil {
				return core.E(op, core.Invalid, "%q is not a site name: %s", o.Site, core.MessageOf(err))
			}
			o.Site = h
		}
		if o.Category != "" && lists != nil {
			c, ok := lists.Category(o.Category)
			if !ok {
				return core.E(op, core.Invalid, "category %q is not in the lists", o.Category)
			}
			o.Category = c.Name
		}
	case KindExam, KindAllowList:
		for i, s := range o.Sites {
			h, err := NormalizeHost(s)
			if err != nil {
				return core.E(op, core.Invalid, "%q is not a site name: %s", s, core.MessageOf(err))
			}
			o.Sites[i] = h
		}
	default:
		return core.E(op, core.Invalid, "unknown override kind %q", o.Kind)
	}
	return nil
}

// defaultCategory reports whether the default settings name c: such a
// category may be missing from partial or local lists without making the
// settings invalid.
func defaultCategory(c string) bool {
	for _, p := range DefaultSettings().Profiles {
		if slices.Contains(p.BlockCategories, c) || slices.Contains(p.AllowCategories, c) {
			return true
		}
	}
	return false
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Request is what a decision is asked about. Host is normalised
// (NormalizeHost); Path is the path and query of a plain-HTTP request
// ("" for CONNECT and DNS), URL the whole URL (for expressions).
type Request struct {
	Establishment string
	Host          string
	Path          string
	URL           string
	Login         string
	Profile       core.Profile // "" when nobody is identified (the zone's profile applies)
	Groups        []string     // codes of the groups the user belongs to
	Zone          string
	Time          time.Time
}

// Decision is the answer, with the rule that gave it. Its strings point at
// the compiled policy: building it allocates nothing.
type Decision struct {
	Allow    bool
	Layer    Layer
	Rule     string // the rule's stable name: "national", "profile:pupil", "group:6A", "delegation:<id>" …
	Category string // the category that matched, when one did
	Site     string // the site entry that matched, when one did
	Until    time.Time
	Override *Override // the delegation or context mode that decided
}

// Action is "allow" or "block".
func (d Decision) Action() string {
	if d.Allow {
		return "allow"
	}
	return "block"
}
