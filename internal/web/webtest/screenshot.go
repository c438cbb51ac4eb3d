// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package webtest

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// Screenshot loads url in headless Chromium with a 1280-pixel-wide window
// and writes a PNG of the whole page to file. Without Chromium it skips t
// (see the package documentation).
func Screenshot(t testing.TB, url, file string) {
	t.Helper()
	ScreenshotWidth(t, url, file, 1280)
}

// ScreenshotWidth is [Screenshot] with a window width in CSS pixels, to see
// the narrow (telephone) layout with 390 for example.
func ScreenshotWidth(t testing.TB, url, file string, width int64) {
	t.Helper()
	ctx := tab(t)
	if err := do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(url)); err != nil {
		t.Fatalf("webtest: loading %s: %v", url, err)
	}
	png, err := run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("webtest: screenshot of %s: %v", url, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf("webtest: %v", err)
	}
}
