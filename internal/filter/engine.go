// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

// Engine decides requests against the lists and the policies in force. Its
// inputs are swapped atomically (a reload never drops a request); Decide
// is safe for concurrent use and allocates nothing.
type Engine struct {
	mu        sync.Mutex // serialises updates
	lists     *Lists
	national  National
	settings  map[string]Settings
	overrides []Override
	cur       atomic.Pointer[state]
}

type state struct {
	lists *Lists
	natC  CatSet
	natS  siteSet
	est   map[string]*compiled
	def   *compiled
}

type compiled struct {
	loc       *time.Location
	profiles  []cProfile
	byProfile map[core.Profile]int
	zones     map[string]int
	schedules []cSchedule
	holidays  [][2]int // yyyymmdd ranges
	groups    map[string]*cGroup
	overrides []cOverride // newest first
	captive   bool
	captiveZ  map[string]bool
}

type cProfile struct {
	name, rule         string
	block, allow, expr CatSet
	skip               CatSet // categories never intercepted
	allowS, blockS     siteSet
	safe, intercept    bool
}

type cSchedule struct {
	rule     string
	profile  int // -1: every profile
	days     [7]bool
	from, to int
	all      bool
	block    CatSet
	holidays string
}

type cGroup struct {
	rule           string
	allowS, blockS siteSet
	allow, block   CatSet
}

type cOverride struct {
	o      *Override
	rule   string
	zone   bool
	target string
	cat    int
	sites  siteSet
}

// siteSet holds normalised domains; an entry covers its subdomains.
type siteSet map[string]struct{}

func newSiteSet(list []string) siteSet {
	s := siteSet{}
	for _, h := range list {
		if n, err := NormalizeHost(h); err == nil {
			s[n] = struct{}{}
		}
	}
	return s
}

// match returns the entry covering host ("" and false when none).
func (s siteSet) match(host string) (string, bool) {
	if len(s) == 0 {
		return "", false
	}
	h := host
	for {
		if _, ok := s[h]; ok {
			return h, true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 || IsIPv4(host) {
			return "", false
		}
		h = h[i+1:]
	}
}

// NewEngine returns an engine with the default settings and no lists.
func NewEngine() *Engine {
	e := &Engine{settings: map[string]Settings{}}
	e.rebuild()
	return e
}

// Lists returns the lists in force.
func (e *Engine) Lists() *Lists { return e.cur.Load().lists }

// SetLists puts new lists in force.
func (e *Engine) SetLists(l *Lists) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists = l
	e.rebuild()
}

// SetNational puts the national layer in force.
func (e *Engine) SetNational(n National) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.national = n
	e.rebuild()
}

// SetSettings puts an establishment's settings in force ("" is the
// default for establishments without their own).
func (e *Engine) SetSettings(est string, s Settings) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settings[est] = s
	e.rebuild()
}

// SetOverrides replaces the delegations and context modes (every
// establishment's; ended and expired ones may be included, they are
// simply never in force).
func (e *Engine) SetOverrides(os []Override) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.overrides = slices.Clone(os)
	e.rebuild()
}

// Update replaces every input at once.
func (e *Engine) Update(l *Lists, n National, settings map[string]Settings, os []Override) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if l != nil {
		e.lists = l
	}
	e.national, e.settings, e.overrides = n, settings, slices.Clone(os)
	if e.settings == nil {
		e.settings = map[string]Settings{}
	}
	e.rebuild()
}

func (e *Engine) rebuild() {
	st := &state{lists: e.lists, est: map[string]*compiled{}}
	st.natC, _ = e.catSet(e.national.Categories, false)
	st.natS = newSiteSet(e.national.Sites)
	byEst := map[string][]*Override{}
	for i := range e.overrides {
		o := &e.overrides[i]
		byEst[o.Establishment] = append(byEst[o.Establishment], o)
	}
	def, ok := e.settings[""]
	if !ok {
		def = DefaultSettings()
	}
	st.def = e.compile(def, byEst[""])
	for est, s := range e.settings {
		if est != "" {
			st.est[est] = e.compile(s, byEst[est])
		}
	}
	for est, os := range byEst {
		if _, ok := st.est[est]; !ok && est != "" {
			st.est[est] = e.compile(def, os)
		}
	}
	e.cur.Store(st)
}

