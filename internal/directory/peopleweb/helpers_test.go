// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/directory/peopleweb"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

var quiet = slog.New(slog.DiscardHandler)

// world is one collège with two classes of pupils, a teacher owning 6A, a
// staff member granted people.manage from the admin zone, a head and a
// technical admin, served by the real pages over SQLite.
type world struct {
	t       *testing.T
	db      *store.DB
	dir     *directory.Service
	auth    *auth.Service
	clock   *core.FakeClock
	srv     *httptest.Server
	as      core.Principal // the principal of the next requests
	est     *directory.Establishment
	other   *directory.Establishment
	c6A     *directory.Group
	c6B     *directory.Group
	people  map[string]*directory.Person // by login
	pupilsA []*directory.Person
	pupilsB []*directory.Person
}

func newWorld(t *testing.T, pupilsPerClass int) *world {
	t.Helper()
	ctx := dirtest.Ctx()
	w := &world{t: t, clock: core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)), people: map[string]*directory.Person{}}
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.dir = directory.New(directory.Deps{Store: db, Clock: w.clock, Log: quiet})
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}}
	cfg.Defaults()
	w.auth = auth.New(cfg, auth.Deps{Store: db, Clock: w.clock, Log: quiet})
	w.est = dirtest.NewEstablishment(999101, directory.College)
	w.est.Name = "Collège Hélène-Boucher"
	w.other = dirtest.NewEstablishment(999102, directory.Lycee)
	must(t, db.CreateEstablishment(ctx, w.est))
	must(t, db.CreateEstablishment(ctx, w.other))
	year := core.SchoolYear(w.clock.Now())
	w.c6A = &directory.Group{ID: core.NewID(), Establishment: w.est.ID, Code: "6A", Name: "6e A", Kind: directory.Class, SchoolYear: year}
	w.c6B = &directory.Group{ID: core.NewID(), Establishment: w.est.ID, Code: "6B", Name: "6e B", Kind: directory.Class, SchoolYear: year}
	must(t, db.CreateGroups(ctx, []*directory.Group{w.c6A, w.c6B}))
	var nps []directory.NewPerson
	var ms []directory.Membership
	add := func(login string, prof core.Profile, est string) *directory.Person {
		p := dirtest.NewPerson(login, prof, est)
		must(t, p.Validate())
		w.people[login] = p
		nps = append(nps, directory.NewPerson{Person: p})
		return p
	}
	for i := range pupilsPerClass {
		a := add(fmt.Sprintf("a.eleve%03d", i), core.ProfilePupil, w.est.ID)
		b := add(fmt.Sprintf("b.eleve%03d", i), core.ProfilePupil, w.est.ID)
		w.pupilsA, w.pupilsB = append(w.pupilsA, a), append(w.pupilsB, b)
		ms = append(ms, directory.Membership{GroupID: w.c6A.ID, PersonID: a.ID, Role: directory.RoleMember},
			directory.Membership{GroupID: w.c6B.ID, PersonID: b.ID, Role: directory.RoleMember})
	}
	teacher := add("prof.durand", core.ProfileTeacher, w.est.ID)
	add("cpe.martin", core.ProfileStaff, w.est.ID)
	add("principal", core.ProfileHead, w.est.ID)
	add("tech", core.ProfileAdmin, w.est.ID)
	add("lyceen", core.ProfilePupil, w.other.ID)
	must(t, db.CreatePeople(ctx, nps))
	ms = append(ms, directory.Membership{GroupID: w.c6A.ID, PersonID: teacher.ID, Role: directory.RoleOwner})
	must(t, db.AddMembers(ctx, ms))
	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, peopleweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := peopleweb.New(peopleweb.Deps{Directory: w.dir, Passwords: w.auth, Factors: w.auth, Reader: db, Renderer: rd, Clock: w.clock,
		PublicURL: "https://preau.test/"})
	mux := http.NewServeMux()
	h.Routes(mux, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if core.PrincipalFromContext(r.Context()).Anonymous() {
				web.Error(rw, r, core.E("test", core.Unauthenticated, ""))
				return
			}
			next.ServeHTTP(rw, r)
		})
	})
	w.srv = httptest.NewServer(rd.Wrap(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(rw, r.WithContext(core.ContextWithPrincipal(r.Context(), w.as)))
	})))
	t.Cleanup(w.srv.Close)
	w.actAs("tech")
	return w
}

// actAs makes the next requests come from login's principal, with its
// grants in force, on the web channel.
func (w *world) actAs(login string) *world {
	w.t.Helper()
	p, err := w.auth.PrincipalForLogin(context.Background(), login)
	if err != nil {
		w.t.Fatal(err)
	}
	p.Channel = core.ChannelWeb
	w.as = p
	return w
}

func (w *world) get(path string) (int, string) {
	w.t.Helper()
	r, err := http.Get(w.srv.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

func (w *world) post(path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.PostForm(w.srv.URL+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

func (w *world) person(login string) *directory.Person {
	w.t.Helper()
	p, err := w.db.FindPersonByLogin(context.Background(), login)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) journal(action string) []*journal.Entry {
	w.t.Helper()
	es, err := w.db.FindJournal(context.Background(), journal.Filter{Action: action, Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}

func ids(ps ...*directory.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Fatalf("page lacks %q:\n%s", s, body)
		}
	}
}
