// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/preau/preau/internal/web/webtest"
)

// CARINE: INF-AUT-2 — in headless Chromium, an admin asked for strong
// authentication sets up an authenticator app from the QR page, sees the
// recovery codes, reaches the console, and at the next login steps up with
// a code typed on the keyboard.
func TestTOTPEnrolmentAndStepUpInBrowser_INF_AUT_2(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	ctx := webtest.Tab(t)
	login := func() {
		t.Helper()
		if err := webtest.Do(ctx, chromedp.Navigate(n.base+"/login?next=%2Fadmin%2F"),
			chromedp.SendKeys("#f-login", "tech"), chromedp.SendKeys("#f-password", "Un-Mot-De-Passe-Solide\r"),
			chromedp.WaitNotPresent("#f-password")); err != nil {
			t.Fatal(err)
		}
	}
	// step acts and, when the action changes page, waits the change out
	// before looking for ready (a JavaScript condition): a query sent to
	// the page being left may never return.
	step := func(act chromedp.Action[chromedp.Void], ready string) {
		t.Helper()
		err := webtest.AwaitNavigation(ctx, func() error { return webtest.Do(ctx, act) })
		if err == nil {
			err = webtest.WaitFor(ctx, ready)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := webtest.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	login()
	if loc, _ := webtest.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/account/security?required=1") {
		t.Fatalf("after login, the console should ask to set up an app; at %s", loc)
	}
	step(chromedp.Click(`form[action="/account/security/totp"] button`), `!!document.querySelector("code.secret")`)
	secret := strings.ReplaceAll(text("code.secret"), " ", "")
	code, _ := totp.GenerateCode(secret, time.Now())
	step(chromedp.SendKeys("#f-code", code+"\r"), `!!document.querySelector("ol.codes")`)
	if codes := strings.Fields(text("ol.codes")); len(codes) != 10 {
		t.Fatalf("recovery codes: %v", codes)
	}
	step(chromedp.Click("a.button-primary"), `!!document.querySelector("h1") && !document.querySelector("ol.codes")`)
	if body := text("main"); !strings.Contains(body, "0999001W") {
		t.Fatalf("console after enrolment:\n%s", body)
	}

	// Next login: the console asks for the code, typed with the keyboard.
	if err := webtest.Do(ctx, chromedp.Click("details.user-menu summary"),
		chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#f-login")); err != nil {
		t.Fatal(err)
	}
	login()
	if loc, _ := webtest.Run(ctx, chromedp.Location()); !strings.Contains(loc, "/login/second-factor") {
		t.Fatalf("second login: at %s, want the second-factor page", loc)
	}
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err := webtest.Do(ctx, chromedp.SendKeys("#f-code", next+"\r"), chromedp.WaitNotPresent("#f-code")); err != nil {
		t.Fatal(err)
	}
	if loc, _ := webtest.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/admin/") {
		t.Fatalf("after the code: at %s, want the console", loc)
	}
}
