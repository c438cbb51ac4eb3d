// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package webtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAxeFindsProblems checks the harness itself: a page with an image
// without text, an unlabelled input, low contrast and an inline script must
// be reported, and a clean page must not.
func TestAxeFindsProblems(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped in -short mode")
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/good" {
			_, _ = w.Write([]byte(`<!doctype html><html lang="fr"><head><title>Bien</title></head>` +
				`<body><main><h1>Bien</h1><p>Texte lisible.</p></main></body></html>`))
			return
		}
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>x</title></head><body><main>` +
			`<img src="/a.png"><p style="color:#aaa">pâle</p><script>var a = 1;</script><input></main></body></html>`))
	}))
	defer srv.Close()
	reports := axeReports(t, srv.URL, []string{"/good", "/bad"})
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "axe: /bad:") {
		t.Fatalf("want one report, for /bad; got %q", reports)
	}
	for _, want := range []string{"image-alt [critical, light scheme]", "label [critical",
		"html-has-lang", "color-contrast", "CSP violation: script-src-elem blocked inline", `"img"`} {
		if !strings.Contains(reports[0], want) {
			t.Errorf("report lacks %q:\n%s", want, reports[0])
		}
	}
}
