// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/notify/notifytest"
	"github.com/preau/preau/internal/web/webtest"
)

// browser returns another browser (its own cookies) on the same node.
func (n *node) browser() *node {
	jar, _ := cookiejar.New(nil)
	return &node{t: n.t, app: n.app, data: n.data, base: n.base,
		client: &http.Client{Jar: jar, Transport: n.client.Transport, CheckRedirect: n.client.CheckRedirect}}
}

// form GETs page and POSTs form to action with the page's CSRF token.
func (n *node) form(page, action string, form url.Values) (*http.Response, string) {
	n.t.Helper()
	_, body := n.get(page)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		n.t.Fatalf("no CSRF token on %s:\n%s", page, body)
	}
	form.Set("csrf", m[1])
	return n.post(action, form)
}

// bgSchool adds a technical admin, a head and a teacher (who has a mail
// address), and returns the browsers of the admin and the head (both with a
// second factor, as the console asks) and of the teacher.
func bgSchool(t *testing.T, n *node) (tech, head, lou *node) {
	for _, u := range [][]string{{"tech", "admin", "Sam", "Tech", "Un-Mot-De-Passe-Solide"},
		{"cheffe", "head", "Claire", "Chef", "Cheffe-Etablissement-2026"},
		{"lou.petit", "teacher", "Lou", "Petit", "Lou-Petit-Classe-2026", "lou.petit@clg.demo.test"}} {
		args := []string{"user", "add", u[0], "--uai", "0999001W", "--profile", u[1], "--given", u[2], "--family", u[3],
			"--password", u[4], "--must-change=false"}
		if len(u) > 5 {
			args = append(args, "--mail", u[5])
		}
		n.cli(args...)
	}
	tech, head, lou = n.browser(), n.browser(), n.browser()
	tech.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	head.adminLogin("cheffe", "Cheffe-Etablissement-2026")
	if r := lou.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	return tech, head, lou
}

var bgDetailRE = regexp.MustCompile(`^/admin/breakglass/([0-9a-f-]{36})$`)

