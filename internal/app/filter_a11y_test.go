// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"testing"

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
}
