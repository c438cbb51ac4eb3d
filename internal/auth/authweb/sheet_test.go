// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

// CARINE: INF-AUT-9, INF-AUT-10 — a teacher ticks pupils from several of
// their groups (an ad-hoc selection: a pupil of their class and one of
// another class who is in a group they own) and prints one password sheet:
// each gets a new word-word-NN password to change at first login, each
// reset is journaled, the page is not cached and offers the same cards as
// PDF. Ticking a pupil they do not teach refuses the whole sheet: nothing
// is reset and the refusal is journaled.
func TestTeacherAdHocSheet_INF_AUT_9(t *testing.T) {
	ctx := dirtest.Ctx()
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}}
	cfg.Defaults()
	a := auth.New(cfg, auth.Deps{Store: db, Clock: clock, Log: quiet})
	e := dirtest.NewEstablishment(999201, directory.College)
	must(t, db.CreateEstablishment(ctx, e))
	people := map[string]*directory.Person{}
	var nps []directory.NewPerson
	for login, prof := range map[string]core.Profile{"prof.durand": core.ProfileTeacher, "eleve.a": core.ProfilePupil,
		"eleve.b": core.ProfilePupil, "eleve.c": core.ProfilePupil} {
		p := dirtest.NewPerson(login, prof, e.ID)
		must(t, p.Validate())
		people[login] = p
		nps = append(nps, directory.NewPerson{Person: p, PasswordHash: a.Hash("Ancien-Mot-De-Passe-1")})
	}
	must(t, db.CreatePeople(ctx, nps))
	c6A := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "6A", Name: "6e A", Kind: directory.Class, SchoolYear: 2026}
	c6B := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "6B", Name: "6e B", Kind: directory.Class, SchoolYear: 2026}
	latin := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "LATIN", Name: "Latin", Kind: directory.Teaching, SchoolYear: 2026}
	must(t, db.CreateGroups(ctx, []*directory.Group{c6A, c6B, latin}))
	must(t, db.AddMembers(ctx, []directory.Membership{
		{GroupID: c6A.ID, PersonID: people["prof.durand"].ID, Role: directory.RoleOwner},
		{GroupID: latin.ID, PersonID: people["prof.durand"].ID, Role: directory.RoleOwner},
		{GroupID: c6A.ID, PersonID: people["eleve.a"].ID, Role: directory.RoleMember},
		{GroupID: c6B.ID, PersonID: people["eleve.b"].ID, Role: directory.RoleMember},
		{GroupID: latin.ID, PersonID: people["eleve.b"].ID, Role: directory.RoleMember},
		{GroupID: c6B.ID, PersonID: people["eleve.c"].ID, Role: directory.RoleMember}}))

	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, authweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	authweb.New(a, rd, quiet).Routes(mux)
	teacher, err := a.PrincipalForLogin(ctx, "prof.durand")
	must(t, err)
	teacher.Channel = core.ChannelWeb
	srv := httptest.NewServer(rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), teacher)))
	})))
	defer srv.Close()
	post := func(form url.Values) (*http.Response, string) {
		r, err := http.PostForm(srv.URL+authweb.SheetPath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r, string(b)
	}
	hash := func(login string) string {
		h, err := db.PasswordHash(ctx, people[login].ID)
		must(t, err)
		return h
	}

	r, err := http.Get(srv.URL + authweb.ResetPath)
	must(t, err)
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`name="pupil" value="eleve.a"`, `name="pupil" value="eleve.b"`, `action="/passwords/sheet"`} {
		if !strings.Contains(string(page), want) {
			t.Fatalf("reset page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), `value="eleve.c"`) {
		t.Fatal("the reset page offers a pupil the teacher does not teach")
	}

	before := hash("eleve.a")
	r, body := post(url.Values{"pupil": {"eleve.a", "eleve.c"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "eleve.c") {
		t.Fatalf("a pupil not taught: %d\n%s", r.StatusCode, body)
	}
	if hash("eleve.a") != before || hash("eleve.c") == "" || people["eleve.a"].MustChangePassword {
		t.Fatal("a refused sheet reset someone")
	}
	es, err := db.FindJournal(ctx, journal.Filter{Action: "auth.password.reset"})
	must(t, err)
	if len(es) != 1 || es[0].Result != journal.Refused || es[0].TargetName != "eleve.c" {
		t.Fatalf("journal after the refusal: %+v", es)
	}

	r, body = post(url.Values{"pupil": {"eleve.a", "eleve.b"}})
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("sheet: %d\n%s", r.StatusCode, body)
	}
	cards := regexp.MustCompile(`<code>(eleve\.[ab])</code></dd>\s*<dt>Mot de passe</dt><dd><code class="sheet-secret">([a-z]+-[a-z]+-\d\d)</code>`).
		FindAllStringSubmatch(body, -1)
	if len(cards) != 2 || !strings.Contains(body, `href="data:application/pdf;base64,JVBER`) || !strings.Contains(body, e.Name) ||
		!strings.Contains(body, "<dd>6A</dd>") || !strings.Contains(body, "<dd>LATIN</dd>") {
		t.Fatalf("sheet cards: %v\n%s", cards, body)
	}
	for _, c := range cards {
		p, err := db.FindPersonByLogin(ctx, c[1])
		must(t, err)
		if !p.MustChangePassword || hash(c[1]) == before {
			t.Fatalf("%s: must change %v", c[1], p.MustChangePassword)
		}
		if _, _, err := a.Authenticate(ctx, auth.Attempt{Login: c[1], Password: c[2], Channel: core.ChannelWeb}); err != nil {
			t.Fatalf("%s cannot log in with the sheet's password: %v", c[1], err)
		}
	}
	es, err = db.FindJournal(ctx, journal.Filter{Action: "auth.password.reset", Result: journal.Done})
	must(t, err)
	if len(es) != 2 || es[0].ActorLogin != "prof.durand" {
		t.Fatalf("resets journaled: %+v", es)
	}
	r, body = post(url.Values{"pupil": {"eleve.b"}, "format": {"pdf"}})
	if r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("PDF: %q", r.Header.Get("Content-Type"))
	}
	if r, _ := post(url.Values{}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("nobody ticked: %d", r.StatusCode)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
