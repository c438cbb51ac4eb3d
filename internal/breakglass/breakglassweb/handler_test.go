// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package breakglassweb_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/breakglass/breakglasstest"
	"github.com/preau/preau/internal/breakglass/breakglassweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

const est = "0197a000-0000-7000-8000-00000000000a"

type dirFake struct{}

func (dirFake) Establishments(context.Context) ([]*directory.EstablishmentSummary, error) {
	return []*directory.EstablishmentSummary{{Establishment: directory.Establishment{ID: est, UAI: "0999001W",
		Name: "Collège Jean Moulin"}}}, nil
}

type site struct {
	t     *testing.T
	h     http.Handler
	clock *core.FakeClock
	ppl   map[string]*directory.Person
	as    string // login of the principal of the next request
}

func newSite(t *testing.T) *site {
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	mem := breakglasstest.NewMemStore(clock)
	s := &site{t: t, clock: clock, ppl: map[string]*directory.Person{}}
	for login, pr := range map[string]core.Profile{"tech": core.ProfileAdmin, "cheffe": core.ProfileHead,
		"lou.petit": core.ProfileTeacher} {
		p := &directory.Person{ID: core.NewID(), Login: login, GivenName: "P", FamilyName: login,
			DisplayName: "P " + login, Profile: pr, State: directory.Active, Establishments: []string{est}}
		mem.AddPerson(p)
		s.ppl[login] = p
	}
	rd, err := web.NewRenderer(web.RendererConfig{Log: slog.New(slog.DiscardHandler)}, breakglassweb.Assets(), admin.Assets())
	if err != nil {
		t.Fatal(err)
	}
	svc := breakglass.New(breakglass.Deps{Store: mem, People: mem, Clock: clock, Log: slog.New(slog.DiscardHandler)})
	h, err := breakglassweb.New(breakglassweb.Deps{Service: svc, Directory: dirFake{}, Renderer: rd, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pass := func(h http.Handler) http.Handler { return h }
	h.Routes(mux, pass, pass)
	s.h = rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := s.ppl[s.as]
		ctx := core.ContextWithPrincipal(r.Context(), core.Principal{PersonID: p.ID, Login: p.Login, Profile: p.Profile,
			Establishments: p.Establishments, Channel: core.ChannelWeb})
		mux.ServeHTTP(w, r.WithContext(ctx))
	}))
	return s
}

