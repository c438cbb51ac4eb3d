// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/preau/preau/internal/web"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	h := web.Static()
	for _, tc := range []struct{ name, ctype string }{
		{"preau.css", "text/css; charset=utf-8"},
		{"preau.js", "text/javascript; charset=utf-8"},
		{"sse.js", "text/javascript; charset=utf-8"},
		{"favicon.svg", "image/svg+xml"},
	} {
		u := web.StaticURL(tc.name)
		if !regexp.MustCompile(`^/static/[0-9a-f]{16}/` + regexp.QuoteMeta(tc.name) + `$`).MatchString(u) {
			t.Fatalf("StaticURL(%q) = %q", tc.name, u)
		}
		w := do(h, http.MethodGet, u, "")
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", u, w.Code)
		}
		sum := sha256.Sum256(w.Body.Bytes())
		if !strings.Contains(u, "/"+hex.EncodeToString(sum[:8])+"/") {
			t.Errorf("%s: hash does not match the content", u)
		}
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, got)
		}
		if got := w.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", u, got, tc.ctype)
		}
	}
	for _, bad := range []string{
		"/static/0000000000000000/preau.css",
		strings.Replace(web.StaticURL("preau.css"), "preau.css", "nope.css", 1),
		"/static/preau.css",
		"/static/",
	} {
		if w := do(h, http.MethodGet, bad, ""); w.Code != 404 || w.Header().Get("Cache-Control") == "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: %d, Cache-Control %q", bad, w.Code, w.Header().Get("Cache-Control"))
		}
	}
	if u := web.StaticURL("nope.css"); u != "" {
		t.Errorf("StaticURL(nope.css) = %q", u)
	}
}

// TestNoInlineScriptOrStyle guards the CSP: the shell's templates must not
// hold inline scripts, style attributes or event handler attributes.
func TestNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	h := newSampleServer(t, nil)
	bad := regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, p := range []string{"/form?invalid", "/components", "/progress", "/boom", "/nope"} {
		if m := bad.FindString(do(h, http.MethodGet, p, "").Body.String()); m != "" {
			t.Errorf("%s holds %q", p, m)
		}
	}
}
