// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/preau/preau/internal/config"
)

// CARINE: INF-AUT-2 — the admin console requires a second factor: an
// admin without one is sent to set up an authenticator app (TOTP, QR
// code, recovery codes shown once); at the next login the console asks
// for a code; wrong and replayed codes are refused and journaled; a
// recovery code works once; an OIDC application asking for acr loa:2
// gets the person to step up and receives amr ["pwd","otp","mfa"].
func TestStrongAuthentication_INF_AUT_2(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	if r := n.login("tech", "Un-Mot-De-Passe-Solide"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	r, _ := n.get("/admin/")
	if loc := r.Header.Get("Location"); loc != "/login/second-factor?next=%2Fadmin%2F" {
		t.Fatalf("console without a second factor: %d %s", r.StatusCode, loc)
	}
	r, _ = n.get(r.Header.Get("Location"))
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/account/security?required=1") {
		t.Fatalf("no authenticator app yet: should go to enrolment, got %d %s", r.StatusCode, loc)
	}
	secret, codes := n.enrolTOTP()
	if r, _ := n.get("/admin/"); r.StatusCode != 200 {
		t.Fatalf("console after enrolment: %d", r.StatusCode)
	}

	relogin := func() string {
		t.Helper()
		_, page := n.get("/")
		n.post("/logout", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}})
		if r := n.login("tech", "Un-Mot-De-Passe-Solide"); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		r, page := n.get("/login/second-factor?next=%2Fadmin%2F")
		if r.StatusCode != 200 {
			t.Fatalf("second-factor page: %d", r.StatusCode)
		}
		return csrfRE.FindStringSubmatch(page)[1]
	}
	csrf := relogin()
	if r, _ := n.get("/admin/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a password-only session reached the console: %d", r.StatusCode)
	}
	stepUp := func(code string) int {
		r, _ := n.post("/login/second-factor", url.Values{"csrf": {csrf}, "code": {code}, "next": {"/admin/"}})
		return r.StatusCode
	}
	if c := stepUp("000000"); c != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong code: %d", c)
	}
	now, _ := totp.GenerateCode(secret, time.Now()) // the enrolment used this step: a replay
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if now != next {
		if c := stepUp(now); c != http.StatusUnprocessableEntity {
			t.Fatalf("a replayed code: %d", c)
		}
	}
	if c := stepUp(next); c != http.StatusSeeOther {
		t.Fatalf("the next code: %d", c)
	}
	if r, _ := n.get("/admin/"); r.StatusCode != 200 {
		t.Fatalf("console after the second factor: %d", r.StatusCode)
	}

	// A recovery code works once.
	csrf = relogin()
	if c := stepUp(strings.ToUpper(codes[0])); c != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", c)
	}
	csrf = relogin()
	if c := stepUp(codes[0]); c != http.StatusUnprocessableEntity {
		t.Fatalf("a used recovery code: %d", c)
	}

	// An OIDC application that asks for loa:2 makes the person step up.
	rp := newRP(t, n)
	pkce := oauth2.GenerateVerifier()
	authURL := rp.conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("acr_values", "urn:preau:loa:2"))
	r, _ = n.get(strings.TrimPrefix(authURL, n.base))
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/login/second-factor?next=") {
		t.Fatalf("acr_values loa:2 did not ask for a second factor: %d %s", r.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	r, _ = n.post("/login/second-factor", url.Values{"csrf": {csrf}, "code": {codes[1]}, "next": {u.Query().Get("next")}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("step-up: %d", r.StatusCode)
	}
	cb := rp.authorize(t, n.base+r.Header.Get("Location"), "", "")
	tok, err := rp.conf.Exchange(rp.ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	c := rp.idClaims(t, tok)
	if !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) || c.ACR != "urn:preau:loa:2" {
		t.Fatalf("after step-up: amr %v acr %s", c.AMR, c.ACR)
	}
	// A lost phone: the technician removes the second factors; the next
	// visit to the console asks to set up a new one.
	if out := n.cli("user", "factors", "tech"); !regexp.MustCompile(`(?m)^totp\s+totp\s+\S`).MatchString(out) {
		t.Fatalf("user factors: %s", out)
	}
	if _, err := preau(t, n.data, "user", "remove-factor", "tech", "Y2xlLWJsZXVl"); err == nil || !strings.Contains(err.Error(), "no such second factor") {
		t.Fatalf("remove-factor of an unknown key: %v", err)
	}
	if out := n.cli("user", "reset-2fa", "tech"); !strings.Contains(out, "Removed 1 second factor") {
		t.Fatalf("reset-2fa: %s", out)
	}
	_, page := n.get("/")
	n.post("/logout", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}})
	n.login("tech", "Un-Mot-De-Passe-Solide")
	if r, _ := n.get("/login/second-factor?next=%2Fadmin%2F"); !strings.HasPrefix(r.Header.Get("Location"), "/account/security?required=1") {
		t.Fatalf("after reset-2fa: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	out := n.cli("journal", "export", "--format", "jsonl")
	for _, want := range []string{`"auth.totp.enrol"`, `"auth.stepup"`, `"wrong code"`, `"recovery code"`, `"auth.secondfactor.reset"`} {
		if !strings.Contains(out, want) {
			t.Errorf("journal lacks %s", want)
		}
	}
}

// CARINE: INF-AUT-2 — a sensitive action (a directory import) needs a
// recent second-factor proof: an older one is asked again, while the rest
// of the console stays open.
func TestSensitiveActionNeedsRecentProof_INF_AUT_2(t *testing.T) {
	n := startNode(t, func(c *config.File) { c.Auth.StrongMaxAge = time.Second })
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	secret := n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	if r, _ := n.get("/admin/import"); r.StatusCode != 200 {
		t.Fatalf("import page right after the proof: %d", r.StatusCode)
	}
	time.Sleep(1100 * time.Millisecond)
	if r, _ := n.get("/admin/"); r.StatusCode != 200 {
		t.Fatalf("console with an older proof: %d", r.StatusCode)
	}
	r, _ := n.get("/admin/import")
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login/second-factor?next=%2Fadmin%2Fimport") {
		t.Fatalf("import page with an older proof: %d %s", r.StatusCode, loc)
	}
	_, page := n.get("/login/second-factor?next=%2Fadmin%2Fimport")
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	n.post("/login/second-factor", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "code": {code}, "next": {"/admin/import"}})
	if r, _ := n.get("/admin/import"); r.StatusCode != 200 {
		t.Fatalf("import page after a new proof: %d", r.StatusCode)
	}
}
