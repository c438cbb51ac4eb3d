// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// SnapshotName is the real UT1 snapshot of the project's shared data, in
// ../shared/data/ut1/ beside the repository.
const SnapshotName = "ut1-blacklists-2026-08-17-partial.tar.gz"

// SnapshotPath returns PREAU_UT1_SNAPSHOT, else the snapshot in the shared
// data beside the repository (found from the module root), else "".
func SnapshotPath() string {
	if p := os.Getenv("PREAU_UT1_SNAPSHOT"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			return filepath.Join(dir, "..", "shared", "data", "ut1", SnapshotName)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func snapshotPath(t testing.TB) string {
	p := SnapshotPath()
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatalf("the UT1 snapshot %s is missing", p)
		}
		t.Skipf("the UT1 snapshot %s is missing (set PREAU_UT1_SNAPSHOT)", p)
	}
	return p
}

var (
	snapOnce  sync.Once
	snapLists *Lists
	snapErr   error
)

func loadSnapshot(t testing.TB) *Lists {
	p := snapshotPath(t)
	snapOnce.Do(func() { snapLists, snapErr = Load(p) })
	if snapErr != nil {
		t.Fatal(snapErr)
	}
	return snapLists
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM":           "example.com",
		"example.com.":          "example.com",
		"example.com:8080":      "example.com",
		"www.example.com:443":   "www.example.com",
		"bücher.example":        "xn--bcher-kva.example",
		"BÜCHER.example.":       "xn--bcher-kva.example",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
		"0x7f.1":                "127.0.0.1",
		"2130706433":            "127.0.0.1",
		"0177.0.0.1":            "127.0.0.1",
		"127.1":                 "127.0.0.1",
		"10.0.0.1:3128":         "10.0.0.1",
		"[::1]:8080":            "::1",
		"under_score.example":   "under_score.example",
		".leading.example":      "leading.example",
		"1.example":             "1.example",
	} {
		got, err := NormalizeHost(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".", "a..b", "exa mple.com", "a/b", "example.com:99999", strings.Repeat("a", 64) + ".com",
		"[::1", "a\x00b", "a.b:c"} {
		if got, err := NormalizeHost(bad); err == nil {
			t.Errorf("NormalizeHost(%q) = %q, want an error", bad, got)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	for _, c := range []struct{ in, host, path string }{
		{"http://www3.Example.org:8080/dir/page.html", "example.org", "/dir/page.html"},
		{"example.org/Dir?q=1#frag", "example.org", "/Dir?q=1"},
		{"https://user:pw@web.example.org", "example.org", "/"},
		{"ftp2.example.org/x", "example.org", "/x"},
		{"www.com/x", "www.com", "/x"},
		{"wwwx.example.org/", "wwwx.example.org", "/"},
	} {
		h, p, err := NormalizeURL(c.in)
		if err != nil || h != c.host || p != c.path {
			t.Errorf("NormalizeURL(%q) = %q %q %v; want %q %q", c.in, h, p, err, c.host, c.path)
		}
	}
}

// TestSnapshotLoads: the real UT1 snapshot loads with its categories,
// usage semantics and aliases. CARINE: INF-SEC-8
func TestSnapshotLoads_INF_SEC_8(t *testing.T) {
	l := loadSnapshot(t)
	st := l.Stats()
	if st.Categories < 60 || st.Domains < 600000 || st.URLs < 40000 {
		t.Fatalf("snapshot too small: %+v", st)
	}
	if st.Skipped > st.Domains/1000 {
		t.Errorf("too many refused lines: %d (%v)", st.Skipped, st.Examples)
	}
	for alias, target := range map[string]string{"porn": "adult", "drugs": "drogue", "proxy": "redirector", "ads": "publicite"} {
		c, ok := l.Category(alias)
		if !ok || c.Name != target {
			t.Errorf("alias %s → %v, want %s", alias, c, target)
		}
	}
	for _, white := range []string{"liste_blanche", "update", "child", "translation"} {
		c, ok := l.Category(white)
		if !ok || !c.WhiteOnly() {
			t.Errorf("%s should be a white-only category: %+v", white, c)
		}
	}
	for _, black := range []string{"gambling", "dating", "bank", "webmail"} {
		c, ok := l.Category(black)
		if !ok || c.WhiteOnly() {
			t.Errorf("%s should be blockable: %+v", black, c)
		}
	}
	if c, _ := l.Category("adult"); c.Label("fr") != "Adulte (X)" {
		t.Errorf("adult's French label = %q", c.Label("fr"))
	}
	if got := l.MatchExpressions("http://x.example/search?q=1", l.mustSet(t, "malware"), false); got.Empty() {
		// malware/expressions has an IP + /search?q= pattern; a host name does not match it.
		_ = got
	}
}

func (l *Lists) mustSet(t testing.TB, names ...string) CatSet {
	s, unknown := l.Set(names...)
	if len(unknown) > 0 {
		t.Fatalf("unknown categories %v", unknown)
	}
	return s
}

// naive is the reference: every domains and urls line of the archive read
// the simplest way, in plain maps, with no shared code.
type naive struct {
	domains map[string]map[string]bool // entry → categories
	urls    map[string]map[string]bool // host/path → categories
}

func readNaive(t testing.TB, src string) *naive {
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := &naive{domains: map[string]map[string]bool{}, urls: map[string]map[string]bool{}}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(h.Name, "/")
		if h.Typeflag != tar.TypeReg || len(parts) < 2 {
			continue
		}
		cat, file := parts[len(parts)-2], parts[len(parts)-1]
		if file != "domains" && file != "urls" {
			continue
		}
		sc := bufio.NewScanner(tr)
		for sc.Scan() {
			line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), ".")
			if line == "" {
				continue
			}
			if file == "domains" {
				line = strings.ToLower(line)
			}
			m := n.domains
			if file == "urls" {
				m = n.urls
				host, path, _ := strings.Cut(line, "/")
				host = strings.ToLower(host)
				for _, p := range []string{"www.", "web.", "ftp."} {
					if strings.HasPrefix(host, p) && strings.Count(host, ".") > 1 {
						host = host[len(p):]
					}
				}
				line = strings.TrimRight(host+"/"+strings.TrimRight(path, "/"), "/")
			}
			if m[line] == nil {
				m[line] = map[string]bool{}
			}
			m[line][cat] = true
		}
	}
	return n
}

