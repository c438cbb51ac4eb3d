// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/web/webtest"
)

// TestPortalLoginBindsAddress: a portal login binds the device's address:
// the proxy then lets it through without credentials and applies the
// person's own policy (a pupil: gambling blocked; a teacher who logs in on
// the same device afterwards: not), curl -x included; logging out unbinds
// it (407 again); binds and unbinds are journaled; the captive portal's
// page offers the page first asked for.
// CARINE: INF-AUT-1, INF-SEC-1
func TestPortalLoginBindsAddress_INF_AUT_1(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	// Two loopback origins: 127.0.0.1 allowed, 127.0.0.2 in the gambling list.
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello "+r.Host) })
	origin := httptest.NewServer(hello)
	defer origin.Close()
	casino := httptest.NewUnstartedServer(hello)
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	casino.Listener.Close()
	casino.Listener = ln
	casino.Start()
	defer casino.Close()
	lists := t.TempDir()
	os.MkdirAll(filepath.Join(lists, "gambling"), 0o755)
	os.WriteFile(filepath.Join(lists, "gambling", "domains"), []byte("127.0.0.2\ncasino.example\n"), 0o644)
	os.WriteFile(filepath.Join(lists, "gambling", "usage"), []byte("black\n"), 0o644)
	n.cli("filter", "import-lists", lists)

	proxy := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: n.app.Addr("proxy")})}}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := proxy.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(origin.URL); code != http.StatusProxyAuthRequired {
		t.Fatalf("before any login: %d", code)
	}
	if r := n.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal login: %d", r.StatusCode)
	}
	if code, body := get(origin.URL); code != 200 || !strings.HasPrefix(body, "hello") {
		t.Fatalf("bound pupil, allowed origin: %d %s", code, body)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, body := get(casino.URL)
		if code == 403 && strings.Contains(body, "Site bloqué") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bound pupil, gambling origin: %d %s", code, body)
		}
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		out, _ := exec.Command(curl, "-sS", "--max-time", "10", "-x", "http://"+n.app.Addr("proxy"), origin.URL+"/curl").CombinedOutput()
		if !strings.HasPrefix(string(out), "hello") {
			t.Fatalf("curl -x without credentials from a bound address: %s", out)
		}
	} else if os.Getenv("PREAU_TEST_STRICT") == "1" {
		t.Fatal("curl is not installed (Debian package curl)")
	}
	// The captive portal's page: the address is bound to this session; the
	// page first asked for is offered as a link.
	if r, body := n.get("/internet?return=" + url.QueryEscape("http://example.org/lesson")); r.StatusCode != 200 ||
		!strings.Contains(body, "Accès à internet") || !strings.Contains(body, `href="http://example.org/lesson"`) ||
		!strings.Contains(body, "zoe.martin") {
		t.Fatalf("/internet: %d %s", r.StatusCode, body)
	}
	// The teacher logs in on the same device: their policy applies.
	jar, _ := cookiejar.New(nil)
	teacher := &node{t: t, app: n.app, base: n.base, data: n.data, client: &http.Client{Jar: jar, Transport: n.client.Transport,
		CheckRedirect: n.client.CheckRedirect}}
	if r := teacher.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	if code, body := get(casino.URL); code != 200 {
		t.Fatalf("bound teacher, gambling origin: %d %s", code, body)
	}
	// Logging out unbinds the address.
	_, page := teacher.get("/")
	teacher.post("/logout", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}})
	if code, _ := get(origin.URL); code != http.StatusProxyAuthRequired {
		t.Fatalf("after logout: %d", code)
	}
	out := n.cli("journal", "export")
	if strings.Count(out, "filter.bind") < 2 || !strings.Contains(out, "filter.unbind") {
		t.Fatalf("journal lacks the binds and the unbind")
	}
	// Anonymous, the captive portal's page asks for the login first.
	noLogin := &http.Client{Transport: n.client.Transport, CheckRedirect: n.client.CheckRedirect}
	resp, err := noLogin.Get(n.base + "/internet?return=http%3A%2F%2Fexample.org%2F")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=%2Finternet") {
		t.Fatalf("anonymous /internet: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestInternetPageIsAccessible runs axe-core on the captive portal's page.
// CARINE: INF-AUT-1
func TestInternetPageIsAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	if r := n.login("zoe.martin", "Bonjour-Zoe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/internet?return=http%3A%2F%2Fexample.org%2F", "/internet?lang=en")
}

// TestInterceptionCADownload: with filter.tls_interception on, the node
// creates its interception CA in the data folder and serves it on the
// plain HTTP port for managed devices; off (the default), there is none.
// CARINE: INF-SEC-1
func TestInterceptionCADownload(t *testing.T) {
	for _, on := range []bool{false, true} {
		n := startNode(t, func(c *config.File) { c.Filter.TLSInterception = on })
		resp, err := http.Get("http://" + n.app.Addr("http") + "/filter-ca.crt")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, statErr := os.Stat(filepath.Join(n.data, "filter", "intercept-ca.key"))
		if on && (resp.StatusCode != 200 || !strings.HasPrefix(string(b), "-----BEGIN CERTIFICATE-----") || statErr != nil) {
			t.Fatalf("interception on: %d %s %v", resp.StatusCode, b, statErr)
		}
		if !on && (resp.StatusCode != 404 || statErr == nil) {
			t.Fatalf("interception off: %d %v", resp.StatusCode, statErr)
		}
	}
}
