// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/davd"
	"github.com/preau/preau/internal/store"
)

var quiet = slog.New(slog.DiscardHandler)

// countingBlobs counts content opens, to prove PROPFIND reads no content.
type countingBlobs struct {
	blob.Store
	opens   atomic.Int64
	creates atomic.Int64
}

func (c *countingBlobs) Create(ctx context.Context, key string) (blob.Writer, error) {
	c.creates.Add(1)
	return c.Store.Create(ctx, key)
}

func (c *countingBlobs) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	c.opens.Add(1)
	return c.Store.Open(ctx, key)
}

type env struct {
	t      *testing.T
	db     *store.DB
	svc    *files.Service
	blobs  *countingBlobs
	srv    *httptest.Server
	dav    *davd.Handler
	auths  atomic.Int64
	est    *directory.Establishment
	people map[string]*directory.Person

	lastToken string // Lock-Token of the last successful LOCK (statusAt)
}

const password = "Motdepasse-2026!"

func newEnv(t *testing.T, cfg files.Config) *env {
	t.Helper()
	ctx := dirtest.Ctx()
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	est := dirtest.NewEstablishment(999091, directory.College)
	if err := db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	fb, err := fsblob.New(fsblob.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, blobs: &countingBlobs{Store: fb}, est: est, people: map[string]*directory.Person{}}
	e.svc = files.New(files.Deps{Store: db, Blobs: e.blobs, People: db, Log: quiet, Config: cfg})
	e.dav = davd.New(davd.Deps{Files: e.svc, Locks: db, Log: quiet,
		Auth: func(ctx context.Context, login, pw, src string) (core.Principal, error) {
			e.auths.Add(1)
			p, ok := e.people[login]
			if !ok || pw != password {
				return core.Principal{}, core.E("test", core.Unauthenticated, "wrong login or password")
			}
			return core.Principal{PersonID: p.ID, Login: p.Login, Profile: p.Profile,
				Establishments: p.Establishments}, nil
		}})
	mux := http.NewServeMux()
	mux.Handle(davd.Prefix+"/", e.dav)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) person(login string, prof core.Profile) *directory.Person {
	p := dirtest.NewPerson(login, prof, e.est.ID)
	p.DisplayName = login
	if err := e.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: p}}); err != nil {
		e.t.Fatal(err)
	}
	e.people[login] = p
	return p
}

func (e *env) do(login, method, path string, body io.Reader, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(login, password)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) status(login, method, path string, body io.Reader, hdr ...string) (int, string) {
	e.t.Helper()
	res := e.do(login, method, path, body, hdr...)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatalf("%s is not installed (Debian package %s) and PREAU_TEST_STRICT=1", name, name)
		}
		t.Skipf("%s is not installed (Debian package %s): skipping", name, name)
	}
	return p
}

// TestDAVLitmus runs the litmus WebDAV suite's basic, copymove, props,
// locks and http groups against /dav/home/.
// CARINE: UTI-ESF-5
func TestDAVLitmus(t *testing.T) {
	bin := tool(t, "litmus")
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	cmd := exec.Command(bin, "-k", e.srv.URL+"/dav/home/", "lou", password)
	cmd.Env = append(os.Environ(), "TESTS=basic copymove props locks http")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	t.Logf("litmus:\n%s", out)
	var failed []string
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "FAIL ("); i >= 0 {
			f := strings.Fields(line)
			if len(f) > 1 {
				failed = append(failed, strings.TrimRight(f[1], "."))
			}
		}
	}
	if len(failed) != 0 {
		t.Fatalf("litmus failures: %v", failed)
	}
	for _, g := range []string{"basic", "copymove", "props", "locks", "http"} {
		if !strings.Contains(string(out), "summary for `"+g+"': of") || !regexp.MustCompile("summary for `"+g+"': of [0-9]+ tests run: [0-9]+ passed, 0 failed").Match(out) {
			t.Errorf("litmus group %s did not pass entirely", g)
		}
	}
	if err != nil {
		t.Fatalf("litmus: %v", err)
	}
}

