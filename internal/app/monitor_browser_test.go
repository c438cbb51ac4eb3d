// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/notify/notifytest"
)

// TestHelpdeskStoryInBrowser: a pupil files a request from the portal in
// headless Chromium; the technical admin is told, takes it, answers and
// resolves it; the pupil is notified on the portal and by mail and follows
// it to its resolution. axe-core (WCAG 2.1 AA) checks every page visited,
// the supervision console's pages included.
// CARINE: MCO-SEI-3, MCO-SEI-5
func TestHelpdeskStoryInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	sink, err := notifytest.NewSink(notifytest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	n := startNode(t, noStrongAuth, func(c *config.File) {
		c.Mail.Relay, c.Mail.From, c.Mail.TLS = sink.Addr(), "preau@clg.demo.test", "none"
	})
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--mail", "zoe.martin@clg.demo.test", "--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	s := newStory(t, n)
	s.from("127.0.0.1") // French pages

	// The pupil files a request.
	s.login("zoe.martin", "Un-Mot-De-Passe-Solide")
	s.visit("/requests")
	s.do(chromedp.SetValue("#f-category", "hardware"), chromedp.SendKeys("#f-subject", "L'imprimante du CDI bourre"),
		chromedp.SendKeys("#f-device", "IMP-CDI-01"), chromedp.SendKeys("#f-description", "Chaque feuille se coince depuis ce matin."))
	s.submit("#file")
	requestURL := strings.TrimPrefix(strings.SplitN(s.location(), "?", 2)[0], n.base)
	if !strings.HasPrefix(requestURL, "/requests/") || !strings.Contains(s.text("h1"), "imprimante du CDI") {
		t.Fatalf("after filing: %s %q", requestURL, s.text("h1"))
	}

	// The admin is told, takes the request, answers and resolves it.
	s.login("tech", "Un-Mot-De-Passe-Solide")
	s.visit("/")
	if got := s.text("main"); !strings.Contains(got, "Nouvelle demande d'assistance") {
		t.Fatalf("the admin was not told:\n%s", got)
	}
	s.visit("/admin/monitor/requests")
	if got := s.text("table"); !strings.Contains(got, "Zoé Martin") || !strings.Contains(got, "Nouvelle") {
		t.Fatalf("triage list:\n%s", got)
	}
	adminURL := strings.Replace(requestURL, "/requests/", "/admin/monitor/requests/", 1)
	s.visit(adminURL)
	s.submit("#assign")
	s.do(chromedp.SendKeys("#f-text", "Je passe au CDI à 14 h."))
	s.submit("#answer")
	s.do(chromedp.SendKeys("#f-text", "Rouleau remplacé, l'imprimante fonctionne."))
	s.submit("#resolve")
	if got := s.text("#request-state"); got != "Résolue" {
		t.Fatalf("state after resolution: %q", got)
	}
	for _, p := range []string{"/admin/monitor", "/admin/monitor/incidents", "/admin/monitor/dashboard",
		"/admin/monitor/dashboard?lang=en", "/admin/monitor/settings", "/admin/monitor/targets/new", "/admin/monitor/requests?state=all&lang=en"} {
		s.visit(p)
	}

	// The pupil is notified and follows the request to its resolution.
	s.login("zoe.martin", "Un-Mot-De-Passe-Solide")
	s.visit("/")
	if got := s.text("main"); !strings.Contains(got, "Votre demande est résolue") || !strings.Contains(got, "Réponse à votre demande") {
		t.Fatalf("the pupil was not notified on the portal:\n%s", got)
	}
	s.visit(requestURL)
	if got := s.text("main"); !strings.Contains(got, "Je passe au CDI à 14 h.") || !strings.Contains(got, "Rouleau remplacé") {
		t.Fatalf("the requester's view:\n%s", got)
	}
	s.visit("/requests?lang=en")
	msgs, err := sink.WaitFor(3, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	toZoe := 0
	for _, m := range msgs {
		if m.To[0] == "zoe.martin@clg.demo.test" {
			toZoe++
		}
	}
	if toZoe < 3 {
		t.Fatalf("%d mails to the pupil (taken, answered, resolved)", toZoe)
	}
}
