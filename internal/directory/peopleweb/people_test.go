// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
)

// CARINE: INF-ANN-1 (consultation) — the console lists the people of an
// establishment: prefix search, filters by profile, class and state,
// sorting, paging with the total count; nobody of another establishment.
func TestPeopleListFiltersAndPaging(t *testing.T) {
	w := newWorld(t, 60)
	est := "est=" + w.est.ID
	code, body := w.get("/admin/people?" + est + "&profile=pupil&class=" + w.c6A.ID)
	if code != 200 {
		t.Fatalf("list: %d\n%s", code, body)
	}
	contains(t, body, "Personnes 1 à 50 sur 60", "a.eleve000", `aria-current="page">1<`, "6A")
	if strings.Contains(body, "b.eleve000") || strings.Contains(body, "lyceen") {
		t.Fatal("the class filter lets other pupils through")
	}
	_, body = w.get("/admin/people?" + est + "&profile=pupil&class=" + w.c6A.ID + "&page=2")
	contains(t, body, "Personnes 51 à 60 sur 60", "a.eleve059", `rel="prev"`)
	_, body = w.get("/admin/people?" + est + "&q=B.ELEVE01")
	contains(t, body, "sur 10", "b.eleve010", "b.eleve019")
	_, body = w.get("/admin/people?" + est + "&profile=teacher")
	contains(t, body, "Personnes 1 à 1 sur 1", "prof.durand")
	_, body = w.get("/admin/people?" + est + "&sort=login&per=200")
	if i, j := strings.Index(body, "a.eleve059"), strings.Index(body, "b.eleve000"); i < 0 || j < 0 || i > j {
		t.Fatal("sort by login")
	}
	st := directory.Disabled
	_, err := w.db.UpdatePerson(dirtest.Ctx(), w.pupilsA[0].ID, directory.PersonUpdate{State: &st})
	must(t, err)
	_, body = w.get("/admin/people?" + est + "&state=disabled")
	contains(t, body, "sur 1", "a.eleve000")
	if code, _ := w.get("/admin/people?est=" + w.other.ID); code != 403 {
		t.Fatalf("another establishment's list: %d", code)
	}
	if code, _ := w.get("/admin/people?est=*"); code != 403 {
		t.Fatalf("every establishment for a non-operator: %d", code)
	}
	// An operator lists every establishment at once, with the establishment
	// column, and picks one among all.
	w.as = core.Principal{PersonID: core.NewID(), Login: "rectorat", Channel: core.ChannelWeb,
		Grants: []core.Grant{{Right: core.RightOperator}}}
	_, body = w.get("/admin/people?est=*&q=lyc")
	contains(t, body, "Tous les établissements", "lyceen", w.other.Name, `<option value="*" selected>`)
	if r, _ := w.post("/admin/groups?est=*", nil); r.StatusCode != 400 {
		t.Fatalf("creating a group in every establishment: %d", r.StatusCode)
	}
	_, body = w.get("/admin/groups?est=*") // redirected to the first establishment
	if !strings.Contains(body, "6e A") || strings.Contains(body, `<option value="*"`) {
		t.Fatal("the groups page offers every establishment at once")
	}
}

// CARINE: INF-ANN-4 — bulk disable and enable go through a confirmation
// page naming who is affected, then change each person through the
// directory service: one journal entry each, sessions closed on disable.
func TestBulkDisableEnable_INF_ANN_4(t *testing.T) {
	w := newWorld(t, 3)
	sel := url.Values{"est": {w.est.ID}, "action": {"disable"}, "id": ids(w.pupilsA...)}
	sel.Add("id", w.people["lyceen"].ID) // not of this establishment: skipped
	r, body := w.post("/admin/people/bulk", sel)
	if r.StatusCode != 200 {
		t.Fatalf("confirm: %d\n%s", r.StatusCode, body)
	}
	contains(t, body, "3 comptes seront désactivés", "a.eleve002", "1 personne sélectionnée est hors de votre périmètre")
	if w.person("a.eleve000").State != directory.Active {
		t.Fatal("the confirmation page changed something")
	}
	_, body = w.post("/admin/people/bulk/apply", sel)
	contains(t, body, "3 comptes désactivés.")
	for _, p := range w.pupilsA {
		if w.person(p.Login).State != directory.Disabled {
			t.Fatalf("%s not disabled", p.Login)
		}
	}
	if w.person("lyceen").State != directory.Active {
		t.Fatal("a person of another establishment was disabled")
	}
	if n := len(w.journal("directory.person.update")); n != 3 {
		t.Fatalf("%d journal entries, want one per person", n)
	}
	sel.Set("action", "enable")
	_, body = w.post("/admin/people/bulk/apply", sel)
	contains(t, body, "3 comptes réactivés.")
	if w.person("a.eleve001").State != directory.Active {
		t.Fatal("not enabled again")
	}
}