func (s *site) do(as, method, path string, form url.Values) (int, string, string) {
	s.t.Helper()
	s.as = as
	var req *http.Request
	if method == "POST" {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Location"), rec.Body.String()
}

var idRE = regexp.MustCompile(`/admin/breakglass/([0-9a-f-]{36})$`)

// TestPagesWalkARequest drives the pages as the admin, the head and the
// person concerned would, in French, with the clear refusals.
// CARINE: UTI-ESF-8, MCO-SVG-11
func TestPagesWalkARequest(t *testing.T) {
	s := newSite(t)
	code, _, body := s.do("tech", "GET", "/admin/breakglass/new", nil)
	if code != 200 || !strings.Contains(body, "Réquisition judiciaire") || !strings.Contains(body, `name="reference"`) {
		t.Fatalf("form: %d\n%s", code, body)
	}
	code, _, body = s.do("tech", "POST", "/admin/breakglass/new", url.Values{"target": {"lou.petit"},
		"reason": {"court"}, "duration": {"99"}})
	for _, want := range []string{"Choisissez « Contenu à ouvrir »", "Indiquez « Référence de la base légale »",
		"au moins 10 caractères", `aria-invalid="true"`} {
		if code != 400 || !strings.Contains(body, want) {
			t.Fatalf("invalid form: %d, missing %q\n%s", code, want, body)
		}
	}
	if !strings.Contains(body, `value="lou.petit"`) {
		t.Fatal("the form lost the input")
	}
	code, _, body = s.do("tech", "POST", "/admin/breakglass/new", url.Values{"target": {"nobody.here"},
		"scope": {"mail"}, "basis": {"consent"}, "reference": {"F-12"}, "reason": {"Accord écrit de la personne"}})
	if code != 400 || !strings.Contains(body, "Aucune personne de vos établissements n’a cet identifiant.") {
		t.Fatalf("unknown target: %d\n%s", code, body)
	}
	form := url.Values{"target": {"lou.petit"}, "scope": {"files"}, "basis": {"judicial"},
		"reference": {"PV 2026/118 TJ Lyon"}, "reason": {"Réquisition du parquet, enquête"}, "duration": {"4"}}
	code, loc, _ := s.do("tech", "POST", "/admin/breakglass/new", form)
	m := idRE.FindStringSubmatch(loc)
	if code != 303 || m == nil {
		t.Fatalf("create: %d %s", code, loc)
	}
	detail := loc
	code, _, body = s.do("tech", "POST", "/admin/breakglass/new", form)
	if code != 409 || !strings.Contains(body, "Vous avez déjà une demande ouverte") {
		t.Fatalf("duplicate: %d\n%s", code, body)
	}
	// The requester sees no decision form; forcing one is refused clearly.
	_, _, body = s.do("tech", "GET", detail, nil)
	if strings.Contains(body, "/approve") || !strings.Contains(body, "attend la décision") {
		t.Fatalf("requester's detail:\n%s", body)
	}
	code, _, body = s.do("tech", "POST", detail+"/approve", url.Values{"confirm": {"1"}})
	if code != 403 || !strings.Contains(body, "Vous ne pouvez pas approuver ni refuser votre propre demande") {
		t.Fatalf("self-approval: %d\n%s", code, body)
	}
	// The head must confirm having checked the legal basis.
	_, _, body = s.do("cheffe", "GET", "/admin/breakglass", nil)
	if !strings.Contains(body, "P lou.petit") || !strings.Contains(body, "En attente d’approbation") {
		t.Fatalf("head's list:\n%s", body)
	}
	code, _, body = s.do("cheffe", "POST", detail+"/approve", url.Values{"comment": {"vu"}})
	if code != 400 || !strings.Contains(body, "Confirmez avoir vérifié la base légale") {
		t.Fatalf("approval without confirmation: %d\n%s", code, body)
	}
	if code, _, _ = s.do("cheffe", "POST", detail+"/approve", url.Values{"confirm": {"1"}}); code != 303 {
		t.Fatalf("approval: %d", code)
	}
	_, _, body = s.do("cheffe", "GET", detail, nil)
	if !strings.Contains(body, "Accès en cours") || !strings.Contains(body, "Approbation") ||
		!strings.Contains(body, "Fermer l’accès maintenant") {
		t.Fatalf("detail after approval:\n%s", body)
	}
	// The person concerned sees it on their page, but not the console record.
	code, _, body = s.do("lou.petit", "GET", "/account/breakglass", nil)
	if code != 200 || !strings.Contains(body, "P tech") || !strings.Contains(body, "PV 2026/118 TJ Lyon") ||
		strings.Contains(body, "enquête") {
		t.Fatalf("account page: %d\n%s", code, body)
	}
	if code, _, _ = s.do("lou.petit", "GET", detail, nil); code != 404 {
		t.Fatalf("the person opened the console record: %d", code)
	}
	if code, _, _ = s.do("tech", "POST", detail+"/close", url.Values{"comment": {"fini"}}); code != 303 {
		t.Fatalf("close: %d", code)
	}
	_, _, body = s.do("tech", "GET", "/admin/breakglass?state=closed&lang=en", nil)
	if !strings.Contains(body, "Closed") || !strings.Contains(body, "P lou.petit") {
		t.Fatalf("filtered list in English:\n%s", body)
	}
	if code, _, _ = s.do("tech", "POST", detail+"/explode", nil); code != 404 {
		t.Fatalf("unknown action: %d", code)
	}
}
