// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
)

// entryPoints lists every channel through which a person can present a
// password, and how the first-login change is enforced there. A channel
// that Préau does not serve yet must have no listener in config.Listen:
// adding one (WebDAV, the proxy, IMAP, SMTP) makes this test fail until the
// new entry point proves it refuses a must-change account.
var entryPoints = map[core.Channel]string{
	core.ChannelWeb:   "the web forces the change page; OIDC and CAS sign-ins go through it",
	core.ChannelLDAP:  "a bind succeeds restricted to Password Modify, with ppolicy changeAfterReset",
	core.ChannelAPI:   "API tokens, not passwords; only service accounts and admins hold them",
	core.ChannelDAV:   "WebDAV refuses the credentials with 403 and a message pointing to the portal",
	core.ChannelProxy: "the filtering proxy answers 407 until the password is changed on the portal",
	core.ChannelIMAP:  "not served yet (mail)",
	core.ChannelSMTP:  "not served yet (mail)",
}

// CARINE: INF-AUT-7 — an account whose password was handed out (or reset)
// can do nothing but change it, on every entry point: the web and the
// applications signed in through it (OIDC, CAS) redirect to the change
// page, and an LDAP bind (ldapwhoami) is told changeAfterReset.
func TestFirstLoginChangeOnEveryEntryPoint_INF_AUT_7(t *testing.T) {
	listeners := reflect.TypeOf(config.Listen{})
	for _, ch := range []core.Channel{core.ChannelIMAP, core.ChannelSMTP} {
		for i := range listeners.NumField() {
			if strings.EqualFold(listeners.Field(i).Name, string(ch)) || strings.Contains(strings.ToLower(listeners.Field(i).Name), string(ch)) {
				t.Errorf("config.Listen has %s: add the %s entry point to this test and prove it refuses a must-change account",
					listeners.Field(i).Name, ch)
			}
		}
		if !strings.HasPrefix(entryPoints[ch], "not served") {
			t.Errorf("%s is served: prove it here", ch)
		}
	}

	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=true")
	oidcApp := newRP(t, n)
	casOut := n.cli("sso", "add", "cas", "ENT", "--service", "https://ent.example.test/*")
	if !strings.Contains(casOut, "client_id") {
		t.Fatalf("sso add cas: %s", casOut)
	}
	if r := n.login("zoe.martin", "Bonjour-Zoe-2026"); r.Header.Get("Location") != "/password" {
		t.Fatalf("web login: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	for name, path := range map[string]string{
		"portal": "/",
		"OIDC":   strings.TrimPrefix(oidcApp.conf.AuthCodeURL("s", oauth2S256(t)), n.base),
		"CAS":    "/cas/login?service=" + url.QueryEscape("https://ent.example.test/app"),
	} {
		if r, _ := n.get(path); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/password" {
			t.Errorf("%s before the change: %d %s", name, r.StatusCode, r.Header.Get("Location"))
		}
	}

	// WebDAV (on the HTTPS port): the credentials are refused with the
	// reason, before any file is reached.
	req, _ := http.NewRequest("PROPFIND", n.base+"/dav/home/", nil)
	req.SetBasicAuth("zoe.martin", "Bonjour-Zoe-2026")
	req.Header.Set("Depth", "1")
	resp, err := n.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "must be changed") {
		t.Errorf("WebDAV before the change: %d %s", resp.StatusCode, body)
	}
	// The filtering proxy refuses the account (407) until the change.
	proxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: n.app.Addr("proxy"),
		User: url.UserPassword("zoe.martin", "Bonjour-Zoe-2026")})}}
	if r, err := proxy.Get("http://127.0.0.1:1/"); err != nil || r.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("proxy before the change: %v %v", r, err)
	} else {
		r.Body.Close()
	}

	needLDAPUtils(t, "ldapwhoami")
	out, _ := exec.Command("ldapwhoami", "-x", "-e", "ppolicy", "-H", "ldap://"+n.app.Addr("ldap"),
		"-D", "zoe.martin", "-w", "Bonjour-Zoe-2026").CombinedOutput()
	if !strings.Contains(string(out), "must be changed") && !strings.Contains(string(out), "changeAfterReset") {
		t.Fatalf("ldapwhoami does not tell the person to change the password:\n%s", out)
	}
}