// CARINE: INF-ANN-4 — a bulk action may take everyone the list's filter
// matches (not only the ticked page): the confirmation lists them all.
func TestBulkOnWholeFilter_INF_ANN_4(t *testing.T) {
	w := newWorld(t, 60)
	_, body := w.get("/admin/people?est=" + w.est.ID + "&profile=pupil&class=" + w.c6B.ID)
	contains(t, body, `name="matching"`, "Toutes les personnes du filtre : 60")
	sel := url.Values{"est": {w.est.ID}, "action": {"disable"}, "matching": {"1"}, "profile": {"pupil"},
		"class": {w.c6B.ID}, "id": {w.pupilsA[0].ID}}
	_, body = w.post("/admin/people/bulk", sel)
	contains(t, body, "60 comptes seront désactivés", "b.eleve059", `name="matching" value="1"`)
	if strings.Contains(body, "a.eleve000") {
		t.Fatal("a ticked box outside the filter joined the selection")
	}
	_, body = w.post("/admin/people/bulk/apply", sel)
	contains(t, body, "60 comptes désactivés.")
	if w.person("b.eleve030").State != directory.Disabled || w.person("a.eleve000").State != directory.Active {
		t.Fatal("the filter's people, and only they, are disabled")
	}
}

// CARINE: INF-ANN-4 — moving pupils to another class leaves their old
// class of the year, journaled per membership; a teacher cannot be moved,
// and the failure is reported for that person only.
func TestBulkMoveToClass_INF_ANN_4(t *testing.T) {
	w := newWorld(t, 2)
	sel := url.Values{"est": {w.est.ID}, "action": {"move"}, "to_class": {w.c6B.ID},
		"id": append(ids(w.pupilsA...), w.people["prof.durand"].ID)}
	_, body := w.post("/admin/people/bulk", sel)
	contains(t, body, "3 élèves passeront dans la classe 6B")
	_, body = w.post("/admin/people/bulk/apply", sel)
	contains(t, body, "2 élèves ont changé de classe.", "1 échec", "prof.durand is not a pupil")
	members, total, err := w.db.FindPeople(dirtest.Ctx(), directory.PersonFilter{Group: w.c6B.ID, Role: directory.RoleMember})
	must(t, err)
	if total != 4 || len(members) != 4 {
		t.Fatalf("6B has %d members, want 4", total)
	}
	if _, total, _ := w.db.FindPeople(dirtest.Ctx(), directory.PersonFilter{Group: w.c6A.ID, Role: directory.RoleMember}); total != 0 {
		t.Fatalf("6A keeps %d pupils", total)
	}
	if n := len(w.journal("directory.group.member.remove")); n != 2 {
		t.Fatalf("%d removals journaled", n)
	}
	r, _ := w.post("/admin/people/bulk", url.Values{"est": {w.est.ID}, "action": {"move"}, "to_class": {"nope"}, "id": ids(w.pupilsA...)})
	if r.StatusCode != 400 {
		t.Fatalf("move without a class: %d", r.StatusCode)
	}
}

var cardRE = regexp.MustCompile(`<code>([a-z0-9.]+)</code></dd>\s*<dt>Mot de passe</dt><dd><code class="sheet-secret">([^<]+)</code>`)