// askAccess files a request through the form as tech and returns its page.
func askAccess(t *testing.T, tech *node) string {
	r, body := tech.form("/admin/breakglass/new", "/admin/breakglass/new", url.Values{"target": {"lou.petit"},
		"scope": {"files"}, "object": {"/home/lou.petit/PERSONNEL"}, "basis": {"judicial"},
		"reference": {"PV 2026/118 TJ Lyon"}, "reason": {"Réquisition du parquet, enquête en cours"}, "duration": {"4"}})
	if r.StatusCode != http.StatusSeeOther || !bgDetailRE.MatchString(r.Header.Get("Location")) {
		t.Fatalf("request: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), body)
	}
	return r.Header.Get("Location")
}

// TestBreakGlassEndToEnd: an admin asks, the head approves, the person
// concerned gets the notice and sees the access on their page, a service's
// Authorize succeeds and journals the use with the object, and after the
// window it fails and the person is told the access ended.
// CARINE: UTI-ESF-8, MCO-SVG-11, MCO-JAL-6, MCO-SEI-7
func TestBreakGlassEndToEnd(t *testing.T) {
	sink, err := notifytest.NewSink(notifytest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	clock := core.NewFakeClock(time.Now())
	n := startClockNode(t, clock, func(c *config.File) {
		c.Mail.Relay, c.Mail.From, c.Mail.TLS = sink.Addr(), "preau@clg.demo.test", "none"
	})
	tech, head, lou := bgSchool(t, n)
	page := askAccess(t, tech)
	if r, body := tech.form(page, page+"/approve", url.Values{"confirm": {"1"}}); r.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "Vous ne pouvez pas approuver ni refuser votre propre demande") {
		t.Fatalf("self-approval: %d\n%s", r.StatusCode, body)
	}
	if _, home := head.get("/"); !strings.Contains(home, "Demande d’accès exceptionnel à approuver") {
		t.Fatalf("the head was not told:\n%s", home)
	}
	if r, body := head.form(page, page+"/approve", url.Values{"confirm": {"1"}, "comment": {"Réquisition vérifiée"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approval: %d\n%s", r.StatusCode, body)
	}
	_, home := lou.get("/")
	if !strings.Contains(home, "Accès exceptionnel à vos données") ||
		!strings.Contains(home, "réquisition judiciaire, référence PV 2026/118 TJ Lyon") || !strings.Contains(home, "Sam Tech (tech)") {
		t.Fatalf("no approval notice for the person:\n%s", home)
	}
	// The person has a mailbox: the notice reaches it too.
	msgs, err := sink.WaitFor(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if body := mailText(t, msgs[0]); msgs[0].To[0] != "lou.petit@clg.demo.test" ||
		!strings.Contains(body, "PV 2026/118 TJ Lyon") || strings.Contains(body, "enquête") {
		t.Fatalf("approval mail to %v:\n%s", msgs[0].To, body)
	}
	_, mine := lou.get("/account/breakglass")
	if !strings.Contains(mine, "Sam Tech") || !strings.Contains(mine, "Accès en cours") || strings.Contains(mine, "enquête") {
		t.Fatalf("the person's page:\n%s", mine)
	}

	// A service (files, say) asks before opening the private folder.
	svc := n.app.BreakGlass()
	sys := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	req, _, err := svc.Get(sys, bgDetailRE.FindStringSubmatch(page)[1])
	if err != nil {
		t.Fatal(err)
	}
	asTech := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: req.Requester.ID, Login: "tech",
		Profile: core.ProfileAdmin, Establishments: []string{req.Establishment}, Channel: core.ChannelDAV})
	if _, err := svc.Authorize(asTech, req.Target.ID, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/lettre.odt"); err != nil {
		t.Fatalf("authorize within the window: %v", err)
	}
	if _, err := svc.Authorize(asTech, req.Target.ID, breakglass.ScopeMail, "INBOX"); core.KindOf(err) != core.Permission {
		t.Fatalf("another scope: %v", err)
	}
	out := n.cli("journal", "export")
	if !regexp.MustCompile(`"action":"breakglass.use".*"object:/home/lou.petit/PERSONNEL/lettre.odt"`).MatchString(out) ||
		!strings.Contains(out, `"action":"breakglass.approve"`) || !strings.Contains(out, `"result":"refused"`) {
		t.Fatalf("journal lacks the use:\n%s", out)
	}

	clock.Advance(4*time.Hour + time.Minute)
	_, err = svc.Authorize(asTech, req.Target.ID, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/lettre.odt")
	if core.KindOf(err) != core.Permission || !errors.Is(err, breakglass.ErrEnded) {
		t.Fatalf("authorize after the window: %v", err)
	}
	if _, err := svc.ExpireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if req, _, _ = svc.Get(sys, req.ID); req.State != breakglass.Expired || req.Uses != 1 {
		t.Fatalf("after the window: %s, %d uses", req.State, req.Uses)
	}
	if msgs, err := sink.WaitFor(2, 10*time.Second); err != nil ||
		!strings.Contains(mailText(t, msgs[1]), "Nombre de consultations enregistrées : 1") {
		t.Fatalf("end mail: %v", err)
	}
	lou = n.browser() // the session has aged with the clock
	lou.login("lou.petit", "Lou-Petit-Classe-2026")
	if _, home = lou.get("/"); !strings.Contains(home, "Fin de l’accès exceptionnel à vos données") ||
		!strings.Contains(home, "Nombre de consultations enregistrées : 1") {
		t.Fatalf("no end notice:\n%s", home)
	}
	if _, mine = lou.get("/account/breakglass"); !strings.Contains(mine, "Expiré") {
		t.Fatalf("the person's page after expiry:\n%s", mine)
	}
	if out := n.cli("breakglass", "list", "--state", "expired"); !strings.Contains(out, "lou.petit") ||
		!strings.Contains(out, "PV 2026/118 TJ Lyon") {
		t.Fatalf("preau breakglass list: %s", out)
	}
	if out := n.cli("journal", "verify"); !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %s", out)
	}
}

// mailText returns the decoded text of a mail the sink received.
func mailText(t *testing.T, m notifytest.Message) string {
	msg, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	return string(b)
}

// proxyAs serves the node through a reverse proxy that adds b's cookies,
// since the browser of the accessibility harness starts without them.
func proxyAs(t *testing.T, b *node) string { return proxyWithCookies(t, b).URL }

// TestBreakGlassPagesAreAccessible runs axe-core (WCAG 2.1 AA) on every
// break-glass page, in French and English: the console as the requester
// and as the head (with the decision form), and the person's own page.
func TestBreakGlassPagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	tech, head, lou := bgSchool(t, n)
	page := askAccess(t, tech)
	webtest.Axe(t, proxyAs(t, tech), "/admin/breakglass", "/admin/breakglass?lang=en&state=requested",
		"/admin/breakglass/new", "/admin/breakglass/new?lang=en", page)
	webtest.Axe(t, proxyAs(t, head), page, page+"?lang=en", "/admin/breakglass")
	head.form(page, page+"/approve", url.Values{"confirm": {"1"}})
	webtest.Axe(t, proxyAs(t, tech), page)
	webtest.Axe(t, proxyAs(t, lou), "/account/breakglass", "/account/breakglass?lang=en", "/")
}

// TestBreakGlassIsADomainPackage: the break-glass domain imports no SQL
// nor HTTP (design §2), so that every service may call it.
func TestBreakGlassIsADomainPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped with -short")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/preau/preau/internal/breakglass").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "database/sql" || dep == "net/http" || strings.HasPrefix(dep, "github.com/preau/preau/internal/store") {
			t.Errorf("internal/breakglass depends on %s", dep)
		}
	}
}