func (n *naive) host(h string) []string {
	set := map[string]bool{}
	labels := strings.Split(h, ".")
	for i := range labels {
		for c := range n.domains[strings.Join(labels[i:], ".")] {
			set[c] = true
		}
	}
	return sorted(set)
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func (l *Lists) names(s CatSet) []string {
	var out []string
	for i := range l.cats {
		if s.Has(i) {
			out = append(out, l.cats[i].Name)
		}
	}
	sort.Strings(out)
	return out
}

// TestPropertyMatcherAgainstNaive checks the compiled matcher against the
// naive reference over every domain of the snapshot, plus subdomains,
// parents, case and trailing-dot variants, and near misses.
// CARINE: INF-SEC-8
func TestPropertyMatcherAgainstNaive(t *testing.T) {
	src := snapshotPath(t)
	l := loadSnapshot(t)
	ref := readNaive(t, src)
	rng := rand.New(rand.NewPCG(1, 2))
	checked := 0
	check := func(query string) {
		h, err := NormalizeHost(query)
		if err != nil {
			return
		}
		want := ref.host(h)
		if IsIPv4(h) {
			want = sorted(ref.domains[h])
		}
		got := l.names(l.MatchHost(h))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("MatchHost(%q from %q) = %v, naive says %v", h, query, got, want)
		}
		checked++
	}
	for d := range ref.domains {
		if strings.ContainsAny(d, " \t/") {
			continue
		}
		check(d)
		if rng.IntN(8) == 0 {
			check("Sub" + itoa(rng.IntN(100)) + "." + strings.ToUpper(d) + ".")
			check("x" + d) // near miss: not a subdomain
			if i := strings.IndexByte(d, '.'); i > 0 {
				check(d[i+1:]) // parent
			}
		}
	}
	if checked < 500000 {
		t.Fatalf("only %d hosts checked", checked)
	}
	// URL prefixes: every entry matches itself and a deeper path under a
	// www-prefixed host; a path that merely starts with it does not.
	urlsChecked := 0
	for u := range ref.urls {
		host, path, _ := strings.Cut(u, "/")
		nh, err := NormalizeHost(host)
		if err != nil || strings.ContainsAny(u, " #") {
			continue
		}
		nh = StripWWW(nh)
		want := ref.urlMatches(nh, "/"+path)
		got := l.names(l.MatchURL(nh, "/"+path))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("MatchURL(%q, %q) = %v, naive says %v", nh, "/"+path, got, want)
		}
		if rng.IntN(4) == 0 && path != "" && !strings.ContainsAny(path, "?;&") {
			deeper := "/" + path + "/deeper/page.html"
			got := l.names(l.MatchURL(nh, deeper))
			want := ref.urlMatches(nh, deeper)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("MatchURL(%q, %q) = %v, naive says %v", nh, deeper, got, want)
			}
			miss := "/" + path + "zz"
			if got, want := l.names(l.MatchURL(nh, miss)), ref.urlMatches(nh, miss); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("MatchURL(%q, %q) = %v, naive says %v", nh, miss, got, want)
			}
		}
		urlsChecked++
	}
	if urlsChecked < 20000 {
		t.Fatalf("only %d urls checked", urlsChecked)
	}
	t.Logf("%d hosts and %d urls agree with the naive reference", checked, urlsChecked)
}