// CARINE: INF-AUT-9, INF-AUT-10 — a password sheet for a class: every
// member gets a new generated password (pupils: words they can read), must
// change it, each reset is journaled; the sheet shows each password once,
// with the same cards as a PDF built in the request, and nothing is cached.
func TestGroupPasswordSheet_INF_AUT_9(t *testing.T) {
	w := newWorld(t, 3)
	sel := url.Values{"est": {w.est.ID}, "action": {"reset"}, "group": {w.c6A.ID}}
	_, body := w.post("/admin/people/bulk", sel)
	contains(t, body, "3 personnes recevront un nouveau mot de passe", "Membres de 6e A concernés")
	r, body := w.post("/admin/people/bulk/apply", sel)
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sheet: %d %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	cards := cardRE.FindAllStringSubmatch(body, -1)
	if len(cards) != 3 {
		t.Fatalf("%d cards:\n%s", len(cards), body)
	}
	contains(t, body, "Collège Hélène-Boucher", "https://preau.test/", `href="data:application/pdf;base64,JVBER`, "data-print")
	for _, c := range cards {
		if !regexp.MustCompile(`^[a-z]+-[a-z]+-\d\d$`).MatchString(c[2]) {
			t.Errorf("pupil password %q is not word-word-NN", c[2])
		}
		p := w.person(c[1])
		if !p.MustChangePassword {
			t.Errorf("%s need not change the password", c[1])
		}
		if _, err := w.auth.PrincipalForLogin(dirtest.Ctx(), c[1]); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.journal("auth.password.reset")); n != 3 {
		t.Fatalf("%d resets journaled, want 3", n)
	}
	sel.Set("format", "pdf")
	r, body = w.post("/admin/people/bulk/apply", sel)
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("PDF: %q %.10q", ct, body)
	}
}

// CARINE: INF-AUT-9 — a staff member granted people.manage from the admin
// zone uses the pages from there, is refused from the pedagogical zone with
// a message naming both zones, and may not touch the head's account.
func TestPeopleManageZoneRefusal(t *testing.T) {
	w := newWorld(t, 1)
	w.actAs("cpe.martin")
	if code, _ := w.get("/admin/people"); code != 403 {
		t.Fatalf("staff without the right: %d", code)
	}
	w.as.Grants = append(w.as.Grants, core.Grant{Right: core.RightPeopleManage, Establishment: w.est.ID, Zone: core.ZoneAdmin})
	w.as.Zone = "peda"
	code, body := w.get("/admin/people")
	if code != 403 {
		t.Fatalf("from the peda zone: %d", code)
	}
	contains(t, body, "Le droit « Gérer les personnes et les groupes » ne s’exerce que depuis la zone réseau « admin ».")
	contains(t, body, "(zone : peda)")
	_, body = w.get("/admin/people?est=" + w.est.ID)
	contains(t, body, "« admin »")
	w.as.Zone = core.ZoneAdmin
	code, body = w.get("/admin/people")
	if code != 200 {
		t.Fatalf("from the admin zone: %d", code)
	}
	contains(t, body, "a.eleve000")
	head := w.people["principal"]
	_, body = w.post("/admin/people/bulk/apply", url.Values{"est": {w.est.ID}, "action": {"disable"}, "id": {head.ID, w.pupilsA[0].ID}})
	contains(t, body, "1 compte désactivé.", "1 échec")
	if w.person("principal").State != directory.Active {
		t.Fatal("people.manage disabled the head")
	}
	refused := 0
	for _, e := range w.journal("directory.person.update") {
		if e.Result == journal.Refused && e.TargetName == "principal" {
			refused++
		}
	}
	if refused != 1 {
		t.Fatal("the refusal is not journaled")
	}
}

// A teacher is not an administrator: the console is closed to them (their
// road to their pupils' passwords is /passwords/reset).
func TestTeacherRefusedFromConsole(t *testing.T) {
	w := newWorld(t, 1)
	w.actAs("prof.durand")
	for _, path := range []string{"/admin/people", "/admin/groups", "/admin/people/" + w.pupilsA[0].ID} {
		if code, _ := w.get(path); code != 403 {
			t.Fatalf("%s: %d", path, code)
		}
	}
	r, _ := w.post("/admin/people/bulk/apply", url.Values{"action": {"reset"}, "id": ids(w.pupilsA...)})
	if r.StatusCode != 403 || len(w.journal("auth.password.reset")) != 0 {
		t.Fatalf("teacher bulk reset: %d", r.StatusCode)
	}
}
