// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/preau/preau/internal/web/webtest"
)

// CARINE: INF-AUT-2, INF-AUT-12 — in headless Chromium with a virtual
// platform authenticator (a passkey whose device checks the person itself,
// as a fingerprint sensor would: no biometric data reaches the server), an
// admin asked for strong authentication adds a key from the security page
// and reaches the console; at the next login the second-factor page offers
// the key, which makes the session strong. The journal records the
// enrolment and the step-up with method hwk. On an IP address the page
// says that passkeys need the server's name. The pages pass axe-core with
// no CSP violation.
func TestPasskeyEnrolmentAndStepUpInBrowser_INF_AUT_2(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	ctx := webtest.Tab(t)
	if err := webtest.RecordCSP(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := webtest.Run(ctx, chromedp.Action[cdp.Empty](func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{})
	})); err != nil {
		t.Fatalf("enabling WebAuthn in DevTools: %v", err)
	}
	added, err := webtest.Run(ctx, chromedp.Action[webauthn.AddVirtualAuthenticatorResult](
		func(ctx context.Context, tg *chromedp.Target) (webauthn.AddVirtualAuthenticatorResult, error) {
			return cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
				Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
					Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
					HasResidentKey: true, HasUserVerification: true, IsUserVerified: true,
					AutomaticPresenceSimulation: true}})
		}))
	if err != nil {
		t.Fatalf("adding a virtual authenticator: %v", err)
	}
	// WebAuthn needs a host name: the node's certificate covers localhost.
	base := strings.Replace(n.base, "127.0.0.1", "localhost", 1)
	login := func() {
		t.Helper()
		if err := webtest.Do(ctx, chromedp.Navigate(base+"/login?next=%2Fadmin%2F"),
			chromedp.SendKeys("#f-login", "tech"), chromedp.SendKeys("#f-password", "Un-Mot-De-Passe-Solide\r"),
			chromedp.WaitNotPresent("#f-password")); err != nil {
			t.Fatal(err)
		}
	}
	location := func() string {
		t.Helper()
		loc, err := webtest.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
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
	if loc := location(); !strings.Contains(loc, "/account/security?required=1") {
		t.Fatalf("after login, the console should ask for a second factor; at %s", loc)
	}
	// passkey.js shows the form; the key is named with the keyboard and
	// added with Enter.
	if err := webtest.Do(ctx, chromedp.WaitVisible("form[data-passkey-register]"),
		chromedp.WaitNotVisible("[data-passkey-nojs]")); err != nil {
		t.Fatal(err)
	}
	webtest.AxeCurrent(t, ctx, "security page, adding a key")
	if err := webtest.AwaitNavigation(ctx, func() error {
		return webtest.Do(ctx, chromedp.SendKeys("#f-passkey-name", "Clé de test\r"))
	}); err != nil {
		t.Fatalf("adding a key: %v (status: %q)", err, text("[data-passkey-status]"))
	}
	if loc := location(); !strings.HasSuffix(loc, "/admin/") {
		t.Fatalf("after adding a key: at %s, want the console", loc)
	}
	creds, err := webtest.Run(ctx, chromedp.Action[webauthn.GetCredentialsResult](
		func(ctx context.Context, tg *chromedp.Target) (webauthn.GetCredentialsResult, error) {
			return cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: added.AuthenticatorID})
		}))
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator's credentials: %v %+v", err, creds.Credentials)
	}

	// Next login: the second-factor page offers the key (no app is set up,
	// so no code field).
	if err := webtest.Do(ctx, chromedp.Click("details.user-menu summary"),
		chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible("#f-login")); err != nil {
		t.Fatal(err)
	}
	login()
	if loc := location(); !strings.Contains(loc, "/login/second-factor") {
		t.Fatalf("second login: at %s, want the second-factor page", loc)
	}
	if err := webtest.Do(ctx, chromedp.WaitVisible("button[data-passkey-login]")); err != nil {
		t.Fatal(err)
	}
	if codeField, _ := webtest.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#f-code') !== null`)); codeField {
		t.Error("the second-factor page shows a code field to a person without an authenticator app")
	}
	webtest.AxeCurrent(t, ctx, "second-factor page with a key")
	if err := webtest.AwaitNavigation(ctx, func() error {
		return webtest.Do(ctx, chromedp.Focus("button[data-passkey-login]"), chromedp.KeyEvent("\r"))
	}); err != nil {
		t.Fatalf("using the key: %v (status: %q)", err, text("[data-passkey-status]"))
	}
	if loc := location(); !strings.HasSuffix(loc, "/admin/") {
		t.Fatalf("after the key: at %s, want the console", loc)
	}

	// The security page lists the key, used today.
	if err := webtest.Do(ctx, chromedp.Navigate(base+"/account/security?lang=fr"), chromedp.WaitVisible("ul.passkey-list")); err != nil {
		t.Fatal(err)
	}
	if list := text("ul.passkey-list"); !strings.Contains(list, "Clé de test") || strings.Contains(list, "jamais utilisée") {
		t.Errorf("key list: %q", list)
	}
	webtest.AxeCurrent(t, ctx, "security page with a key")

	// On an IP address, passkeys cannot work: the page says so and offers
	// no form (the authenticator app stays available).
	if err := webtest.Do(ctx, chromedp.Navigate(n.base+"/login"), chromedp.SendKeys("#f-login", "tech"),
		chromedp.SendKeys("#f-password", "Un-Mot-De-Passe-Solide\r"), chromedp.WaitNotPresent("#f-password"),
		chromedp.Navigate(n.base+"/account/security?lang=fr"), chromedp.WaitVisible("section.passkeys")); err != nil {
		t.Fatal(err)
	}
	if s := text("section.passkeys"); !strings.Contains(s, "adresse IP (127.0.0.1)") {
		t.Errorf("passkey section on an IP address: %q", s)
	}
	if form, _ := webtest.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[data-passkey-register]') !== null`)); form {
		t.Error("the key form is offered on an IP address")
	}

	var enrol, stepUp bool
	for line := range strings.SplitSeq(strings.TrimSpace(n.cli("journal", "export", "--format", "jsonl")), "\n") {
		var e struct {
			Action, Result string
			Attributes     []string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		hwk := slices.Contains(e.Attributes, "method:hwk") && e.Result == "done"
		enrol = enrol || (e.Action == "auth.passkey.enrol" && hwk)
		stepUp = stepUp || (e.Action == "auth.stepup" && hwk)
	}
	if !enrol || !stepUp {
		t.Errorf("journal: passkey enrolment %v, step-up %v (both with method:hwk)", enrol, stepUp)
	}
}
