// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package filter is the content filter (CARINE INF-SEC): the UT1 category
// lists and the establishment's own lists compiled into an
// allocation-free matcher, and the layered policies (national block,
// establishment profile, group rules, teacher delegation, context modes)
// that decide, for a request, whether it passes and which rule said so.
// The web proxy (proxyd) and the DNS filter (dnsd) both ask it.
package filter

import (
	"bufio"
	"bytes"
	"hash/maphash"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// MaxCategories bounds the categories one set of lists may hold (UT1 has
// about 70); a category set is a fixed-size bitmap so that a decision
// never allocates.
const MaxCategories = 128

// CatSet is a set of categories, by their index in the Lists.
type CatSet [MaxCategories / 64]uint64

// Add puts category i in the set.
func (s *CatSet) Add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether category i is in the set.
func (s CatSet) Has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Union returns s ∪ o.
func (s CatSet) Union(o CatSet) CatSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

// Inter returns s ∩ o.
func (s CatSet) Inter(o CatSet) CatSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

// Empty reports whether the set has no category.
func (s CatSet) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// First returns the lowest category index in s, or -1.
func (s CatSet) First() int {
	for i, w := range s {
		if w != 0 {
			for b := 0; b < 64; b++ {
				if w&(1<<uint(b)) != 0 {
					return i*64 + b
				}
			}
		}
	}
	return -1
}

// Category is one list of the archive (a UT1 folder) or a local list.
type Category struct {
	Name        string
	Index       int
	Black       bool              // its usage file says "black"
	White       bool              // its usage file says "white"
	DefaultType string            // DEFAULT_TYPE from global_usage ("black", "white" or "")
	Keywords    []string          // other lines of usage
	Labels      map[string]string // NAME <LANG> from global_usage, by lower-case language
	Descs       map[string]string // DESC <LANG>
	Aliases     []string          // symbolic links to this category
	Domains     int               // entries loaded
	URLs        int
	Expressions int
}

// WhiteOnly reports whether the category is meant only to allow (its usage
// says white and not black): such a category is never blocked by default.
func (c *Category) WhiteOnly() bool {
	if c.White || c.Black {
		return c.White && !c.Black
	}
	return c.DefaultType == "white"
}

// Label returns the category's name in lang ("fr", "en"), or its folder name.
func (c *Category) Label(lang string) string {
	if l := c.Labels[lang]; l != "" {
		return l
	}
	return c.Name
}

// Stats describe a load.
type Stats struct {
	Source     string
	LoadedAt   time.Time
	Duration   time.Duration
	Categories int
	Domains    int
	URLs       int
	Exprs      int
	Skipped    int      // lines refused (not a host, not a URL)
	Examples   []string // the first refused lines, with their file and line number
}

// Lists is a compiled, immutable set of category lists. Its lookups never
// allocate and are safe for concurrent use.
type Lists struct {
	cats   []Category
	byName map[string]int // names and aliases
	seed   maphash.Seed
	sets   []CatSet // interned category sets, referenced by index
	dom    table    // domain (and IPv4) fingerprints → set index
	// singleLabel says whether an entry has no dot (then a host's last
	// label is looked up too; otherwise that probe is skipped).
	singleLabel bool
	hosts       table // url-list host fingerprints → url group index
	groups      []urlGroup
	urls        []urlEntry
	exprs       []expr
	stats       Stats
}

type urlGroup struct{ start, end uint32 }

type urlEntry struct {
	path string // starts with '/'
	set  uint32
}

type expr struct {
	cat    int
	strict bool // adult/very_restrictive_expression: opt-in on top of opt-in
	re     *regexp.Regexp
}

// Categories returns the categories in index order.
func (l *Lists) Categories() []Category { return l.cats }

// Category returns a category by name or alias.
func (l *Lists) Category(name string) (*Category, bool) {
	i, ok := l.byName[name]
	if !ok {
		return nil, false
	}
	return &l.cats[i], true
}

// Index returns the index of a category by name or alias, or -1.
func (l *Lists) Index(name string) int {
	if i, ok := l.byName[name]; ok {
		return i
	}
	return -1
}

// Name returns the name of category i.
func (l *Lists) Name(i int) string {
	if i < 0 || i >= len(l.cats) {
		return ""
	}
	return l.cats[i].Name
}

// Stats returns what the load found.
func (l *Lists) Stats() Stats { return l.stats }

// Set returns the set of the named categories; unknown names are reported.
func (l *Lists) Set(names ...string) (CatSet, []string) {
	var s CatSet
	var unknown []string
	for _, n := range names {
		if i, ok := l.byName[n]; ok {
			s.Add(i)
		} else {
			unknown = append(unknown, n)
		}
	}
	return s, unknown
}

// MatchHost returns the categories listing host or one of its parent
// domains. host must be normalised (NormalizeHost). IPv4 literals match
// exactly. It does not allocate.
func (l *Lists) MatchHost(host string) CatSet {
	var out CatSet
	if l == nil || l.dom.n == 0 || host == "" {
		return out
	}
	if IsIPv4(host) {
		if v, ok := l.dom.get(l.fp(host)); ok {
			out = l.sets[v]
		}
		return out
	}
	// Fingerprint every suffix first, then touch their home slots one
	// after the other: the loads do not depend on each other, so the CPU
	// overlaps their cache misses instead of paying them in turn.
	var fps [maxProbes]uint64
	n := 0
	h := host
	done := false
	for n < maxProbes {
		i := strings.IndexByte(h, '.')
		if i < 0 && !l.singleLabel && n > 0 {
			done = true
			break
		}
		fps[n] = l.fp(h)
		n++
		if i < 0 {
			done = true
			break
		}
		h = h[i+1:]
	}
	var first [maxProbes]uint64
	t := &l.dom
	for i := 0; i < n; i++ {
		first[i] = t.keys[fps[i]&t.mask]
	}
	for i := 0; i < n; i++ {
		if first[i] == 0 {
			continue // an empty home slot: not listed
		}
		if v, ok := t.get(fps[i]); ok {
			out = out.Union(l.sets[v])
		}
	}
	for !done {
		// A very deep name: the remaining suffixes one by one.
		i := strings.IndexByte(h, '.')
		if i < 0 && !l.singleLabel {
			break
		}
		if v, ok := t.get(l.fp(h)); ok {
			out = out.Union(l.sets[v])
		}
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return out
}

// maxProbes is how many suffixes MatchHost probes together.
const maxProbes = 8

// MatchURL returns the categories whose url lists hold a prefix of the
// request, squidGuard style: host is the normalised host without its
// www/web/ftp label (NormalizeURL), path the path and query; an entry
// matches when it equals the path or stops at a segment boundary. It does
// not allocate.
func (l *Lists) MatchURL(host, path string) CatSet {
	var out CatSet
	if l == nil || l.hosts.n == 0 {
		return out
	}
	g, ok := l.hosts.get(l.fp(host))
	if !ok {
		return out
	}
	grp := l.groups[g]
	if path = strings.TrimRight(path, "/"); path == "" {
		path = "/"
	}
	for _, e := range l.urls[grp.start:grp.end] {
		if prefixOnSegment(path, e.path) {
			out = out.Union(l.sets[e.set])
		}
	}
	return out
}

// prefixOnSegment reports whether entry is a prefix of path ending at a
// segment boundary ("/dir" matches "/dir", "/dir/x", "/dir?x", not "/dirt").
func prefixOnSegment(path, entry string) bool {
	if entry == "/" {
		return true
	}
	if !strings.HasPrefix(path, entry) {
		return false
	}
	if len(path) == len(entry) || entry[len(entry)-1] == '/' {
		return true
	}
	switch path[len(entry)] {
	case '/', '?', ';', '#', '&':
		return true
	}
	return false
}

// MatchExpressions returns the categories in enabled whose expressions
// match the whole URL (opt-in: UT1 expressions have false positives).
// strict adds the very restrictive expressions.
func (l *Lists) MatchExpressions(url string, enabled CatSet, strict bool) CatSet {
	var out CatSet
	if l == nil {
		return out
	}
	for i := range l.exprs {
		e := &l.exprs[i]
		if !enabled.Has(e.cat) || e.strict && !strict || out.Has(e.cat) {
			continue
		}
		if e.re.MatchString(url) {
			out.Add(e.cat)
		}
	}
	return out
}

func (l *Lists) fp(s string) uint64 {
	h := maphash.String(l.seed, s)
	if h == 0 {
		h = 1
	}
	return h
}

// table is an open-addressing hash table of 64-bit fingerprints (0 is the
// empty slot) to uint32 values. With a random per-load seed, two names
// sharing a fingerprint has a probability of about n/2^64 per lookup:
// 5 million entries make it 3·10⁻¹³.
type table struct {
	keys []uint64
	vals []uint32
	mask uint64
	n    int
}

func newTable(capacity int) table {
	size := 16
	for size*7/10 < capacity {
		size <<= 1
	}
	return table{keys: make([]uint64, size), vals: make([]uint32, size), mask: uint64(size - 1)}
}

func (t *table) get(k uint64) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}

// slot returns the slot of k, inserting it (value 0) when absent; the
// bool says whether it was there.
func (t *table) slot(k uint64) (int, bool) {
	if (t.n+1)*10 > len(t.keys)*7 {
		t.grow()
	}
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return int(i), true
		case 0:
			t.keys[i] = k
			t.n++
			return int(i), false
		}
	}
}