// TestDAVRclone copies a tree up with rclone, checks it, and copies it
// back down.
// CARINE: UTI-ESF-5
func TestDAVRclone(t *testing.T) {
	bin := tool(t, "rclone")
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	src := t.TempDir()
	for i := range 20 {
		d := filepath.Join(src, fmt.Sprintf("dossier %d", i%4), "sous-dossier é")
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		content := bytes.Repeat([]byte(fmt.Sprintf("fichier %d ", i)), 100*i+1)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d.txt", i)), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(t.TempDir(), "rclone.conf")
	obscured, err := exec.Command(bin, "obscure", password).Output()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("[preau]\ntype = webdav\nurl = %s/dav/home\nvendor = other\nuser = lou\npass = %s\n",
		e.srv.URL, strings.TrimSpace(string(obscured)))
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--config", conf, "--retries", "1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("rclone %v: %v\n%s", args, err, out)
		}
	}
	run("copy", src, "preau:travail")
	run("check", src, "preau:travail")
	back := t.TempDir()
	run("copy", "preau:travail", back)
	run("check", src, back)
	if e.auths.Load() > 3 {
		t.Fatalf("credentials were verified %d times: the cache does not work", e.auths.Load())
	}
}

// TestDAVQuota507: a PUT beyond the quota answers 507 and stores nothing,
// announced or streamed (chunked).
// CARINE: UTI-ESF-4
func TestDAVQuota507(t *testing.T) {
	e := newEnv(t, files.Config{Quotas: map[core.Profile]int64{core.ProfilePupil: 1000}})
	e.person("lou", core.ProfilePupil)
	if st, _ := e.status("lou", "PUT", "/dav/home/a.bin", bytes.NewReader(make([]byte, 800))); st != http.StatusCreated {
		t.Fatalf("first PUT = %d", st)
	}
	if st, body := e.status("lou", "PUT", "/dav/home/b.bin", bytes.NewReader(make([]byte, 300))); st != http.StatusInsufficientStorage {
		t.Fatalf("announced PUT over quota = %d %s", st, body)
	}
	// Chunked: no Content-Length, refused while streaming.
	pr, pw := io.Pipe()
	go func() {
		for range 30 {
			if _, err := pw.Write(make([]byte, 10)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	if st, body := e.status("lou", "PUT", "/dav/home/c.bin", pr); st != http.StatusInsufficientStorage {
		t.Fatalf("streamed PUT over quota = %d %s", st, body)
	}
	for _, p := range []string{"/dav/home/b.bin", "/dav/home/c.bin"} {
		if st, _ := e.status("lou", "HEAD", p, nil); st != http.StatusNotFound {
			t.Fatalf("%s after refusal: %d", p, st)
		}
	}
	_, body := e.status("lou", "PROPFIND", "/dav/home/", strings.NewReader(`<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>`),
		"Depth", "0")
	if !strings.Contains(body, "<D:quota-used-bytes>800</D:quota-used-bytes>") ||
		!strings.Contains(body, "<D:quota-available-bytes>200</D:quota-available-bytes>") {
		t.Fatalf("quota properties: %s", body)
	}
}

// TestDAVPropfindReadsNoContent: a depth-1 PROPFIND gives ETags,
// getlastmodified and content types without opening any content; GET
// honours ranges and If-None-Match.
func TestDAVPropfindReadsNoContent(t *testing.T) {
	// Contents in the blob store, where opens are counted (listings never
	// read the database's inline contents either: ListChildren selects no
	// content column and file_inline is another table).
	e := newEnv(t, files.Config{InlineMax: -1})
	e.person("lou", core.ProfilePupil)
	for i := range 30 {
		if st, _ := e.status("lou", "PUT", fmt.Sprintf("/dav/home/f%02d.txt", i), strings.NewReader("0123456789")); st != 201 {
			t.Fatalf("PUT = %d", st)
		}
	}
	e.blobs.opens.Store(0)
	st, body := e.status("lou", "PROPFIND", "/dav/home/", nil, "Depth", "1")
	if st != http.StatusMultiStatus || strings.Count(body, "<D:getetag>") != 30 ||
		strings.Count(body, "<D:getlastmodified>") < 30 || !strings.Contains(body, "text/plain") {
		t.Fatalf("PROPFIND = %d\n%.2000s", st, body)
	}
	if n := e.blobs.opens.Load(); n != 0 {
		t.Fatalf("PROPFIND opened %d contents", n)
	}
	res := e.do("lou", "GET", "/dav/home/f03.txt", nil, "Range", "bytes=2-5")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || string(b) != "2345" {
		t.Fatalf("ranged GET = %d %q", res.StatusCode, b)
	}
	etag := res.Header.Get("ETag")
	if st, _ := e.status("lou", "GET", "/dav/home/f03.txt", nil, "If-None-Match", etag); st != http.StatusNotModified {
		t.Fatalf("conditional GET = %d", st)
	}
	if st, body := e.status("lou", "GET", "/dav/home/f03.txt", nil); st != 200 || body != "0123456789" {
		t.Fatalf("GET = %d %q", st, body)
	}
}

// TestDAVCredentialCache: one verification serves many requests; a wrong
// password is never served from the cache; no credentials gets a Basic
// challenge.
// CARINE: INF-AUT-10
func TestDAVCredentialCache(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	for range 10 {
		if st, _ := e.status("lou", "PROPFIND", "/dav/home/", nil, "Depth", "0"); st != http.StatusMultiStatus {
			t.Fatalf("PROPFIND = %d", st)
		}
	}
	if n := e.auths.Load(); n != 1 {
		t.Fatalf("%d verifications for 10 requests", n)
	}
	req, _ := http.NewRequest("PROPFIND", e.srv.URL+"/dav/home/", nil)
	req.SetBasicAuth("lou", "wrong")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || e.auths.Load() != 2 {
		t.Fatalf("wrong password: %d after %d verifications", res.StatusCode, e.auths.Load())
	}
	res, err = http.Get(e.srv.URL + "/dav/home/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
}

// TestDAVPrivateHidden: over WebDAV too, another user's PRIVÉ subtree is
// neither listed nor readable, and copying a private folder into a class
// space is refused.
// CARINE: UTI-ESF-6
func TestDAVPrivateHidden(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	e.person("prof", core.ProfileTeacher)
	for _, p := range []string{"/dav/home/Mes documents/", "/dav/home/Mes documents/PRIVÉ/"} {
		if st, _ := e.status("lou", "MKCOL", p, nil); st != http.StatusCreated {
			t.Fatalf("MKCOL %s = %d", p, st)
		}
	}
	e.status("lou", "PUT", "/dav/home/Mes documents/PRIVÉ/secret.txt", strings.NewReader("secret"))
	e.status("lou", "PUT", "/dav/home/Mes documents/public.txt", strings.NewReader("public"))
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: e.people["lou"].ID,
		Login: "lou", Profile: core.ProfilePupil, Establishments: []string{e.est.ID}})
	if err := e.svc.Share(ctx, "/home/Mes documents", files.GranteePerson, "prof", files.Write); err != nil {
		t.Fatal(err)
	}
	share := "/dav/shared/Mes%20documents%20(lou)/"
	st, body := e.status("prof", "PROPFIND", share, nil, "Depth", "1")
	if st != http.StatusMultiStatus || !strings.Contains(body, "public.txt") || strings.Contains(body, "PRIV") {
		t.Fatalf("teacher PROPFIND = %d\n%s", st, body)
	}
	if st, _ := e.status("prof", "GET", share+"PRIV%C3%89/secret.txt", nil); st != http.StatusNotFound {
		t.Fatalf("teacher GET of PRIVÉ = %d", st)
	}
	if st, _ := e.status("prof", "PROPFIND", share+"PRIV%C3%89/", nil, "Depth", "1"); st != http.StatusNotFound {
		t.Fatalf("teacher PROPFIND of PRIVÉ = %d", st)
	}
	if st, _ := e.status("lou", "COPY", "/dav/home/Mes%20documents/", nil,
		"Destination", e.srv.URL+share+"copie/"); st != http.StatusForbidden {
		t.Fatalf("COPY of a folder holding PRIVÉ into a share = %d", st)
	}
}

// TestParseDestination covers the header's accepted and refused forms.
func TestParseDestination(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"https://h/dav/home/a", "/dav/home/a", true},
		{"/dav/home/a%20b", "/dav/home/a b", true},
		{"https://other/dav/home/a", "", false},
		{"/dav/home/../../etc", "", false},
		{"/etc/passwd", "", false},
		{"", "", false},
		{"/dav/home/a%00b", "", false},
		{"ftp://h/dav/home/a", "", false},
	} {
		got, err := davd.ParseDestination(c.in, "h")
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseDestination(%q) = %q, %v", c.in, got, err)
		}
	}
}

