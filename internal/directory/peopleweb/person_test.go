// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
)

// CARINE: INF-ANN-4 — the person page shows groups with role, grants,
// live sessions and the journal entries about the person; its actions
// (edit names and profile, disable, class, new password) are journaled.
func TestPersonPage_INF_ANN_4(t *testing.T) {
	w := newWorld(t, 2)
	ctx := dirtest.Ctx()
	teacher := w.people["prof.durand"]
	must(t, w.db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), Establishment: w.est.ID, PersonID: teacher.ID,
		Right: core.RightSignagePublish, GrantedBy: "principal", From: w.clock.Now().Add(-time.Hour)}))
	must(t, w.db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), Establishment: w.est.ID, PersonID: teacher.ID,
		Right: core.RightPeopleManage, Zone: "peda", GrantedBy: "principal", From: w.clock.Now().Add(-time.Hour)}))
	page := "/admin/people/" + teacher.ID + "?est=" + w.est.ID
	code, body := w.get(page)
	if code != 200 {
		t.Fatalf("person page: %d\n%s", code, body)
	}
	contains(t, body, "prof.durand", "6e A", "Responsable", "signage.publish", "<td>admin</td>", "people.manage", "<td>peda</td>", "Gérer les droits",
		`href="/admin/rights?person=`+teacher.ID+`"`, "directory.grant.create", "Aucune session ouverte.")

	form := url.Values{"est": {w.est.ID}, "action": {"edit"}, "given": {"Hélène"}, "family": {"Durand-Kahn"},
		"display": {""}, "profile": {"teacher"}}
	r, _ := w.post("/admin/people/"+teacher.ID, form)
	if r.StatusCode != 303 {
		t.Fatalf("edit: %d", r.StatusCode)
	}
	if p := w.person("prof.durand"); p.DisplayName != "Hélène Durand-Kahn" || p.FamilyName != "Durand-Kahn" {
		t.Fatalf("edit: %+v", p)
	}
	form.Set("given", "")
	r, body = w.post("/admin/people/"+teacher.ID, form)
	if r.StatusCode != 422 || !strings.Contains(body, `href="#f-given"`) {
		t.Fatalf("empty given name: %d", r.StatusCode)
	}
	pupil := w.pupilsA[0]
	if r, _ := w.post("/admin/people/"+pupil.ID, url.Values{"est": {w.est.ID}, "action": {"move"}, "class": {w.c6B.ID}}); r.StatusCode != 303 {
		t.Fatalf("move: %d", r.StatusCode)
	}
	_, body = w.get("/admin/people/" + pupil.ID)
	contains(t, body, "6e B")
	if strings.Contains(body, "6e A") {
		t.Fatal("the pupil is still shown in 6A")
	}
	if r, _ := w.post("/admin/people/"+pupil.ID, url.Values{"action": {"disable"}}); r.StatusCode != 303 ||
		w.person(pupil.Login).State != directory.Disabled {
		t.Fatalf("disable: %d", r.StatusCode)
	}
	r, body = w.post("/admin/people/"+pupil.ID, url.Values{"action": {"reset"}})
	if r.StatusCode != 200 || len(cardRE.FindAllString(body, -1)) != 1 || !strings.Contains(body, "6B") {
		t.Fatalf("reset from the person page: %d\n%s", r.StatusCode, body)
	}
	if code, _ := w.get("/admin/people/" + w.people["lyceen"].ID); code != 404 {
		t.Fatalf("a person of another establishment: %d", code)
	}
	// A profile change to head needs a technical admin: the head may not.
	w.actAs("principal")
	form = url.Values{"action": {"edit"}, "given": {"Zoé"}, "family": {"Lefèvre"}, "profile": {"head"}}
	if r, _ := w.post("/admin/people/"+w.people["cpe.martin"].ID, form); r.StatusCode != 403 {
		t.Fatalf("head promotes staff to head: %d", r.StatusCode)
	}
}

