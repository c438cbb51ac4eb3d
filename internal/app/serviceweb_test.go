// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/preau/preau/internal/web/webtest"
)

var (
	svcSecretRE = regexp.MustCompile(`data-secret>([^<]+)<`)
	svcEstRE    = regexp.MustCompile(`<select id="f-est" name="est"[^>]*><option value="([^"]+)"`)
	svcIDRE     = regexp.MustCompile(`href="/admin/services/([0-9a-f-]{36})\?`)
)

// CARINE: INF-ANN-6, INF-ANN-1 — a technical admin gives a Moodle its own
// directory account from the console, ticking the attributes uid and mail
// and the teacher profile; bound as it, Debian's ldapsearch reads the
// teachers' uid and mail and nothing else. The password is shown once on
// the page, with the bind DN and the node's LDAP addresses. The pages pass
// axe-core (WCAG 2.1 AA) in French and English.
func TestServiceAccountWebUI_INF_ANN_6(t *testing.T) {
	needLDAPUtils(t, "ldapsearch")
	n, _ := ldapNode(t)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/admin/")
	if !strings.Contains(page, `href="/admin/services"`) {
		t.Fatal("the console's home has no link to the application accounts")
	}
	_, page = n.get("/admin/services/new")
	csrf, est := csrfRE.FindStringSubmatch(page), svcEstRE.FindStringSubmatch(page)
	if csrf == nil || est == nil {
		t.Fatalf("creation form:\n%s", page)
	}
	form := url.Values{"csrf": {csrf[1]}, "login": {"svc-moodle"}, "display": {"Moodle"}, "est": {est[1]},
		"attr": {"uid", "mail"}, "profile": {"teacher"}}
	resp, page := n.post("/admin/services", form)
	m := svcSecretRE.FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	pw := m[1]
	for _, want := range []string{"uid=svc-moodle,ou=people,ou=0999001W,dc=preau", "ldap://" + n.app.Addr("ldap"), "ldaps://" + n.app.Addr("ldaps")} {
		if !strings.Contains(page, want) {
			t.Fatalf("the secret page lacks %s:\n%s", want, page)
		}
	}
	search := func(filter string, attrs ...string) string {
		t.Helper()
		args := append([]string{"-x", "-LLL", "-H", "ldap://" + n.app.Addr("ldap"), "-D", "uid=svc-moodle,ou=people,ou=0999001W,dc=preau",
			"-w", pw, "-b", "dc=preau", filter}, attrs...)
		b, err := exec.Command("ldapsearch", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ldapsearch %s: %v\n%s", filter, err, b)
		}
		return string(b)
	}
	// The LDAP view applies a new scope at its next reload (within seconds).
	var got string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = search("(objectClass=posixAccount)", "*")
		if !strings.Contains(got, "zoe.martin") || time.Now().After(deadline) {
			break
		}
	}
	if !strings.Contains(got, "uid: paul.durand") || strings.Contains(got, "zoe.martin") || strings.Contains(got, "uid: tech") ||
		strings.Contains(got, "leo.petit") {
		t.Fatalf("the account's people:\n%s", got)
	}
	for _, hidden := range []string{"cn:", "sn:", "givenName:", "uidNumber:", "homeDirectory:", "ENTPersonJointure:", "userPassword:"} {
		if strings.Contains(got, "\n"+hidden) {
			t.Fatalf("the account reads %s\n%s", hidden, got)
		}
	}
	_, list := n.get("/admin/services")
	id := svcIDRE.FindStringSubmatch(list)
	if id == nil || strings.Contains(list, pw) {
		t.Fatalf("list:\n%s", list)
	}
	_, acct := n.get("/admin/services/" + id[1])
	if strings.Contains(acct, pw) || !strings.Contains(acct, "svc-moodle") {
		t.Fatal("the account page shows the password again, or not the account")
	}
	// ldapsearch's binds are journaled: the page tells when and from where
	// the application last bound.
	if !strings.Contains(acct, "Dernière connexion LDAP") || !strings.Contains(acct, "depuis 127.0.0.1") {
		t.Fatalf("the account page does not show the last LDAP bind:\n%s", acct)
	}
	t.Run("axe", func(t *testing.T) {
		if testing.Short() {
			t.Skip("browser test; skipped with -short")
		}
		front := proxyWithCookies(t, n)
		webtest.Axe(t, front.URL, "/admin/services", "/admin/services/new?lang=en", "/admin/services/"+id[1])
		// The refused form and the page showing the password come from a POST.
		ctx := webtest.Tab(t)
		submit := func() {
			t.Helper()
			if err := webtest.AwaitNavigation(ctx, func() error {
				return webtest.Do(ctx, chromedp.Click(`form[action="/admin/services"] button.button-primary`))
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := webtest.Do(ctx, chromedp.Navigate(front.URL+"/admin/services/new"),
			chromedp.SetValue("#f-login", "pas valide!"), chromedp.SetValue("#f-extra", "userPassword")); err != nil {
			t.Fatal(err)
		}
		submit()
		webtest.AxeCurrent(t, ctx, "refused creation form")
		if err := webtest.WaitFor(ctx, `document.querySelector('.error-summary') !== null`); err != nil {
			t.Fatal(err)
		}
		if err := webtest.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('f-login').value = 'svc-wifi';
			document.getElementById('f-display').value = 'Wi-Fi'; document.getElementById('f-extra').value = ''`)); err != nil {
			t.Fatal(err)
		}
		submit()
		webtest.AxeCurrent(t, ctx, "new password")
		if n, _ := webtest.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-secret]').length`)); n != 1 {
			t.Fatal("the browser's creation showed no password")
		}
	})
}