// urlMatches: an entry host/p matches a request path when the path equals
// p or continues it after a separator.
func (n *naive) urlMatches(host, path string) []string {
	set := map[string]bool{}
	path = strings.TrimRight(path, "/")
	for e, cats := range n.urlsFor(host) {
		ep := "/" + e
		if e == "" || path == ep || strings.HasPrefix(path, ep) && strings.ContainsRune("/?;#&", rune(path[len(ep)])) ||
			strings.HasSuffix(ep, "/") && strings.HasPrefix(path, ep) {
			for c := range cats {
				set[c] = true
			}
		}
	}
	return sorted(set)
}

var naiveIdx sync.Map

func (n *naive) urlsFor(host string) map[string]map[string]bool {
	key := any(n)
	v, ok := naiveIdx.Load(key)
	if !ok {
		idx := map[string]map[string]map[string]bool{}
		for u, cats := range n.urls {
			h, p, _ := strings.Cut(u, "/")
			if nh, err := NormalizeHost(h); err == nil {
				h = StripWWW(nh)
			}
			if idx[h] == nil {
				idx[h] = map[string]map[string]bool{}
			}
			idx[h][p] = cats
		}
		v, _ = naiveIdx.LoadOrStore(key, idx)
	}
	return v.(map[string]map[string]map[string]bool)[host]
}

func TestLoadDirMatchesArchive(t *testing.T) {
	src := snapshotPath(t)
	dir := t.TempDir()
	untar(t, src, dir)
	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := loadSnapshot(t)
	if l.Stats().Domains != a.Stats().Domains || l.Stats().URLs != a.Stats().URLs || len(l.Categories()) != len(a.Categories()) {
		t.Fatalf("folder %+v, archive %+v", l.Stats(), a.Stats())
	}
	if c, ok := l.Category("violence"); !ok || c.Name != "agressif" {
		t.Fatalf("alias violence in the folder: %+v", c)
	}
}