func (t *table) grow() {
	old := *t
	*t = newTable(len(old.keys))
	t.keys = make([]uint64, len(old.keys)*2)
	t.vals = make([]uint32, len(old.keys)*2)
	t.mask = uint64(len(t.keys) - 1)
	for i, k := range old.keys {
		if k == 0 {
			continue
		}
		j := k & t.mask
		for t.keys[j] != 0 {
			j = (j + 1) & t.mask
		}
		t.keys[j], t.vals[j] = k, old.vals[i]
		t.n++
	}
}

// builder accumulates entries while files are read.
type builder struct {
	l       *Lists
	fps     []uint64 // domain fingerprints, in file order …
	fcat    []uint8  // … and their category
	setIdx  map[CatSet]uint32
	urlTmp  map[string][]urlTmp // host → paths
	stats   *Stats
	aliases map[string]string // alias → target
}

type urlTmp struct {
	path string
	cat  int
}

func newBuilder(sizeHint int) *builder {
	l := &Lists{byName: map[string]int{}, seed: maphash.MakeSeed()}
	b := &builder{l: l, fps: make([]uint64, 0, sizeHint), fcat: make([]uint8, 0, sizeHint), setIdx: map[CatSet]uint32{}, urlTmp: map[string][]urlTmp{}, aliases: map[string]string{}}
	b.stats = &l.stats
	b.intern(CatSet{})
	return b
}

