// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
)

// node is a running App with a browser-like client that trusts its CA.
type node struct {
	t      *testing.T
	app    *app.App
	data   string
	base   string // https://127.0.0.1:port
	client *http.Client
}

// cli runs a preau command against the node's data folder (as a second
// process would) and returns its standard output.
func (n *node) cli(args ...string) string {
	n.t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--data", n.data)
	err := app.Run(context.Background(), args, app.Env{Getenv: func(string) string { return "" },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if err != nil {
		n.t.Fatalf("preau %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func startNode(t *testing.T, opts ...func(*config.File)) *node {
	t.Helper()
	return startClockNode(t, nil, opts...)
}

// startClockNode is startNode with a clock the test controls (nil: the
// real one).
func startClockNode(t *testing.T, clock core.Clock, opts ...func(*config.File)) *node {
	t.Helper()
	cfg := config.Default()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.Data = t.TempDir()
	cfg.Listen.HTTPS, cfg.Listen.HTTP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Listen.LDAP, cfg.Listen.LDAPS = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Listen.Syslog, cfg.Listen.SyslogTLS = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Listen.Proxy, cfg.Listen.ProxyTLS, cfg.Listen.DNS = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Filter.ProxyAllowDestinations = append(cfg.Filter.ProxyAllowDestinations, "127.0.0.0/8") // the tests' local origins
	n := &node{t: t, data: cfg.Data}
	n.cli("init", "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin", "--academie", "Démo",
		"--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie", "--head-family", "Dupont",
		"--admin", "admin", "--hosts", "localhost")
	a, err := app.New(context.Background(), cfg, app.Options{Clock: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	n.app, n.base = a, "https://"+a.Addr("https")
	// A school device first fetches the CA over plain HTTP, then trusts it.
	resp, err := http.Get("http://" + a.Addr("http") + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pool := x509.NewCertPool()
	if resp.StatusCode != 200 || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("CA download: %d %q", resp.StatusCode, caPEM)
	}
	// Everything else on plain HTTP redirects to HTTPS (design §4).
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get("http://" + a.Addr("http") + "/admin/?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != n.base+"/admin/?x=1" {
		t.Fatalf("plain HTTP: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	jar, _ := cookiejar.New(nil)
	n.client = &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return n
}

var (
	passwordRE = regexp.MustCompile(`Account (\S+) .*: (\S+)\n`)
	csrfRE     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func (n *node) get(path string) (*http.Response, string) {
	n.t.Helper()
	resp, err := n.client.Get(n.base + path)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *node) post(path string, form url.Values) (*http.Response, string) {
	n.t.Helper()
	req, _ := http.NewRequest("POST", n.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", n.base)
	resp, err := n.client.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *node) login(login, pw string) *http.Response {
	n.t.Helper()
	resp, _ := n.post("/login", url.Values{"login": {login}, "password": {pw}, "next": {"/admin/"}})
	return resp
}

var secretRE = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)

var recoveryRE = regexp.MustCompile(`<li><code>([a-z0-9-]{14})</code></li>`)

// enrolTOTP sets up an authenticator app for the logged-in person, as
// the admin console requires (INF-AUT-2), and returns its secret and the
// recovery codes. The session becomes strong.
func (n *node) enrolTOTP() (secret string, codes []string) {
	n.t.Helper()
	_, page := n.get("/account/security")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		n.t.Fatalf("security page:\n%s", page)
	}
	_, page = n.post("/account/security/totp", url.Values{"csrf": {m[1]}})
	sm := secretRE.FindStringSubmatch(page)
	if sm == nil {
		n.t.Fatalf("no TOTP key on the enrolment page:\n%s", page)
	}
	secret = strings.ReplaceAll(sm[1], " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		n.t.Fatal(err)
	}
	r, body := n.post("/account/security/totp/confirm", url.Values{"csrf": {m[1]}, "code": {code}})
	for _, c := range recoveryRE.FindAllStringSubmatch(body, -1) {
		codes = append(codes, c[1])
	}
	if r.StatusCode != 200 || len(codes) != 10 {
		n.t.Fatalf("TOTP confirmation: %d, %d recovery codes\n%s", r.StatusCode, len(codes), body)
	}
	return secret, codes
}

// adminLogin logs an admin in with a password and sets up an
// authenticator app; it returns the app's secret.
func (n *node) adminLogin(login, pw string) string {
	n.t.Helper()
	if r := n.login(login, pw); r.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("login %s: %d", login, r.StatusCode)
	}
	secret, _ := n.enrolTOTP()
	return secret
}

// TestEndToEnd drives a whole node as a browser and a technician would: CA
// download over plain HTTP, French login page, forced first password
// change, admin home with counts, CLI changes seen by the running node, the
// JSON API with a bearer token, and a journal that verifies.
func TestEndToEnd(t *testing.T) {
	n := startNode(t)
	initOut := n.cli("user", "list", "--format", "json")
	if !strings.Contains(initOut, `"login": "m.dupont"`) {
		t.Fatalf("init did not create the head: %s", initOut)
	}
	resp, body := n.get("/")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous portal: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = n.get("/login")
	if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="fr"`) || !strings.Contains(body, "Connexion") ||
		resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("login page: %d\n%s", resp.StatusCode, body)
	}
	// A technician resets the admin password from the CLI (the init one was printed once).
	out := n.cli("user", "reset-password", "admin", "--password", "Premier-Essai-2026")
	if !strings.Contains(out, "Premier-Essai-2026") {
		t.Fatalf("reset output: %s", out)
	}
	if r := n.login("admin", "wrong password"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	if r := n.login("admin", "Premier-Essai-2026"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/password" {
		t.Fatalf("must-change login should go to /password: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := n.get("/admin/"); r.Header.Get("Location") != "/password" {
		t.Fatalf("a must-change session reached the console: %d", r.StatusCode)
	}
	_, body = n.get("/password")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the password page:\n%s", body)
	}
	if r, _ := n.post("/password", url.Values{"current": {"Premier-Essai-2026"}, "new": {"Une phrase assez longue"},
		"confirm": {"Une phrase assez longue"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("password change without the CSRF token: %d", r.StatusCode)
	}
	if r, b := n.post("/password", url.Values{"csrf": {m[1]}, "current": {"Premier-Essai-2026"},
		"new": {"Une phrase assez longue"}, "confirm": {"Une phrase assez longue"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("password change: %d\n%s", r.StatusCode, b)
	}
	if r, _ := n.get("/admin/"); !strings.HasPrefix(r.Header.Get("Location"), "/login/second-factor") {
		t.Fatalf("the console let in an admin without a second factor: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	n.enrolTOTP()
	resp, body = n.get("/admin/")
	if resp.StatusCode != 200 || !strings.Contains(body, "0999001W") || !strings.Contains(body, "Collège Jean Moulin") {
		t.Fatalf("admin home: %d\n%s", resp.StatusCode, body)
	}
	// A pupil added by the CLI while the node runs is counted at once.
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	_, body = n.get("/admin/")
	if !regexp.MustCompile(`<td class="num">3</td><td class="num">1</td>`).MatchString(body) {
		t.Fatalf("counts after the CLI added a pupil:\n%s", body)
	}
	// A body larger than a form may be is refused before anything reads it.
	big, _ := http.NewRequest("POST", n.base+"/password", strings.NewReader(strings.Repeat("a", 2<<20)))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	big.Header.Set("Origin", n.base)
	if r, err := n.client.Do(big); err != nil || r.StatusCode != http.StatusBadRequest {
		t.Fatalf("oversized body: %v %v", err, r)
	} else {
		r.Body.Close()
	}
	testAPI(t, n)
	testSessionEndsWhenDisabled(t, n)
	if out := n.cli("journal", "verify"); !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %s", out)
	}
}

func testAPI(t *testing.T, n *node) {
	out := n.cli("user", "token", "admin", "--name", "test")
	tok := strings.TrimSpace(out[strings.LastIndex(out, " "):])
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, n.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Transport: n.client.Transport}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, v := call("GET", "/api/v1/establishments", "")
	if code != 200 || len(v["establishments"].([]any)) != 1 {
		t.Fatalf("establishments: %d %v", code, v)
	}
	// CARINE: INF-ANN-8 — the API refuses a forbidden field by name.
	code, v = call("POST", "/api/v1/people", `{"login":"tom.b","given_name":"Tom","family_name":"B","profile":"pupil",
		"establishments":["0999001W"],"birthDate":"2013-05-02"}`)
	msg, _ := v["error"].(map[string]any)["message"].(string)
	if code != 400 || !strings.Contains(msg, "birthDate") {
		t.Fatalf("birthDate accepted or not named: %d %v", code, v)
	}
	if _, v := call("GET", "/api/v1/people?q=tom", ""); v["total"].(float64) != 0 {
		t.Fatal("a refused person was stored")
	}
	code, v = call("POST", "/api/v1/people", `{"login":"tom.b","given_name":"Tom","family_name":"B","profile":"pupil",
		"establishments":["0999001W"]}`)
	if code != 201 || v["login"] != "tom.b" {
		t.Fatalf("create: %d %v", code, v)
	}
	if code, _ := call("GET", "/api/v1/journal?action=directory.person.create", ""); code != 200 {
		t.Fatalf("journal API: %d", code)
	}
	req, _ := http.NewRequest("GET", n.base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer preau_forged")
	resp, _ := (&http.Client{Transport: n.client.Transport}).Do(req)
	if resp.StatusCode != 401 {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
}

// testSessionEndsWhenDisabled: a change made by another process (the CLI)
// reaches the running node's next request.
func testSessionEndsWhenDisabled(t *testing.T, n *node) {
	jar, _ := cookiejar.New(nil)
	pupil := &node{t: t, base: n.base, data: n.data, client: &http.Client{Jar: jar, Transport: n.client.Transport,
		CheckRedirect: n.client.CheckRedirect}}
	if r := pupil.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("pupil login: %d", r.StatusCode)
	}
	if r, b := pupil.get("/"); r.StatusCode != 200 || !strings.Contains(b, "Bonjour Zoé") {
		t.Fatalf("pupil portal: %d\n%s", r.StatusCode, b)
	}
	if r, _ := pupil.get("/admin/"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("pupil reached the console: %d", r.StatusCode)
	}
	n.cli("user", "disable", "zoe.martin")
	if r, _ := pupil.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled pupil still served: %d", r.StatusCode)
	}
}