// FuzzParseDestination: never panics, and an accepted path is clean and
// under the prefix.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"https://h/dav/home/a", "/dav/../x", "/dav/home/%2e%2e/%2e%2e/", "//h/dav/x",
		"https://h:443/dav/groups/3A/", "/dav/home/a\x00", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := davd.ParseDestination(s, "h")
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, davd.Prefix+"/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") ||
			strings.ContainsRune(p, 0) {
			t.Fatalf("ParseDestination(%q) = %q", s, p)
		}
	})
}

// FuzzDAVRequest sends arbitrary XML bodies, If and Destination headers to
// every method: the server never panics nor fails with a 5xx, and the tree
// stays readable.
func FuzzDAVRequest(f *testing.F) {
	seeds := []struct{ method, body, ifh, dest string }{
		{"PROPFIND", `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, "", ""},
		{"PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:foo xmlns:x="urn:x"/></D:prop></D:propfind>`, "", ""},
		{"PROPPATCH", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="urn:x">v</x:a></D:prop></D:set></D:propertyupdate>`, "", ""},
		{"LOCK", `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`, "", ""},
		{"PUT", "data", `(<opaquelocktoken:abc>)`, ""},
		{"PUT", "data", `<http://h/dav/home/a> (Not <urn:x> ["etag"])`, ""},
		{"MOVE", "", "", "/dav/home/b"},
		{"COPY", "", "", "https://h/dav/groups/x"},
		{"PROPFIND", `<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`, "(", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.body, s.ifh, s.dest)
	}
	var e *env
	f.Fuzz(func(t *testing.T, method, body, ifh, dest string) {
		if e == nil {
			e = newEnv(&testing.T{}, files.Config{})
			e.t = t
			e.person("lou", core.ProfilePupil)
		}
		e.t = t
		switch method {
		case "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PUT", "MOVE", "COPY", "MKCOL", "DELETE":
		default:
			method = "PROPFIND"
		}
		req, err := http.NewRequest(method, e.srv.URL+"/dav/home/a", strings.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth("lou", password)
		if ifh != "" && !strings.ContainsAny(ifh, "\r\n\x00") {
			req.Header.Set("If", ifh)
		}
		if dest != "" && !strings.ContainsAny(dest, "\r\n\x00") {
			req.Header.Set("Destination", dest)
		}
		req.Header.Set("Timeout", "Second-5")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 && res.StatusCode != http.StatusInsufficientStorage {
			t.Fatalf("%s with body %q, If %q, Destination %q: %d", method, body, ifh, dest, res.StatusCode)
		}
	})
}

var _ = time.Second

// FuzzParseIf: the If header parser never panics, and what it accepts
// has non-empty lists of non-empty conditions.
func FuzzParseIf(f *testing.F) {
	for _, s := range []string{`(<opaquelocktoken:a-b>)`, `(Not <DAV:no-lock> ["etag"])`,
		`<http://h/dav/home/a> (<urn:x> [W/"e"]) (Not <DAV:no-lock>)`, `(`, `<`, `()`, `(Not)`, `([)`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lists, err := davd.ParseIf(s)
		if err != nil {
			return
		}
		if len(lists) == 0 {
			t.Fatalf("ParseIf(%q) accepted no list", s)
		}
		for _, l := range lists {
			if len(l.Conditions) == 0 {
				t.Fatalf("ParseIf(%q): empty list", s)
			}
			for _, c := range l.Conditions {
				if c.Token == "" && c.ETag == "" {
					t.Fatalf("ParseIf(%q): empty condition", s)
				}
			}
		}
	})
}

// FuzzCheckXML: the body check never panics and refuses DOCTYPEs.
func FuzzCheckXML(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<propfind xmlns:bar="" xmlns="DAV:"><prop><bar:foo/></prop></propfind>`, `<!DOCTYPE x><x/>`, `<a><b></a>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := davd.CheckXML(b)
		if err == nil && strings.Contains(string(b), "<!DOCTYPE") && !strings.Contains(string(b), "<![CDATA[") &&
			!strings.Contains(string(b), "<!--") {
			t.Fatalf("DOCTYPE accepted: %q", b)
		}
	})
}