func (b *builder) intern(s CatSet) uint32 {
	if i, ok := b.setIdx[s]; ok {
		return i
	}
	i := uint32(len(b.l.sets))
	b.l.sets = append(b.l.sets, s)
	b.setIdx[s] = i
	return i
}

// category returns the index of a category, creating it.
func (b *builder) category(name string) (int, error) {
	if i, ok := b.l.byName[name]; ok {
		return i, nil
	}
	if len(b.l.cats) == MaxCategories {
		return 0, core.E("filter.Load", core.Invalid, "more than %d categories: %q is one too many", MaxCategories, name)
	}
	i := len(b.l.cats)
	b.l.cats = append(b.l.cats, Category{Name: name, Index: i})
	b.l.byName[name] = i
	return i, nil
}

// addDomain records a domain entry; the table is built at finish, in slot
// order (see buildDomains).
func (b *builder) addDomain(cat int, host []byte) {
	k := maphash.Bytes(b.l.seed, host)
	if k == 0 {
		k = 1
	}
	if bytes.IndexByte(host, '.') < 0 {
		b.l.singleLabel = true
	}
	b.fps = append(b.fps, k)
	b.fcat = append(b.fcat, uint8(cat))
}

// buildDomains fills the domain table. Entries are first grouped by the
// high bits of their home slot (a counting sort), then inserted group by
// group: each group's slots span a few hundred kilobytes that stay in the
// CPU cache, where inserting in file order would miss it on every line.
func (b *builder) buildDomains() {
	n := len(b.fps)
	b.l.dom = newTable(n)
	t := &b.l.dom
	if n == 0 {
		return
	}
	shift := uint(0)
	for (t.mask >> shift) >= 1024 {
		shift++
	}
	nb := int(t.mask>>shift) + 1
	start := make([]int, nb+1)
	for _, k := range b.fps {
		start[int((k&t.mask)>>shift)+1]++
	}
	for i := 1; i <= nb; i++ {
		start[i] += start[i-1]
	}
	pos := slices.Clone(start[:nb])
	fps := make([]uint64, n)
	cats := make([]uint8, n)
	for i, k := range b.fps {
		j := int((k & t.mask) >> shift)
		fps[pos[j]], cats[pos[j]] = k, b.fcat[i]
		pos[j]++
	}
	b.fps, b.fcat = nil, nil
	single := make([]uint32, len(b.l.cats))
	for i := range b.l.cats {
		var s CatSet
		s.Add(i)
		single[i] = b.intern(s)
	}
	unions := map[[2]uint32]uint32{}
	for i, k := range fps {
		cat := int(cats[i])
		slot, found := t.slot(k)
		if !found {
			t.vals[slot] = single[cat]
			b.l.cats[cat].Domains++
			b.stats.Domains++
			continue
		}
		old := t.vals[slot]
		if b.l.sets[old].Has(cat) {
			continue
		}
		key := [2]uint32{old, uint32(cat)}
		u, ok := unions[key]
		if !ok {
			s := b.l.sets[old]
			s.Add(cat)
			u = b.intern(s)
			unions[key] = u
		}
		t.vals[slot] = u
		b.l.cats[cat].Domains++
		b.stats.Domains++
	}
}