// catSet resolves names; white-only categories are dropped from block sets.
func (e *Engine) catSet(names []string, block bool) (CatSet, []string) {
	var s CatSet
	if e.lists == nil {
		return s, nil
	}
	var unknown []string
	for _, n := range names {
		c, ok := e.lists.Category(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		if block && c.WhiteOnly() {
			continue
		}
		s.Add(c.Index)
	}
	return s, unknown
}

func (e *Engine) compile(s Settings, os []*Override) *compiled {
	c := &compiled{byProfile: map[core.Profile]int{}, zones: map[string]int{}, groups: map[string]*cGroup{}}
	c.loc = time.UTC
	tz := s.TimeZone
	if tz == "" {
		tz = "Europe/Paris"
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		c.loc = loc
	}
	idx := map[string]int{}
	for _, p := range s.Profiles {
		cp := cProfile{name: p.Name, rule: "profile:" + p.Name, allowS: newSiteSet(p.AllowSites),
			blockS: newSiteSet(p.BlockSites), safe: p.SafeSearch, intercept: p.Intercept}
		cp.block, _ = e.catSet(p.BlockCategories, true)
		cp.allow, _ = e.catSet(p.AllowCategories, false)
		cp.expr, _ = e.catSet(p.Expressions, false)
		cp.skip, _ = e.catSet(p.InterceptSkip, false)
		idx[p.Name] = len(c.profiles)
		for _, a := range p.Applies {
			if _, taken := c.byProfile[a]; !taken {
				c.byProfile[a] = len(c.profiles)
			}
		}
		c.profiles = append(c.profiles, cp)
	}
	if len(c.profiles) == 0 {
		c.profiles = append(c.profiles, cProfile{name: "none", rule: "profile:none"})
	}
	c.captive, c.captiveZ = s.Captive, map[string]bool{}
	for _, z := range s.CaptiveZones {
		c.captiveZ[z] = true
	}
	for z, p := range s.Zones {
		if i, ok := idx[p]; ok {
			c.zones[z] = i
		}
	}
	for _, sc := range s.Schedules {
		cs := cSchedule{rule: "schedule:" + sc.Name, profile: -1, all: sc.BlockAll, holidays: sc.Holidays}
		if sc.Profile != "" {
			i, ok := idx[sc.Profile]
			if !ok {
				continue
			}
			cs.profile = i
		}
		for _, d := range sc.Days {
			if d >= 0 && d < 7 {
				cs.days[d] = true
			}
		}
		var err1, err2 error
		cs.from, err1 = parseClock(sc.From)
		cs.to, err2 = parseClock(sc.To)
		if err1 != nil || err2 != nil {
			continue
		}
		cs.block, _ = e.catSet(sc.BlockCategories, true)
		c.schedules = append(c.schedules, cs)
	}
	for _, h := range s.Holidays {
		f, err1 := time.Parse(time.DateOnly, h.From)
		t, err2 := time.Parse(time.DateOnly, h.To)
		if err1 == nil && err2 == nil {
			c.holidays = append(c.holidays, [2]int{ymd(f), ymd(t)})
		}
	}
	for _, g := range s.Groups {
		cg := &cGroup{rule: "group:" + g.Group, allowS: newSiteSet(g.AllowSites), blockS: newSiteSet(g.BlockSites)}
		cg.allow, _ = e.catSet(g.AllowCategories, false)
		cg.block, _ = e.catSet(g.BlockCategories, true)
		c.groups[g.Group] = cg
	}
	for _, o := range os {
		co := cOverride{o: o, rule: string(o.Kind) + ":" + o.ID, target: o.Target, cat: -1}
		if z, ok := strings.CutPrefix(o.Target, "zone:"); ok {
			co.zone, co.target = true, z
		}
		if o.Category != "" && e.lists != nil {
			co.cat = e.lists.Index(o.Category)
			if co.cat < 0 {
				continue // the category left the lists: the override cannot match
			}
		}
		if o.Site != "" {
			co.sites = newSiteSet([]string{o.Site})
		} else {
			co.sites = newSiteSet(o.Sites)
		}
		c.overrides = append(c.overrides, co)
	}
	slices.SortStableFunc(c.overrides, func(a, b cOverride) int { return b.o.From.Compare(a.o.From) })
	return c
}

func ymd(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// SafeSearch reports whether the profile of r enforces safe search.
func (e *Engine) SafeSearch(r *Request) bool {
	st := e.cur.Load()
	c := st.def
	if ce, ok := st.est[r.Establishment]; ok {
		c = ce
	}
	return c.profiles[c.profileOf(r)].safe
}

// Intercept reports whether the HTTPS of r is to be decrypted: its
// profile has TLS interception on and the host is in none of the
// categories the profile never intercepts.
func (e *Engine) Intercept(r *Request) bool {
	st := e.cur.Load()
	c := st.def
	if ce, ok := st.est[r.Establishment]; ok {
		c = ce
	}
	p := &c.profiles[c.profileOf(r)]
	if !p.intercept {
		return false
	}
	return p.skip.Empty() || st.lists.MatchHost(r.Host).Inter(p.skip).Empty()
}

// Captive reports whether a plain-HTTP request without credentials from an
// unbound address in establishment est and zone goes to the portal's login
// page (true) rather than getting 407.
func (e *Engine) Captive(est, zone string) bool {
	st := e.cur.Load()
	c := st.def
	if ce, ok := st.est[est]; ok {
		c = ce
	}
	return c.captive || zone != "" && c.captiveZ[zone]
}

func (c *compiled) profileOf(r *Request) int {
	if r.Profile != "" {
		if i, ok := c.byProfile[r.Profile]; ok {
			return i
		}
	} else if i, ok := c.zones[r.Zone]; ok {
		return i
	}
	if i, ok := c.byProfile[core.ProfilePupil]; ok {
		return i // the strictest profile for the unknown
	}
	return 0
}

func (o *cOverride) targets(r *Request) bool {
	if o.zone {
		return r.Zone != "" && r.Zone == o.target
	}
	return slices.Contains(r.Groups, o.target)
}

// Decide says whether r passes and which rule decided, evaluating the
// layers in order: national block, context mode, delegation, group rules,
// schedule, profile (INF-SEC-5, -6, -10). It allocates nothing.
func (e *Engine) Decide(r *Request) Decision {
	st := e.cur.Load()
	c := st.def
	if ce, ok := st.est[r.Establishment]; ok {
		c = ce
	}
	l := st.lists
	prof := &c.profiles[c.profileOf(r)]
	cats := l.MatchHost(r.Host)
	if r.Path != "" {
		cats = cats.Union(l.MatchURL(StripWWW(r.Host), r.Path))
		if !prof.expr.Empty() && r.URL != "" {
			cats = cats.Union(l.MatchExpressions(r.URL, prof.expr, false))
		}
	}
	catName := func(s CatSet) string { return l.Name(s.First()) }

	// 1. National block: nothing local lifts it.
	if m := cats.Inter(st.natC); !m.Empty() {
		return Decision{Layer: LayerNational, Rule: "national", Category: catName(m)}
	}
	if site, ok := st.natS.match(r.Host); ok {
		return Decision{Layer: LayerNational, Rule: "national", Site: site}
	}
	now := r.Time
	// 2. Context modes (exam, allow-list only): only the listed sites.
	for i := range c.overrides {
		o := &c.overrides[i]
		if o.o.Kind == KindDelegation || !o.o.Active(now) || !o.targets(r) {
			continue
		}
		if site, ok := o.sites.match(r.Host); ok {
			return Decision{Allow: true, Layer: LayerContext, Rule: o.rule, Site: site, Until: o.o.Until, Override: o.o}
		}
		// Another active mode for the same person may list the site.
		allowed := false
		for j := i + 1; j < len(c.overrides); j++ {
			p := &c.overrides[j]
			if p.o.Kind != KindDelegation && p.o.Active(now) && p.targets(r) {
				if _, ok := p.sites.match(r.Host); ok {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return Decision{Layer: LayerContext, Rule: o.rule, Category: catName(cats), Until: o.o.Until, Override: o.o}
		}
	}
	// 3. Delegation: the newest in force wins.
	for i := range c.overrides {
		o := &c.overrides[i]
		if o.o.Kind != KindDelegation || !o.o.Active(now) || !o.targets(r) {
			continue
		}
		if o.cat >= 0 && cats.Has(o.cat) {
			return Decision{Allow: o.o.Allow, Layer: LayerDelegation, Rule: o.rule, Category: l.Name(o.cat), Until: o.o.Until, Override: o.o}
		}
		if site, ok := o.sites.match(r.Host); ok {
			return Decision{Allow: o.o.Allow, Layer: LayerDelegation, Rule: o.rule, Site: site, Category: catName(cats), Until: o.o.Until, Override: o.o}
		}
	}
	// 4. Group rules: a block of any of the person's groups wins over an
	// allow of another.
	var allowG *cGroup
	var allowSite string
	var allowCat CatSet
	for _, code := range r.Groups {
		g, ok := c.groups[code]
		if !ok {
			continue
		}
		if site, ok := g.blockS.match(r.Host); ok {
			return Decision{Layer: LayerGroup, Rule: g.rule, Site: site, Category: catName(cats)}
		}
		if m := cats.Inter(g.block); !m.Empty() {
			if g.allow.Inter(cats).Empty() {
				return Decision{Layer: LayerGroup, Rule: g.rule, Category: catName(m)}
			}
		}
		if site, ok := g.allowS.match(r.Host); ok && allowG == nil {
			allowG, allowSite = g, site
		} else if m := cats.Inter(g.allow); !m.Empty() && allowG == nil {
			allowG, allowCat = g, m
		}
	}
	if allowG != nil {
		return Decision{Allow: true, Layer: LayerGroup, Rule: allowG.rule, Site: allowSite, Category: catName(allowCat)}
	}
	// 5. The profile's own sites.
	if site, ok := prof.allowS.match(r.Host); ok {
		return Decision{Allow: true, Layer: LayerProfile, Rule: prof.rule, Site: site, Category: catName(cats)}
	}
	if site, ok := prof.blockS.match(r.Host); ok {
		return Decision{Layer: LayerProfile, Rule: prof.rule, Site: site, Category: catName(cats)}
	}
	// 6. Schedules.
	if len(c.schedules) > 0 {
		lt := now.In(c.loc)
		minute := lt.Hour()*60 + lt.Minute()
		holiday := c.isHoliday(ymd(lt))
		pi := c.profileOf(r)
		for i := range c.schedules {
			s := &c.schedules[i]
			if s.profile >= 0 && s.profile != pi || !s.days[lt.Weekday()] {
				continue
			}
			if s.holidays == "except" && holiday || s.holidays == "only" && !holiday {
				continue
			}
			in := minute >= s.from && minute < s.to
			if s.to <= s.from {
				in = minute >= s.from || minute < s.to
			}
			if !in {
				continue
			}
			if s.all {
				return Decision{Layer: LayerSchedule, Rule: s.rule, Category: catName(cats)}
			}
			if m := cats.Inter(s.block); !m.Empty() && prof.allow.Inter(cats).Empty() {
				return Decision{Layer: LayerSchedule, Rule: s.rule, Category: catName(m)}
			}
		}
	}
	// 7. The profile's categories: white lists win over blocks.
	if m := cats.Inter(prof.allow); !m.Empty() {
		return Decision{Allow: true, Layer: LayerProfile, Rule: prof.rule, Category: catName(m)}
	}
	if m := cats.Inter(prof.block); !m.Empty() {
		return Decision{Layer: LayerProfile, Rule: prof.rule, Category: catName(m)}
	}
	return Decision{Allow: true, Layer: LayerDefault, Rule: "default", Category: catName(cats)}
}

func (c *compiled) isHoliday(d int) bool {
	for _, h := range c.holidays {
		if d >= h[0] && d <= h[1] {
			return true
		}
	}
	return false
}

// safeSearch maps the big search engines and video sites to the host
// names that enforce their safe mode (the names these services document
// for schools).
var safeSearch = map[string]string{
	"www.bing.com":                 "strict.bing.com",
	"bing.com":                     "strict.bing.com",
	"duckduckgo.com":               "safe.duckduckgo.com",
	"www.duckduckgo.com":           "safe.duckduckgo.com",
	"www.youtube.com":              "restrict.youtube.com",
	"m.youtube.com":                "restrict.youtube.com",
	"youtube.com":                  "restrict.youtube.com",
	"youtubei.googleapis.com":      "restrict.youtube.com",
	"youtube.googleapis.com":       "restrict.youtube.com",
	"www.youtube-nocookie.com":     "restrict.youtube.com",
	"www.qwant.com":                "", // Qwant has no DNS switch; Qwant Junior is the school engine
	"search.brave.com":             "",
	"forcesafesearch.google.com":   "",
	"restrict.youtube.com":         "",
	"strict.bing.com":              "",
	"safe.duckduckgo.com":          "",
	"restrictmoderate.youtube.com": "",
}

// SafeSearchHost returns the host that enforces safe search for host
// (www.google.fr → forcesafesearch.google.com), or "" when there is none.
func SafeSearchHost(host string) string {
	if t, ok := safeSearch[host]; ok {
		return t
	}
	rest, ok := strings.CutPrefix(host, "www.google.")
	if !ok {
		rest, ok = strings.CutPrefix(host, "google.")
	}
	if ok && rest != "" && len(rest) <= 6 && !strings.Contains(strings.TrimPrefix(strings.TrimPrefix(rest, "co."), "com."), ".") {
		return "forcesafesearch.google.com"
	}
	return ""
}