// BenchmarkPropfind10k measures a depth-1 PROPFIND of a folder of 10,000
// files (issue 7: under 150 ms).
func BenchmarkPropfind10k(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t, files.Config{})
	e.t = t
	e.person("lou", core.ProfilePupil)
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: e.people["lou"].ID,
		Login: "lou", Profile: core.ProfilePupil, Establishments: []string{e.est.ID}})
	dir, err := e.svc.Mkdir(ctx, "/home/big")
	if err != nil {
		b.Fatal(err)
	}
	d, _ := e.db.FindNode(ctx, dir.NodeID)
	now := time.Now()
	for i := range 10000 { // metadata only: a PROPFIND never reads content
		if _, _, err := e.db.CommitFile(ctx, &files.Commit{Space: d.Space, Parent: d.ID, Name: fmt.Sprintf("f%05d.txt", i),
			Node: files.Node{ID: core.NewID(), Size: 1, SHA256: strings.Repeat("0", 64), BlobKey: "", ModTime: now,
				ETag: fmt.Sprintf(`"e%d"`, i)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("PROPFIND", e.srv.URL+"/dav/home/big/", nil)
		req.Header.Set("Depth", "1")
		req.SetBasicAuth("lou", password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusMultiStatus || n < 10000*100 {
			b.Fatalf("PROPFIND: %d, %d bytes", res.StatusCode, n)
		}
	}
}

// BenchmarkGetSmall measures authenticated GETs of a 1 KiB file over one
// kept-alive connection (bench/files: get-1k).
func BenchmarkGetSmall(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t, files.Config{})
	e.t = t
	e.person("lou", core.ProfilePupil)
	body := strings.Repeat("x", 1024)
	req, _ := http.NewRequest("PUT", e.srv.URL+"/dav/home/small.txt", strings.NewReader(body))
	req.SetBasicAuth("lou", password)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode/100 != 2 {
		b.Fatalf("PUT: %v %v", res, err)
	}
	res.Body.Close()
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("GET", e.srv.URL+"/dav/home/small.txt", nil)
		req.SetBasicAuth("lou", password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || n != 1024 {
			b.Fatalf("GET: %d, %d bytes", res.StatusCode, n)
		}
	}
}

// BenchmarkPutSmall measures authenticated 1 KiB uploads, 32 at a time
// (bench/files: put-1k).
func BenchmarkPutSmall(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t, files.Config{DefaultQuota: 1 << 40, Quotas: map[core.Profile]int64{core.ProfilePupil: 1 << 40}})
	e.t = t
	e.person("lou", core.ProfilePupil)
	body := strings.Repeat("x", 1024)
	var n atomic.Int64
	// Keep the 32 connections alive, as bench/files does (the default
	// client keeps 2 and would measure TCP set-ups).
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(16)
	cpu0 := processCPU()
	b.ResetTimer()
	defer func() {
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/dav/home/p%07d.txt", e.srv.URL, n.Add(1)), strings.NewReader(body))
			req.SetBasicAuth("lou", password)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode/100 != 2 {
				b.Fatalf("PUT: %d", res.StatusCode)
			}
		}
	})
}