// CARINE: INF-ANN-4 — groups: a custom group is created, renamed, given
// members and an owner (a pupil cannot own), has members removed and is
// deleted; classes from the imports cannot be deleted by hand. Every
// change is journaled.
func TestGroupPages_INF_ANN_4(t *testing.T) {
	w := newWorld(t, 2)
	est := url.Values{"est": {w.est.ID}}
	code, body := w.get("/admin/groups?est=" + w.est.ID)
	if code != 200 {
		t.Fatalf("groups: %d\n%s", code, body)
	}
	contains(t, body, "Classes 2026–2027", "6e A", "Groupes libres")
	r, _ := w.post("/admin/groups", url.Values{"est": {w.est.ID}, "code": {"CLUB-ECHECS"}, "name": {"Club d’échecs"}})
	if r.StatusCode != 303 {
		t.Fatalf("create: %d", r.StatusCode)
	}
	groupPath := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	if r, body := w.post("/admin/groups", url.Values{"est": {w.est.ID}, "code": {"CLUB-ECHECS"}}); r.StatusCode != 422 ||
		!strings.Contains(body, "Un groupe CLUB-ECHECS existe déjà") {
		t.Fatalf("duplicate: %d", r.StatusCode)
	}
	act := func(action, login, role string) int {
		f := url.Values{"est": est["est"], "action": {action}, "login": {login}, "role": {role}}
		r, _ := w.post(groupPath, f)
		return r.StatusCode
	}
	for _, c := range []struct {
		action, login, role string
		code                int
	}{
		{"add", "a.eleve000", "member", 303}, {"add", "b.eleve001", "member", 303}, {"add", "prof.durand", "owner", 303},
		{"add", "a.eleve001", "owner", 422}, {"add", "personne", "member", 422}, {"add", "lyceen", "member", 422},
		{"remove", "b.eleve001", "member", 303}, {"remove", "b.eleve001", "member", 422},
	} {
		if got := act(c.action, c.login, c.role); got != c.code {
			t.Fatalf("%s %s as %s: %d, want %d", c.action, c.login, c.role, got, c.code)
		}
	}
	_, body = w.get(groupPath + "?est=" + w.est.ID + "&find=a.eleve")
	contains(t, body, "Membres (1)", "Responsables (1)", "a.eleve000", "Ajouter Zoé Lefèvre-a.eleve001 comme membre")
	if r, _ := w.post(groupPath, url.Values{"action": {"rename"}, "name": {"Échecs du jeudi"}}); r.StatusCode != 303 {
		t.Fatalf("rename: %d", r.StatusCode)
	}
	_, body = w.get(groupPath)
	contains(t, body, "Échecs du jeudi")
	if r, _ := w.post("/admin/groups/"+w.c6A.ID, url.Values{"action": {"delete"}}); r.StatusCode != 409 {
		t.Fatalf("delete a class: %d", r.StatusCode)
	}
	if r, _ := w.post(groupPath, url.Values{"action": {"delete"}}); r.StatusCode != 303 {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if code, _ := w.get(groupPath); code != 404 {
		t.Fatalf("deleted group still shown: %d", code)
	}
	for action, n := range map[string]int{"directory.group.create": 3, "directory.group.update": 1, "directory.group.delete": 1,
		"directory.group.member.add": 2*2 + 1 + 3, "directory.group.member.remove": 1} {
		if got := len(w.journal(action)); got != n {
			t.Errorf("%s: %d entries, want %d", action, got, n)
		}
	}
	w.actAs("cpe.martin")
	if r, _ := w.post("/admin/groups/"+w.c6A.ID, url.Values{"action": {"rename"}, "name": {"x"}}); r.StatusCode != 403 {
		t.Fatalf("staff without the right renames: %d", r.StatusCode)
	}
}

// CARINE: INF-AUT-2 — a teacher lost one passkey: the technical admin
// sees the teacher's second factors on the person page (names and dates,
// never a secret) and removes that one; the app and the other key stay.
// Someone holding only people.manage sees no such section and is refused
// the removal; both the removal and the refusal are journaled.
func TestPersonPageRemovesOneSecondFactor_INF_AUT_2(t *testing.T) {
	w := newWorld(t, 1)
	ctx := dirtest.Ctx()
	teacher := w.people["prof.durand"]
	now := w.clock.Now()
	must(t, w.db.PutTOTP(ctx, &auth.TOTPSecret{PersonID: teacher.ID, Secret: "JBSWY3DPEHPK3PXP", CreatedAt: now}))
	must(t, w.db.ConfirmTOTP(ctx, teacher.ID, 1, nil, auth.SessionUpgrade{}, journal.Entry{Action: "auth.totp.confirm", Chain: w.est.ID}))
	for _, k := range []*auth.Passkey{{ID: "Y2xlLWJsZXVl", Name: "Clé bleue"}, {ID: "Y2xlLXJvdWdl", Name: "Clé rouge"}} {
		k.PersonID, k.Data, k.CreatedAt = teacher.ID, []byte("{}"), now
		must(t, w.db.AddPasskey(ctx, k, auth.SessionUpgrade{}, journal.Entry{Action: "auth.passkey.add", Chain: w.est.ID}))
	}
	page := "/admin/people/" + teacher.ID + "?est=" + w.est.ID
	_, body := w.get(page)
	contains(t, body, "Seconds facteurs d&#39;authentification", "Application d&#39;authentification", "Clé bleue", "Clé rouge",
		`value="Y2xlLWJsZXVl"`, "Retirer « Clé bleue »")
	if strings.Contains(body, "JBSWY3DPEHPK3PXP") {
		t.Fatal("the person page shows the authenticator secret")
	}
	r, _ := w.post("/admin/people/"+teacher.ID, url.Values{"est": {w.est.ID}, "action": {"remove-factor"}, "factor": {"Y2xlLWJsZXVl"}})
	if r.StatusCode != 303 {
		t.Fatalf("remove one passkey: %d", r.StatusCode)
	}
	left, err := w.auth.SecondFactors(ctx, teacher.ID)
	must(t, err)
	if len(left) != 2 || left[0].Kind != "totp" || left[1].Name != "Clé rouge" {
		t.Fatalf("after removing the blue key: %+v", left)
	}
	if es := w.journal("auth.secondfactor.remove"); len(es) != 1 || es[0].TargetID != teacher.ID || es[0].ActorLogin != "tech" ||
		es[0].Result != journal.Done || !slices.Contains(es[0].Attributes, "passkey:Clé bleue") {
		t.Fatalf("journal of the removal: %+v", es)
	}
	if r, _ := w.post("/admin/people/"+teacher.ID, url.Values{"action": {"remove-factor"}, "factor": {"Y2xlLWJsZXVl"}}); r.StatusCode != 404 {
		t.Fatalf("removing a key already gone: %d", r.StatusCode)
	}

	// The CPE manages people in the establishment but is no administrator.
	must(t, w.db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), Establishment: w.est.ID, PersonID: w.people["cpe.martin"].ID,
		Right: core.RightPeopleManage, GrantedBy: "principal", From: now.Add(-time.Hour)}))
	w.actAs("cpe.martin")
	if _, body := w.get(page); strings.Contains(body, "Clé rouge") || !strings.Contains(body, "prof.durand") {
		t.Fatal("a people.manage holder sees the second factors, or not the page")
	}
	if r, _ := w.post("/admin/people/"+teacher.ID, url.Values{"action": {"remove-factor"}, "factor": {auth.TOTPFactorID}}); r.StatusCode != 403 {
		t.Fatalf("a people.manage holder removes the app: %d", r.StatusCode)
	}
	if es := w.journal("auth.secondfactor.remove"); len(es) != 2 || es[1].Result != journal.Refused || es[1].ActorLogin != "cpe.martin" {
		t.Fatalf("the refusal is not journaled: %+v", es)
	}
}

// An application account's person page leads to its application-account
// page, where its LDAP scope is set.
func TestPersonPageLinksApplicationAccount(t *testing.T) {
	w := newWorld(t, 1)
	svc := dirtest.NewPerson("moodle", core.ProfileStaff, w.est.ID)
	svc.Service, svc.MustChangePassword = true, false
	must(t, w.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: svc}}))
	code, body := w.get("/admin/people/" + svc.ID + "?est=" + w.est.ID)
	if code != 200 {
		t.Fatalf("person page: %d\n%s", code, body)
	}
	contains(t, body, `<a href="/admin/services/`+svc.ID+`">compte d’application (sa portée LDAP)</a>`)
	if _, body = w.get("/admin/people/" + w.people["prof.durand"].ID + "?est=" + w.est.ID); strings.Contains(body, "/admin/services/") {
		t.Fatal("a person's page links to an application account")
	}
}
