// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

// CARINE: INF-AUT-6, INF-AUT-8, INF-AUT-9 — the technical admin of a
// one-school deployment sets, from the console, the pupils' password policy
// of the school and the forgotten-password procedure that the login page
// shows; out-of-range values are refused with the field named; both
// changes are journaled with what they set. Once the deployment serves a
// second school, the procedure (shared by all) is the operator's alone.
func TestPasswordPolicyConsole_INF_AUT_6(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	r, page := n.get("/admin/passwords?profile=pupil")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Politique en vigueur") || !strings.Contains(page, `id="f-scope-dep"`) {
		t.Fatalf("password page: %d\n%s", r.StatusCode, page)
	}
	csrf := csrfRE.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {csrf}, "profile": {"pupil"}, "action": {"save"}, "scope": {"establishment"}, "min_length": {"0"},
		"min_classes": {"2"}, "history": {"3"}, "max_age_days": {"0"}, "reject_common": {"1"}}
	if r, body := n.post("/admin/passwords", form); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-min_length"`) {
		t.Fatalf("a minimum length of 0: %d", r.StatusCode)
	}
	form.Set("min_length", "10")
	if r, body := n.post("/admin/passwords", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the pupils' policy: %d\n%s", r.StatusCode, body)
	}
	_, page = n.get("/admin/passwords")
	if !strings.Contains(page, "<th scope=\"row\">Élèves</th><td>10</td><td>2</td>") || !strings.Contains(page, "Propre à l’établissement") {
		t.Fatalf("the pupils' policy is not shown in force:\n%s", page)
	}
	// A pupil's new password is held to it.
	n.cli("user", "add", "zoe", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "lapin-vert-47", "--must-change=false")
	if _, err := preau(t, n.data, "user", "reset-password", "zoe", "--password", "mouton-47"); err == nil ||
		!strings.Contains(err.Error(), "10") {
		t.Fatalf("a 9-character pupil password after the policy: %v", err)
	}

	text := "Élèves : demandez à votre professeur principal. Personnels : secretariat@clg.demo.test."
	if r, _ := n.post("/admin/passwords/text", url.Values{"csrf": {csrf}, "text": {"bip\x07"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a control character: %d", r.StatusCode)
	}
	if r, _ := n.post("/admin/passwords/text", url.Values{"csrf": {csrf}, "text": {text}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the text: %d", r.StatusCode)
	}
	out := n.cli("journal", "export")
	if !strings.Contains(out, `"action":"auth.password_policy.set"`) || !strings.Contains(out, "min length 10, 2 kinds") ||
		!strings.Contains(out, `"action":"auth.forgotten_password_text.set"`) {
		t.Fatalf("journal:\n%s", out)
	}
	anon := &http.Client{Transport: n.client.Transport}
	resp, err := anon.Get(n.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	login, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(login), "secretariat@clg.demo.test") {
		t.Fatal("the login page does not show the procedure")
	}

	// A second school joins the deployment: the shared procedure is no
	// longer the school admin's to change.
	n.cli("init", "--uai", "0999002X", "--type", "lycee", "--name", "Lycée Marie Curie", "--academie", "Démo",
		"--domain", "lyc.demo.test", "--head", "c.curie", "--head-given", "Claire", "--head-family", "Curie", "--admin", "admin2")
	_, page = n.get("/admin/passwords")
	if strings.Contains(page, `id="f-scope-dep"`) || strings.Contains(page, `action="/admin/passwords/text"`) {
		t.Fatal("a school admin may still edit deployment settings")
	}
	if r, _ := n.post("/admin/passwords/text", url.Values{"csrf": {csrf}, "text": {"autre"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a school admin changes the shared procedure: %d", r.StatusCode)
	}
}

var frenchMonths = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
	"octobre", "novembre", "décembre"}

// CARINE: INF-AUT-8 — two weeks before a password reaches the validity its
// policy sets (a year for technical admins by default), the portal tells
// its owner the date and links to the change page; not before.
func TestPortalWarnsBeforePasswordExpiry_INF_AUT_8(t *testing.T) {
	clock := core.NewFakeClock(time.Now())
	n := startClockNode(t, clock)
	set := clock.Now() // when the password is set; the portal shows dates in Paris time
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	clock.Advance(340 * 24 * time.Hour)
	n.login("tech", "Un-Mot-De-Passe-Solide") // sessions do not last that long
	if _, home := n.get("/"); strings.Contains(home, "Votre mot de passe expire") {
		t.Fatal("warned 25 days before the expiry")
	}
	clock.Advance(12 * 24 * time.Hour)
	n.login("tech", "Un-Mot-De-Passe-Solide")
	_, home := n.get("/")
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	exp := set.Add(365 * 24 * time.Hour).In(paris)
	day := strconv.Itoa(exp.Day())
	if exp.Day() == 1 {
		day = "1er"
	}
	want := fmt.Sprintf("Votre mot de passe expire le %s %s %d", day, frenchMonths[exp.Month()-1], exp.Year())
	if !strings.Contains(home, want) || !strings.Contains(home, `<a href="/password">Le changer maintenant</a>`) {
		t.Fatalf("no warning 13 days before the expiry (want %q):\n%s", want, home)
	}
}
