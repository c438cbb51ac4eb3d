// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/preau/preau/internal/web/webtest"
)

// TestAccessibility runs axe-core (WCAG 2.1 A and AA) over the shell's pages
// in both languages and both colour schemes, in headless Chromium.
//
// CARINE: INF-PDT-12 (the product's own web UIs meet WCAG 2.1 AA / RGAA).
func TestAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped in -short mode")
	}
	srv := httptest.NewTLSServer(newSampleServer(t, nil))
	defer srv.Close()
	var paths []string
	for _, lang := range []string{"fr", "en"} {
		for _, p := range []string{"/form?", "/form?invalid&", "/components?", "/progress?", "/boom?", "/nope?", "/denied?"} {
			paths = append(paths, p+"lang="+lang)
		}
	}
	webtest.Axe(t, srv.URL, paths...)
}

// TestScreenshots writes PNGs of the sample pages into the folder named by
// PREAU_SCREENSHOT_DIR, for a person to look at; it skips when unset.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PREAU_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set PREAU_SCREENSHOT_DIR to write screenshots")
	}
	srv := httptest.NewServer(newSampleServer(t, nil))
	defer srv.Close()
	for name, path := range map[string]string{
		"form": "/form?invalid&lang=fr", "form-en": "/form?lang=en", "components": "/components?lang=fr",
		"error": "/boom?lang=fr", "denied": "/denied?lang=en", "progress": "/progress?lang=fr",
	} {
		webtest.Screenshot(t, srv.URL+path, filepath.Join(dir, name+".png"))
	}
	webtest.ScreenshotWidth(t, srv.URL+"/form?invalid&lang=fr", filepath.Join(dir, "form-narrow.png"), 390)
}