func untar(t testing.TB, src, dst string) {
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			os.Symlink(h.Linkname, p)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			b, _ := io.ReadAll(tr)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeTree writes a small UT1-like tree for focused tests.
func writeTree(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBadListsAreRefusedAndPreviousStays(t *testing.T) {
	good := writeTree(t, map[string]string{"adult/domains": "bad.example\n", "adult/usage": "black\n"})
	var h Holder
	if _, err := h.Reload(good); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"broken regex":  writeTree(t, map[string]string{"adult/domains": "x.example\n", "adult/expressions": "(unclosed\n"}),
		"empty":         writeTree(t, map[string]string{"README": "nothing"}),
		"missing":       filepath.Join(t.TempDir(), "nope"),
		"corrupt gzip":  writeFile(t, "\x1f\x8bnot really gzip"),
		"truncated tar": truncatedArchive(t),
	} {
		if _, err := h.Reload(src); err == nil {
			t.Errorf("%s: reload accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
		if h.Lists().MatchHost("www.bad.example").Empty() {
			t.Fatalf("%s: the previous lists are no longer in force", name)
		}
	}
}

func writeFile(t testing.TB, body string) string {
	p := filepath.Join(t.TempDir(), "lists.tar.gz")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func truncatedArchive(t testing.TB) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := strings.Repeat("a.example\n", 1000)
	tw.WriteHeader(&tar.Header{Name: "blacklists/adult/domains", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	zw.Close()
	return writeFile(t, string(buf.Bytes()[:buf.Len()/2]))
}

func TestLeadingDotsUnderscoresAndIPs(t *testing.T) {
	l, err := Load(writeTree(t, map[string]string{
		"dynamic-dns/domains": ".dyn.example\nsome_host.example\n10.1.2.3\nBIG.Example\n\n# comment\nnot a host\n",
		"adult/urls":          "www.example.org/dir\nexample.net/Path/\n",
		"adult/expressions":   "(sex|porn)\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	dyn := l.mustSet(t, "dynamic-dns")
	for host, want := range map[string]bool{"a.dyn.example": true, "dyn.example": true, "some_host.example": true,
		"10.1.2.3": true, "1.2.3": false, "big.example": true, "example": false, "xdyn.example": false,
		"a.b.c.d.e.f.g.h.i.j.k.dyn.example": true, "a.b.c.d.e.f.g.dyn.example": true, "a.b.c.d.e.f.g.h.i.j.k.l.example": false} {
		if got := !l.MatchHost(host).Inter(dyn).Empty(); got != want {
			t.Errorf("MatchHost(%q) = %v, want %v", host, got, want)
		}
	}
	if l.Stats().Skipped != 1 {
		t.Errorf("skipped %d lines, want 1: %v", l.Stats().Skipped, l.Stats().Examples)
	}
	for url, want := range map[string]bool{"http://www3.example.org:8080/dir/page.html": true, "http://example.org/dir": true,
		"http://example.org/dirt": false, "http://example.net/Path/x": true, "http://example.net/path/x": false,
		"http://sub.example.org/dir": false} {
		h, p, _ := NormalizeURL(url)
		if got := !l.MatchURL(h, p).Empty(); got != want {
			t.Errorf("MatchURL(%q) = %v, want %v", url, got, want)
		}
	}
	adult := l.mustSet(t, "adult")
	if l.MatchExpressions("http://x.example/PORN", adult, false).Empty() {
		t.Error("expression (case-insensitive) did not match")
	}
	if !l.MatchExpressions("http://x.example/PORN", CatSet{}, false).Empty() {
		t.Error("expressions are opt-in, yet matched with none enabled")
	}
}

func TestMatchHostAllocatesNothing(t *testing.T) {
	l := loadSnapshot(t)
	if n := testing.AllocsPerRun(1000, func() { l.MatchHost("deep.sub.casino-example.com") }); n != 0 {
		t.Fatalf("MatchHost allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() { l.MatchURL("example.org", "/a/b") }); n != 0 {
		t.Fatalf("MatchURL allocates %v times", n)
	}
}

func FuzzParseDomainLine(f *testing.F) {
	for _, s := range []string{"example.com", ".leading.example", "UPPER.Example.", "10.0.0.1", "0x7f.1", "bücher.de",
		"under_score.x", "# comment", "", "a..b", "xn--bcher-kva.example", "[::1]:80", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h, ok, err := ParseDomainLine(line)
		if err != nil || !ok {
			return
		}
		again, err := NormalizeHost(h)
		if err != nil || again != h {
			t.Fatalf("normal form %q is not stable: %q, %v", h, again, err)
		}
		if len(h) > MaxHostLen {
			t.Fatalf("host longer than %d: %q", MaxHostLen, h)
		}
	})
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"http://www3.example.org:8080/dir/page.html", "example.org/Dir?q=1#x", "https://u:p@web.x.org",
		"ftp://ftp.example.org", "http://[::1]:80/x", "http://0x7f.1/", "//x", "http://bücher.de/ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		h, p, err := NormalizeURL(raw)
		if err != nil {
			return
		}
		if p == "" || p[0] != '/' || strings.Contains(p, "#") {
			t.Fatalf("path %q of %q", p, raw)
		}
		if again, err := NormalizeHost(h); err != nil || again != h {
			t.Fatalf("host %q of %q is not normal: %q %v", h, raw, again, err)
		}
	})
}

func FuzzParseURLLine(f *testing.F) {
	for _, s := range []string{"example.org/dir", "www.example.org/a?b=c;d", "10.0.0.1/x/", "example.org", "# x", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h, p, ok, err := ParseURLLine(line)
		if err != nil || !ok {
			return
		}
		if h == "" || p == "" || p[0] != '/' {
			t.Fatalf("ParseURLLine(%q) = %q %q", line, h, p)
		}
	})
}

func FuzzLoadArchive(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string]string{"blacklists/adult/domains": "a.example\n", "blacklists/adult/usage": "black\n",
		"blacklists/global_usage": "NAME:\tadult\nDEFAULT_TYPE: black\nNAME FR: Adulte\n"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.WriteHeader(&tar.Header{Name: "blacklists/porn", Linkname: "adult", Typeflag: tar.TypeSymlink})
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := LoadArchive(bytes.NewReader(data), int64(len(data)))
		if err == nil && l.Stats().Domains+l.Stats().URLs == 0 {
			t.Fatal("empty lists accepted")
		}
	})
}

func TestParseMD5Sums(t *testing.T) {
	got := ParseMD5Sums([]byte("0123456789abcdef0123456789ABCDEF  blacklists.tar.gz\nnot a line\n" +
		"ffffffffffffffffffffffffffffffff *adult.tar.gz\nzz23456789abcdef0123456789abcdef x.tar.gz\n"))
	if len(got) != 2 || got["blacklists.tar.gz"] != "0123456789abcdef0123456789abcdef" || got["adult.tar.gz"] == "" {
		t.Fatalf("%v", got)
	}
}

func FuzzParseMD5Sums(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef  blacklists.tar.gz\n"))
	f.Add([]byte("x\n\n  \t"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, sum := range ParseMD5Sums(data) {
			if len(sum) != 32 || name == "" {
				t.Fatalf("%q → %q", name, sum)
			}
		}
	})
}
