// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web/webtest"
)

// session returns a second browser on the node, with its own cookies.
func (n *node) filterSession() *node {
	m := *n
	jar, _ := cookiejar.New(nil)
	m.client = &http.Client{Jar: jar, Transport: n.client.Transport, CheckRedirect: n.client.CheckRedirect}
	return &m
}

var askRE = regexp.MustCompile(`action="/filter/ask/([0-9a-f-]{36})/accept"`)

// TestFilterAskToOpenAndListsPage: a pupil's request to open a blocked
// site lands, as a portal notice and on the /filter page, with the teacher
// of her class who holds filter.delegate; the teacher opens it for the
// class and the pupil is told. On the lists page a bad archive is refused
// with a message naming the problem while the lists in force stay, and a
// good one is imported. The new pages pass axe, in French and English.
// CARINE: INF-SEC-6, INF-SEC-8, INF-SEC-9
func TestFilterAskToOpenAndListsPage_INF_SEC_6(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "chef", "--uai", "0999001W", "--profile", "head", "--given", "Claire", "--family", "Chef",
		"--password", "Claire-Chef-Filtre-2026", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	db, err := store.Open(ctx, store.Config{DataDir: n.data, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	est, err := db.FindEstablishment(ctx, "0999001W")
	if err != nil {
		t.Fatal(err)
	}
	lou, _ := db.FindPersonByLogin(ctx, "lou.petit")
	zoe, _ := db.FindPersonByLogin(ctx, "zoe.martin")
	g := &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: "6A", Name: "6e A", Kind: directory.Class,
		SchoolYear: core.SchoolYear(time.Now())}
	if err := db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: lou.ID, Role: directory.RoleOwner},
		{GroupID: g.ID, PersonID: zoe.ID, Role: directory.RoleMember}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), Establishment: est.ID, PersonID: lou.ID,
		Right: core.RightFilterDelegate}); err != nil {
		t.Fatal(err)
	}

	// The pupil asks.
	pupil := n.filterSession()
	if r := pupil.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("pupil login: %d", r.StatusCode)
	}
	csrf := pupil.csrf("/filter/ask?site=jeux.example")
	if r, body := pupil.post("/filter/ask", url.Values{"csrf": {csrf}, "site": {"jeux.example"},
		"reason": {"Exposé sur les jeux de société"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ask: %d\n%s", r.StatusCode, body)
	}
	ns, err := db.FindNotices(ctx, lou.ID, true)
	if err != nil || len(ns) != 1 || !strings.Contains(ns[0].Subject, "jeux.example") || !strings.Contains(ns[0].Body, "Exposé") {
		t.Fatalf("teacher's notices: %+v %v", ns, err)
	}

	// The teacher sees it and opens the site for the class.
	teacher := n.filterSession()
	if r := teacher.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	_, page := teacher.get("/filter")
	m := askRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "jeux.example") {
		t.Fatalf("the request is not on the teacher's page:\n%s", page)
	}
	csrf = csrfRE.FindStringSubmatch(page)[1]
	if r, body := teacher.post("/filter/ask/"+m[1]+"/accept", url.Values{"csrf": {csrf}, "group": {"6A"}, "duration": {"55"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", r.StatusCode, body)
	}
	os, err := db.FilterOverrides(ctx, time.Now())
	if err != nil || len(os) != 1 || os[0].Site != "jeux.example" || os[0].Target != "6A" || !os[0].Allow {
		t.Fatalf("overrides after accepting: %+v %v", os, err)
	}
	ns, _ = db.FindNotices(ctx, zoe.ID, true)
	if len(ns) != 1 || !strings.Contains(ns[0].Subject, "acceptée") {
		t.Fatalf("pupil's notices: %+v", ns)
	}
	// Answered once: refusing now is a conflict.
	if r, _ := teacher.post("/filter/ask/"+m[1]+"/refuse", url.Values{"csrf": {csrf}}); r.StatusCode != http.StatusConflict {
		t.Fatalf("second answer: %d", r.StatusCode)
	}

	// The lists page: a bad archive is refused, naming the problem.
	if r := n.login("chef", "Claire-Chef-Filtre-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("head login: %d", r.StatusCode)
	}
	csrf = n.csrf("/filter/lists")
	upload := func(name string, content []byte) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("archive", name)
		fw.Write(content)
		mw.Close()
		req, _ := http.NewRequest("POST", n.base+"/filter/lists/upload", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", n.base)
		resp, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/filter/lists/import/") {
			t.Fatalf("upload %s: %d %s", name, resp.StatusCode, loc)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, body := n.get(loc)
			if r.StatusCode != http.StatusOK || time.Now().After(deadline) {
				return r.StatusCode, body
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	code, body := upload("broken.tar.gz", []byte("\x1f\x8bnot really gzip"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "broken.tar.gz") || !strings.Contains(body, "gzip") {
		t.Fatalf("bad archive: %d\n%s", code, body)
	}
	if _, err := db.LastFilterImport(ctx); !core.IsKind(err, core.NotFound) {
		t.Fatalf("a bad archive was recorded: %v", err)
	}
	good := filterTarGz(t, map[string]string{"blacklists/gambling/domains": "casino.example\n", "blacklists/gambling/usage": "black\n"})
	if code, body := upload("mes-listes.tar.gz", good); code != http.StatusSeeOther {
		t.Fatalf("good archive: %d\n%s", code, body)
	}
	if im, err := db.LastFilterImport(ctx); err != nil || im.Source != "mes-listes.tar.gz" || im.Domains != 1 {
		t.Fatalf("import after the upload: %+v %v", im, err)
	}
	if _, page := n.get("/filter/lists"); !strings.Contains(page, "mes-listes.tar.gz") || !strings.Contains(page, "gambling") {
		t.Fatalf("lists page after the import:\n%s", page)
	}
	for _, p := range []string{"/filter/schedules", "/filter/national", "/filter/blocked?group=6A"} {
		if r, body := n.get(p); r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", p, r.StatusCode, body)
		}
	}

	if testing.Short() {
		return
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/filter/lists", "/filter/lists?lang=en", "/filter", "/filter?lang=en",
		"/filter/schedules", "/filter/schedules?lang=en", "/filter/national", "/filter/national?lang=en",
		"/filter/blocked?group=6A", "/filter/blocked?group=6A&lang=en")
}

// tarGz builds a gzip-compressed tar of files.
func filterTarGz(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}
