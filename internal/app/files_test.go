// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"archive/zip"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/preau/preau/internal/web/webtest"
)

// TestFilesOnNode drives the storage service on a running node: WebDAV on
// the HTTPS port with Basic credentials (a wrong password refused and
// journaled), the web file manager listing what WebDAV stored, a scripted
// upload with the CSRF header, and the files CLI beside the running node.
// CARINE: UTI-ESF-1, UTI-ESF-5, UTI-ESF-7
func TestFilesOnNode(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	dav := func(method, path, pw string, body io.Reader) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, n.base+path, body)
		req.SetBasicAuth("zoe.martin", pw)
		if method == "PROPFIND" {
			req.Header.Set("Depth", "1")
		}
		res, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := dav("PROPFIND", "/dav/home/", "wrong", nil); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	if st, _ := dav("MKCOL", "/dav/home/Exposé/", "Bonjour-Zoe-2026", nil); st != http.StatusCreated {
		t.Fatalf("MKCOL: %d", st)
	}
	if st, b := dav("PUT", "/dav/home/Exposé/plan.txt", "Bonjour-Zoe-2026", strings.NewReader("1. Intro")); st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, b)
	}
	if st, b := dav("GET", "/dav/home/Exposé/plan.txt", "Bonjour-Zoe-2026", nil); st != 200 || b != "1. Intro" {
		t.Fatalf("GET: %d %q", st, b)
	}
	if st, b := dav("PROPFIND", "/dav/", "Bonjour-Zoe-2026", nil); st != http.StatusMultiStatus ||
		!strings.Contains(b, "/dav/home/") || !strings.Contains(b, "/dav/groups/") || !strings.Contains(b, "/dav/shared/") {
		t.Fatalf("PROPFIND /dav/: %d %s", st, b)
	}
	if req, _ := http.NewRequest("OPTIONS", n.base+"/", nil); req != nil {
		res, err := n.client.Do(req)
		if err != nil || res.StatusCode != 200 || res.Header.Get("DAV") != "1, 2" {
			t.Fatalf("OPTIONS /: %v %v", res, err)
		}
		res.Body.Close()
	}
	if r := n.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	_, page := n.get("/files?path=" + url.QueryEscape("/home/Exposé"))
	if !strings.Contains(page, "plan.txt") || !strings.Contains(page, `id="quota-bar"`) {
		t.Fatalf("file manager page lacks the file or the quota bar:\n%.3000s", page)
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the file manager page")
	}
	req, _ := http.NewRequest("PUT", n.base+"/files/upload?dir="+url.QueryEscape("/home/Exposé")+"&name=notes.txt",
		strings.NewReader("notes"))
	req.Header.Set("X-CSRF-Token", m[1])
	req.Header.Set("Origin", n.base)
	res, err := n.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("web upload: %d", res.StatusCode)
	}
	if st, b := dav("GET", "/dav/home/Exposé/notes.txt", "Bonjour-Zoe-2026", nil); st != 200 || b != "notes" {
		t.Fatalf("web upload seen over WebDAV: %d %q", st, b)
	}
	// The file manager's forms.
	form := func(path string, kv ...string) string {
		t.Helper()
		v := url.Values{"csrf": {m[1]}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		r, _ := n.post(path, v)
		if r.StatusCode != http.StatusSeeOther || strings.Contains(r.Header.Get("Location"), "error=") {
			t.Fatalf("POST %s %v: %d %s", path, kv, r.StatusCode, r.Header.Get("Location"))
		}
		return r.Header.Get("Location")
	}
	form("/files/mkdir", "dir", "/home/Exposé", "name", "Images")
	form("/files/rename", "path", "/home/Exposé/notes.txt", "name", "notes-v2.txt")
	form("/files/delete", "path", "/home/Exposé/Images")
	if _, page := n.get("/files/trash?path=/home"); !strings.Contains(page, "/Exposé/Images") {
		t.Fatalf("trash page lacks the deleted folder:\n%.2000s", page)
	}
	r, zipBody := n.get("/files/download?path=" + url.QueryEscape("/home/Exposé"))
	zr, err := zip.NewReader(strings.NewReader(zipBody), int64(len(zipBody)))
	if err != nil || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip download: %v %s", err, r.Header.Get("Content-Type"))
	}
	var zipped []string
	for _, f := range zr.File {
		zipped = append(zipped, f.Name)
	}
	if strings.Join(zipped, ",") != "notes-v2.txt,plan.txt" {
		t.Fatalf("zip holds %v", zipped)
	}
	if r, _ := n.get("/files/homework"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a pupil on the homework page: %d", r.StatusCode)
	}
	if out := n.cli("files", "scrub"); !strings.Contains(out, "checked 2 objects") || !strings.Contains(out, "0 mismatches") {
		t.Fatalf("files scrub: %s", out)
	}
	n.cli("files", "quota", "zoe.martin", "20G")
	if out := n.cli("files", "spaces"); !strings.Contains(out, "zoe.martin") || !strings.Contains(out, "20.0 GiB") ||
		strings.Contains(out, "plan.txt") {
		t.Fatalf("files spaces: %s", out)
	}
	davLogins := 0
	for _, line := range strings.Split(n.cli("journal", "export"), "\n") {
		if strings.Contains(line, `"action":"auth.login"`) && strings.Contains(line, `"channel":"dav"`) {
			davLogins++
		}
	}
	if davLogins < 2 { // the refused attempt and the verified login
		t.Fatalf("%d WebDAV logins in the journal, want the refusal and the success", davLogins)
	}
}

// TestFilesPagesAccessible runs axe-core on the file manager's pages, in
// French and English, as a teacher.
func TestFilesPagesAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	if r := n.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	req, _ := http.NewRequest("MKCOL", n.base+"/dav/home/Cours/", nil)
	req.SetBasicAuth("lou.petit", "Lou-Petit-Classe-2026")
	if res, err := n.client.Do(req); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("MKCOL: %v %v", res, err)
	}
	for i := range 2 {
		req, _ = http.NewRequest("PUT", n.base+"/dav/home/Cours/fiche.txt", strings.NewReader(strings.Repeat("x", i+1)))
		req.SetBasicAuth("lou.petit", "Lou-Petit-Classe-2026")
		if res, err := n.client.Do(req); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("PUT: %v %v", res, err)
		}
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/files", "/files?lang=en", "/files?path=/home/Cours", "/files?path=/",
		"/files/versions?path=/home/Cours/fiche.txt", "/files/share?path=/home/Cours", "/files/trash?path=/home",
		"/files/homework", "/files/homework?lang=en")

	// The console's storage page: sizes and counts, never names inside.
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	r, page := n.get("/admin/files")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "lou.petit") || strings.Contains(page, "fiche.txt") ||
		strings.Contains(page, "Cours") {
		t.Fatalf("admin storage page: %d\n%.3000s", r.StatusCode, page)
	}
	front = proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/files", "/admin/files?lang=en")
}