func (b *builder) skip(file string, line int, text string) {
	b.stats.Skipped++
	if len(b.stats.Examples) < 5 {
		b.stats.Examples = append(b.stats.Examples, file+":"+itoa(line)+": "+clip(text, 80))
	}
}

// readDomains reads a UT1 domains file: one domain or IPv4 per line.
func (b *builder) readDomains(cat int, file string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if fastDomain(line) {
			b.addDomain(cat, line)
			continue
		}
		h, ok, err := ParseDomainLine(string(line))
		if err != nil {
			b.skip(file, n, string(line))
			continue
		}
		if ok {
			b.addDomain(cat, []byte(h))
		}
	}
	if err := sc.Err(); err != nil {
		return core.E("filter.Load", core.Invalid, "%s: unreadable after line %d: %v", file, n, err)
	}
	return nil
}

// fastDomain reports whether a line is already in normal form: lowercase
// letters, digits, '-', '_' and inner dots, ending in a letter (so not an
// IPv4 literal, which the slow path normalises).
func fastDomain(s []byte) bool {
	if len(s) == 0 || len(s) > MaxHostLen || s[0] == '.' || s[0] == '-' {
		return false
	}
	prevDot := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			prevDot = false
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
		default:
			return false
		}
	}
	last := s[len(s)-1]
	return last >= 'a' && last <= 'z'
}

// ParseDomainLine reads one line of a domains file. It returns ok=false for
// lines that hold nothing (blank, comments) and an error for lines that are
// not a host name or an address.
func ParseDomainLine(line string) (host string, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", false, nil
	}
	if strings.ContainsAny(line, " \t/") {
		return "", false, core.E("filter.ParseDomainLine", core.Invalid, "%q is not a host name", clip(line, 80))
	}
	h, err := NormalizeHost(strings.TrimLeft(line, "."))
	if err != nil {
		return "", false, err
	}
	return h, true, nil
}

// ParseURLLine reads one line of a urls file: host[/path] without scheme.
func ParseURLLine(line string) (host, path string, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", "", false, nil
	}
	if strings.ContainsAny(line, " \t") {
		return "", "", false, core.E("filter.ParseURLLine", core.Invalid, "%q is not a URL", clip(line, 80))
	}
	host, path, err = normalizeURL(line, true)
	if err != nil {
		return "", "", false, err
	}
	if path = strings.TrimRight(path, "/"); path == "" {
		path = "/"
	}
	return host, path, true, nil
}

func (b *builder) readURLs(cat int, file string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	n := 0
	for sc.Scan() {
		n++
		host, path, ok, err := ParseURLLine(sc.Text())
		if err != nil {
			b.skip(file, n, sc.Text())
			continue
		}
		if ok {
			b.urlTmp[host] = append(b.urlTmp[host], urlTmp{path: path, cat: cat})
			b.l.cats[cat].URLs++
			b.stats.URLs++
		}
	}
	if err := sc.Err(); err != nil {
		return core.E("filter.Load", core.Invalid, "%s: unreadable after line %d: %v", file, n, err)
	}
	return nil
}

