// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/preau/preau/internal/web/webtest"
)

// TestFilterPagesAreAccessible runs axe-core on the filter's pages, as the
// head (who holds filter.delegate) sees them, in French and English.
func TestFilterPagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "chef", "--uai", "0999001W", "--profile", "head", "--given", "Claire", "--family", "Chef",
		"--password", "Claire-Chef-Filtre-2026", "--must-change=false")
	if r := n.login("chef", "Claire-Chef-Filtre-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	if r, body := n.get("/filter"); r.StatusCode != http.StatusOK {
		t.Fatalf("/filter: %d\n%s", r.StatusCode, body)
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/filter", "/filter?lang=en", "/filter?check=example.org", "/filter/settings",
		"/filter/settings?lang=en", "/filter/ask?site=example.org")

	// The proxy's block page, as a pupil gets it, in French and English.
	lists := t.TempDir()
	if err := os.MkdirAll(filepath.Join(lists, "gambling"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(lists, "gambling", "domains"), []byte("casino.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, "gambling", "usage"), []byte("black\n"), 0o644)
	n.cli("filter", "import-lists", lists)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	pupil := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http",
		Host: n.app.Addr("proxy"), User: url.UserPassword("zoe.martin", "Bonjour-Zoe-2026")})}}
	pages := map[string][]byte{}
	for _, lang := range []string{"fr", "en"} {
		deadline := time.Now().Add(15 * time.Second)
		for {
			req, _ := http.NewRequest("GET", "http://casino.example/", nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := pupil.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusForbidden {
				pages["/block-"+lang] = b
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no block page: %d", resp.StatusCode)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[r.URL.Path])
	}))
	defer static.Close()
	webtest.Axe(t, static.URL, "/block-fr", "/block-en")
}
