// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package webtest checks pages in a real browser: accessibility with
// axe-core ([Axe]) and screenshots ([Screenshot]). It drives Debian's headless
// Chromium (/usr/bin/chromium) through the DevTools protocol with chromedp.
// Only tests import it.
//
// Without Chromium the checks skip, unless PREAU_TEST_STRICT=1, which makes
// them fail so that CI cannot pass silently without a browser.
package webtest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// StrictEnv names the environment variable that turns a missing browser into
// a test failure when set to "1".
const StrictEnv = "PREAU_TEST_STRICT"

// pageTimeout bounds one page load or script run. It is a deadline for a
// stuck browser, not a wait: a healthy run ends long before it.
const pageTimeout = 60 * time.Second

// requireChromium skips t (or fails it in strict mode) when the browser is
// missing.
func requireChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err == nil {
		return
	}
	msg := "webtest: " + ChromiumPath + " not found; install it with `apt-get install chromium`"
	if os.Getenv(StrictEnv) == "1" {
		t.Fatal(msg + " (" + StrictEnv + "=1)")
	}
	t.Skip(msg + "; set " + StrictEnv + "=1 to fail instead")
}

// browsers holds the browser of each running test (testing.TB → the
// chromedp context that owns it), so that several checks in one test share
// one browser process.
var browsers sync.Map

// The gate lets one test's browser run at a time in a test binary: several
// Chromium processes at once on a small machine made page waits run past
// their deadline. A test's subtests share their root test's turn.
var (
	gate        = make(chan struct{}, 1)
	gateMu      sync.Mutex
	gateHolders = map[string]int{} // root test name → browsers open
)

// enterGate waits for the browser turn of t's root test (at once when the
// root already has it) and gives it back when the last of its browsers ends.
func enterGate(t testing.TB) {
	root, _, _ := strings.Cut(t.Name(), "/")
	gateMu.Lock()
	held := gateHolders[root] > 0
	if held {
		gateHolders[root]++
	}
	gateMu.Unlock()
	if !held {
		gate <- struct{}{}
		gateMu.Lock()
		gateHolders[root]++
		gateMu.Unlock()
	}
	t.Cleanup(func() {
		gateMu.Lock()
		gateHolders[root]--
		last := gateHolders[root] == 0
		gateMu.Unlock()
		if last {
			<-gate
		}
	})
}

// tab returns a chromedp context for a new tab of t's browser, starting a
// headless Chromium with a fresh profile on t's first call. The tab closes
// when t ends, and the browser after it.
func tab(t testing.TB) context.Context {
	t.Helper()
	requireChromium(t)
	bctx, ok := browsers.Load(t)
	if !ok {
		enterGate(t) // before startBrowser: its cleanup then runs after the browser stopped
		bctx = startBrowser(t)
		browsers.Store(t, bctx)
		t.Cleanup(func() { browsers.Delete(t) })
	}
	ctx, cancel := chromedp.NewContext(bctx.(context.Context))
	t.Cleanup(cancel) // cleanups run last-in first-out: before the browser stops
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("webtest: opening a tab: %v", err)
	}
	return ctx
}

// startBrowser starts Chromium for t and returns the context of its first
// tab, which owns the browser process.
func startBrowser(t testing.TB) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.IgnoreCertErrors, // httptest.NewTLSServer's self-signed certificate
		chromedp.WindowSize(1280, 900),
		// No UserDataDir: chromedp creates a fresh one and removes it.
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelFirst := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelFirst()
		cancelAlloc() // waits for the browser to exit
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout
		t.Fatalf("webtest: starting %s: %v", ChromiumPath, err)
	}
	return ctx
}

// do runs steps on the tab of ctx with the page timeout.
func do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	tctx, cancel := context.WithTimeout(ctx, pageTimeout)
	defer cancel()
	return chromedp.Do(tctx, steps...)
}

// run runs one action that returns a value, with the page timeout.
func run[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	tctx, cancel := context.WithTimeout(ctx, pageTimeout)
	defer cancel()
	return chromedp.Run(tctx, a)
}