func (b *builder) readExpressions(cat int, file string, strict bool, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		re, err := regexp.Compile("(?i)" + line)
		if err != nil {
			return core.E("filter.Load", core.Invalid, "%s:%d: the expression does not compile: %v", file, n, err)
		}
		b.l.exprs = append(b.l.exprs, expr{cat: cat, strict: strict, re: re})
		b.l.cats[cat].Expressions++
		b.stats.Exprs++
	}
	if err := sc.Err(); err != nil {
		return core.E("filter.Load", core.Invalid, "%s: unreadable after line %d: %v", file, n, err)
	}
	return nil
}

// readUsage reads a category's usage file (formats.md §1.3).
func (b *builder) readUsage(cat int, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, 64*1024))
	if err != nil {
		return err
	}
	c := &b.l.cats[cat]
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case line == "black":
			c.Black = true
		case line == "white":
			c.White = true
		default:
			c.Keywords = append(c.Keywords, line)
		}
	}
	return nil
}

// globalEntry is one stanza of global_usage.
type globalEntry struct {
	defType string
	labels  map[string]string
	descs   map[string]string
}

// ParseGlobalUsage reads the global_usage catalogue: blank-line separated
// stanzas of "KEY: value" lines, keyed by NAME (formats.md §1.3).
func ParseGlobalUsage(data []byte) map[string]globalEntry {
	out := map[string]globalEntry{}
	var name string
	var cur globalEntry
	flush := func() {
		if name != "" {
			out[name] = cur
		}
		name, cur = "", globalEntry{labels: map[string]string{}, descs: map[string]string{}}
	}
	flush()
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case key == "NAME":
			name = val
		case key == "DEFAULT_TYPE":
			cur.defType = strings.ToLower(val)
		case strings.HasPrefix(key, "NAME "):
			cur.labels[strings.ToLower(strings.TrimSpace(key[5:]))] = val
		case strings.HasPrefix(key, "DESC "):
			cur.descs[strings.ToLower(strings.TrimSpace(key[5:]))] = val
		}
	}
	flush()
	return out
}

// finish compiles the url lists and the aliases and returns the Lists.
func (b *builder) finish(global map[string]globalEntry) (*Lists, error) {
	l := b.l
	b.buildDomains()
	for alias, target := range b.aliases {
		i, ok := l.byName[target]
		if !ok {
			continue // a link to nothing loaded: ignore it
		}
		if _, taken := l.byName[alias]; !taken {
			l.byName[alias] = i
			l.cats[i].Aliases = append(l.cats[i].Aliases, alias)
		}
	}
	for i := range l.cats {
		sort.Strings(l.cats[i].Aliases)
		if g, ok := global[l.cats[i].Name]; ok {
			l.cats[i].DefaultType, l.cats[i].Labels, l.cats[i].Descs = g.defType, g.labels, g.descs
		}
	}
	hosts := make([]string, 0, len(b.urlTmp))
	for h := range b.urlTmp {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	l.hosts = newTable(len(hosts))
	for _, h := range hosts {
		ents := b.urlTmp[h]
		slices.SortFunc(ents, func(a, c urlTmp) int { return strings.Compare(a.path, c.path) })
		start := uint32(len(l.urls))
		for j := 0; j < len(ents); {
			var s CatSet
			k := j
			for ; k < len(ents) && ents[k].path == ents[j].path; k++ {
				s.Add(ents[k].cat)
			}
			l.urls = append(l.urls, urlEntry{path: ents[j].path, set: b.intern(s)})
			j = k
		}
		slot, _ := l.hosts.slot(l.fp(h))
		l.hosts.vals[slot] = uint32(len(l.groups))
		l.groups = append(l.groups, urlGroup{start: start, end: uint32(len(l.urls))})
	}
	b.urlTmp = nil
	l.stats.Categories = len(l.cats)
	if len(l.cats) == 0 {
		return nil, core.E("filter.Load", core.Invalid, "no category found: expected folders holding domains or urls files (UT1 layout)")
	}
	if l.stats.Domains+l.stats.URLs == 0 {
		return nil, core.E("filter.Load", core.Invalid, "the lists hold no domain and no URL")
	}
	return l, nil
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