// TestDAVHomework: distributed homework is plain folders over WebDAV: the
// pupil finds the copy under /dav/home/Devoirs/, hands in by putting a file
// in Rendu, and the teacher sees it handed in.
// CARINE: UTI-ESF-2
func TestDAVHomework(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("prof", core.ProfileTeacher)
	e.person("lou", core.ProfilePupil)
	e.person("max", core.ProfilePupil)
	ctx := dirtest.Ctx()
	g := &directory.Group{ID: core.NewID(), Establishment: e.est.ID, Code: "5C", Name: "5C", Kind: directory.Class,
		SchoolYear: 2026}
	if err := e.db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: e.people["prof"].ID, Role: directory.RoleOwner},
		{GroupID: g.ID, PersonID: e.people["lou"].ID, Role: directory.RoleMember},
		{GroupID: g.ID, PersonID: e.people["max"].ID, Role: directory.RoleMember}}); err != nil {
		t.Fatal(err)
	}
	e.status("prof", "MKCOL", "/dav/home/DM/", nil)
	e.status("prof", "PUT", "/dav/home/DM/sujet.txt", strings.NewReader("sujet"))
	if st, b := e.status("prof", "PROPFIND", "/dav/groups/", nil, "Depth", "1"); st != http.StatusMultiStatus ||
		!strings.Contains(b, "/dav/groups/5C/") {
		t.Fatalf("/dav/groups/ = %d\n%s", st, b)
	}
	tctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: e.people["prof"].ID, Login: "prof",
		Profile: core.ProfileTeacher, Establishments: []string{e.est.ID}})
	a, err := e.svc.Distribute(tctx, "/home/DM", g.ID, "DM", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := "/dav/home/Devoirs/DM%20(prof)/"
	if st, b := e.status("lou", "GET", dir+"sujet.txt", nil); st != 200 || b != "sujet" {
		t.Fatalf("pupil's copy over WebDAV: %d %q", st, b)
	}
	if st, _ := e.status("lou", "PUT", dir+"Rendu/copie.txt", strings.NewReader("ma copie")); st != http.StatusCreated {
		t.Fatalf("hand-in PUT: %d", st)
	}
	s, err := e.svc.Status(tctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range s.Pupils {
		got[p.Login] = p.Status
	}
	if got["lou"] != files.OnTime || got["max"] != files.Missing {
		t.Fatalf("statuses = %v", got)
	}
}

// TestDAVLocksFollowTheFileNotThePath: each person's /dav/home/ is their
// own space, so a word processor holding a lock on one pupil's
// rapport.odt does not stop another pupil saving theirs at the same path;
// a class file locked by the teacher is locked for the pupils who reach it
// through the same group folder.
// CARINE: UTI-ESF-1, UTI-ESF-2
func TestDAVLocksFollowTheFileNotThePath(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("prof", core.ProfileTeacher)
	e.person("lou", core.ProfilePupil)
	e.person("max", core.ProfilePupil)
	ctx := dirtest.Ctx()
	g := &directory.Group{ID: core.NewID(), Establishment: e.est.ID, Code: "4D", Name: "4D", Kind: directory.Class, SchoolYear: 2026}
	if err := e.db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: e.people["prof"].ID, Role: directory.RoleOwner},
		{GroupID: g.ID, PersonID: e.people["lou"].ID, Role: directory.RoleMember},
		{GroupID: g.ID, PersonID: e.people["max"].ID, Role: directory.RoleMember}}); err != nil {
		t.Fatal(err)
	}
	lockBody := `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
		`<D:locktype><D:write/></D:locktype><D:owner>LibreOffice</D:owner></D:lockinfo>`
	lock := func(login, path string) (int, string) {
		r := e.do(login, "LOCK", path, strings.NewReader(lockBody), "Timeout", "Second-600", "Content-Type", "application/xml")
		r.Body.Close()
		return r.StatusCode, r.Header.Get("Lock-Token")
	}
	for _, who := range []string{"lou", "max"} {
		if st, _ := e.status(who, "PUT", "/dav/home/rapport.odt", strings.NewReader("brouillon de "+who)); st != http.StatusCreated {
			t.Fatalf("%s's first PUT: %d", who, st)
		}
	}
	if st, tok := lock("lou", "/dav/home/rapport.odt"); st != http.StatusOK || tok == "" {
		t.Fatalf("lou locks her report: %d %q", st, tok)
	}
	if st, _ := e.status("max", "PUT", "/dav/home/rapport.odt", strings.NewReader("version 2 de max")); st != http.StatusNoContent &&
		st != http.StatusCreated {
		t.Fatalf("max saves his own report while lou's is locked: %d", st)
	}
	if st, tok := lock("max", "/dav/home/rapport.odt"); st != http.StatusOK || tok == "" {
		t.Fatalf("max locks his own report: %d", st)
	}
	if st, b := e.status("lou", "GET", "/dav/home/rapport.odt", nil); st != 200 || b != "brouillon de lou" {
		t.Fatalf("lou's report: %d %q", st, b)
	}
	// A class file: the teacher's lock holds for the pupils.
	if st, _ := e.status("prof", "PUT", "/dav/groups/4D/cours.odt", strings.NewReader("cours")); st != http.StatusCreated {
		t.Fatalf("teacher's PUT in the class space: %d", st)
	}
	st, tok := lock("prof", "/dav/groups/4D/cours.odt")
	if st != http.StatusOK || tok == "" {
		t.Fatalf("teacher locks the class file: %d", st)
	}
	if st, _ := lock("lou", "/dav/groups/4D/cours.odt"); st != http.StatusLocked {
		t.Fatalf("a pupil locks the teacher's locked class file: %d", st)
	}
	if st, _ := e.status("lou", "PUT", "/dav/groups/4D/cours.odt", strings.NewReader("effacé")); st != http.StatusLocked &&
		st != http.StatusForbidden {
		t.Fatalf("a pupil overwrites the locked class file: %d", st)
	}
	if st, _ := e.status("prof", "PUT", "/dav/groups/4D/cours.odt", strings.NewReader("cours v2"), "If", "("+tok+")"); st != http.StatusNoContent &&
		st != http.StatusCreated {
		t.Fatalf("the teacher saves with the lock token: %d", st)
	}
	if st, _ := e.status("prof", "UNLOCK", "/dav/groups/4D/cours.odt", nil, "Lock-Token", tok); st != http.StatusNoContent {
		t.Fatalf("unlock: %d", st)
	}
	if st, _ := lock("lou", "/dav/groups/4D/cours.odt"); st != http.StatusOK {
		t.Fatalf("a pupil locks the class file once it is free: %d", st)
	}
}

// processCPU is the CPU time (user and system) this process used so far:
// a steadier measure than wall-clock time on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDAVSmallFilesInline: over WebDAV, a small file is kept in the
// database (no blob written) and a large one in the blob store, and both
// behave the same: the PUT's ETag is the one GET and PROPFIND give, ranges
// and conditional GETs work, COPY shares the content (the copy survives the
// original's deletion), a replaced file keeps its version, and a PUT into a
// missing folder is 409 and a PUT on a file locked by someone else 423,
// on the direct PUT path (no If header) as through x/net/webdav.
// CARINE: UTI-ESF-10
func TestDAVSmallFilesInline(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	e.person("max", core.ProfilePupil)
	small := strings.Repeat("0123456789", 100)
	large := strings.Repeat("L", files.InlineMax+1)
	put := func(p, body string) string {
		t.Helper()
		res := e.do("lou", "PUT", p, strings.NewReader(body))
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || res.Header.Get("ETag") == "" {
			t.Fatalf("PUT %s = %d, ETag %q", p, res.StatusCode, res.Header.Get("ETag"))
		}
		return res.Header.Get("ETag")
	}
	tagSmall := put("/dav/home/small.txt", small)
	if n := e.blobs.creates.Load(); n != 0 {
		t.Fatalf("a small upload wrote %d blobs", n)
	}
	tagLarge := put("/dav/home/large.bin", large)
	if n := e.blobs.creates.Load(); n != 1 {
		t.Fatalf("a large upload wrote %d blobs, want 1", n)
	}
	for p, want := range map[string][2]string{"/dav/home/small.txt": {small, tagSmall}, "/dav/home/large.bin": {large, tagLarge}} {
		res := e.do("lou", "GET", p, nil)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != want[0] || res.Header.Get("ETag") != want[1] {
			t.Fatalf("GET %s = %d, %d bytes, ETag %q (PUT gave %q)", p, res.StatusCode, len(b), res.Header.Get("ETag"), want[1])
		}
		if st, _ := e.status("lou", "GET", p, nil, "If-None-Match", want[1]); st != http.StatusNotModified {
			t.Fatalf("conditional GET %s = %d", p, st)
		}
		_, body := e.status("lou", "PROPFIND", p, nil, "Depth", "0")
		if !strings.Contains(body, "<D:getetag>"+strings.ReplaceAll(want[1], `"`, "&#34;")+"</D:getetag>") &&
			!strings.Contains(body, "<D:getetag>"+want[1]+"</D:getetag>") {
			t.Fatalf("PROPFIND %s lacks the PUT's ETag %s:\n%s", p, want[1], body)
		}
	}
	res := e.do("lou", "GET", "/dav/home/small.txt", nil, "Range", "bytes=995-")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || string(b) != "56789" {
		t.Fatalf("ranged GET of an inline file = %d %q", res.StatusCode, b)
	}
	// COPY shares the content; deleting the original keeps the copy.
	if st, _ := e.status("lou", "COPY", "/dav/home/small.txt", nil, "Destination", e.srv.URL+"/dav/home/copie.txt"); st != http.StatusCreated {
		t.Fatalf("COPY = %d", st)
	}
	if st, _ := e.status("lou", "DELETE", "/dav/home/small.txt", nil); st != http.StatusNoContent {
		t.Fatalf("DELETE = %d", st)
	}
	if st, body := e.status("lou", "GET", "/dav/home/copie.txt", nil); st != 200 || body != small {
		t.Fatalf("GET of the copy = %d, %d bytes", st, len(body))
	}
	// Replacing keeps a version.
	put("/dav/home/copie.txt", "v2")
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: e.people["lou"].ID, Login: "lou",
		Profile: core.ProfilePupil, Establishments: e.people["lou"].Establishments})
	if vs, err := e.svc.Versions(ctx, "/home/copie.txt"); err != nil || len(vs) != 1 || vs[0].Size != int64(len(small)) {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if n := e.blobs.creates.Load(); n != 1 {
		t.Fatalf("%d blobs written in all, want 1 (the large file)", n)
	}
	// Errors of the direct PUT path.
	if st, _ := e.status("lou", "PUT", "/dav/home/absent/x.txt", strings.NewReader("x")); st != http.StatusConflict {
		t.Fatalf("PUT into a missing folder = %d, want 409", st)
	}
	if st, _ := e.status("max", "PUT", "/dav/home/", strings.NewReader("x")); st/100 == 2 {
		t.Fatalf("PUT on a folder = %d", st)
	}
	lockBody := `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
		`<D:locktype><D:write/></D:locktype></D:lockinfo>`
	res = e.do("lou", "LOCK", "/dav/home/large.bin", strings.NewReader(lockBody), "Timeout", "Second-60")
	token := res.Header.Get("Lock-Token")
	res.Body.Close()
	if res.StatusCode != http.StatusOK || token == "" {
		t.Fatalf("LOCK = %d %q", res.StatusCode, token)
	}
	// The owner without the token (no If header, the direct path): 423.
	if st, _ := e.status("lou", "PUT", "/dav/home/large.bin", strings.NewReader("écrasé")); st != http.StatusLocked {
		t.Fatalf("PUT on a locked file without its token = %d, want 423", st)
	}
	// With the token (If header, through x/net/webdav): accepted.
	if st, _ := e.status("lou", "PUT", "/dav/home/large.bin", strings.NewReader("nouveau"), "If", "("+token+")"); st != http.StatusCreated {
		t.Fatalf("PUT with the lock token = %d", st)
	}
	if st, body := e.status("lou", "GET", "/dav/home/large.bin", nil); st != 200 || body != "nouveau" {
		t.Fatalf("after the locked PUT: %d %q", st, body)
	}
}
