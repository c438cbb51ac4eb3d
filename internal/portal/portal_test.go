// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/web"
)

type fakeDir struct{}

func (fakeDir) Person(_ context.Context, id string) (*directory.Person, error) {
	if id != "p1" {
		return nil, core.E("fake", core.NotFound, "no such person")
	}
	return &directory.Person{ID: "p1", Login: "zoe.martin", GivenName: "Zoé", DisplayName: "Zoé Martin",
		Profile: core.ProfilePupil, Establishments: []string{"e1"}}, nil
}

func (fakeDir) Establishment(_ context.Context, id string) (*directory.Establishment, error) {
	return &directory.Establishment{ID: id, UAI: "0999001W", Name: "École du Lac"}, nil
}

type fakeGroups struct{}

func (fakeGroups) FindMemberships(context.Context, string) ([]directory.PersonGroup, error) {
	return []directory.PersonGroup{{Group: &directory.Group{Name: "CM1 A"}, Role: "member"},
		{Group: &directory.Group{Name: "Chorale"}, Role: "owner"}}, nil
}

type fakeNotices struct{ read []string }

func (f *fakeNotices) FindNotices(context.Context, string, bool) ([]*notify.Notice, error) {
	return []*notify.Notice{{ID: "n1", Subject: "Bienvenue <b>", Body: "Votre compte est prêt.",
		At: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}}, nil
}

func (f *fakeNotices) MarkNoticeRead(_ context.Context, personID, id string) error {
	f.read = append(f.read, personID+"/"+id)
	return nil
}

func newPortal(t *testing.T, notices *fakeNotices) http.Handler {
	t.Helper()
	rd, err := web.NewRenderer(web.RendererConfig{}, portal.Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := portal.New(portal.Deps{Directory: fakeDir{}, Groups: fakeGroups{}, Notices: notices,
		Tiles: func(_ context.Context, p core.Principal) []portal.Tile {
			ts := portal.AccountTiles()
			if p.Profile == core.ProfileTeacher {
				ts = append([]portal.Tile{portal.TileResets}, ts...)
			}
			return ts
		}}, rd)
	mux := http.NewServeMux()
	h.Routes(mux, func(h http.Handler) http.Handler { return h })
	return rd.Wrap(mux)
}

func as(r *http.Request, p core.Principal) *http.Request {
	return r.WithContext(core.ContextWithPrincipal(r.Context(), p))
}

func TestHomeShowsServicesAccountAndProfile(t *testing.T) {
	t.Parallel()
	h := newPortal(t, &fakeNotices{})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, as(httptest.NewRequest("GET", "/", nil), core.Principal{PersonID: "p1", Login: "zoe.martin",
		Profile: core.ProfilePupil}))
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("%d\n%s", w.Code, body)
	}
	services, account, _ := strings.Cut(body, `id="account-title"`)
	if !strings.Contains(services, "Les services de l’établissement apparaîtront ici") {
		t.Error("a pupil with no service sees the empty state")
	}
	for _, want := range []string{`href="/account/data"`, `href="/privacy"`, `href="/charter"`, `href="/account/sessions"`,
		"Mes données", "Zoé Martin", "CM1 A", "Chorale (responsable)", "École du Lac (0999001W)", "Bienvenue &lt;b&gt;",
		`action="/notices/n1/read"`} {
		if !strings.Contains(account, want) && !strings.Contains(services, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if strings.Contains(account, `href="/passwords/reset"`) {
		t.Error("a pupil gets the teacher's tile")
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, as(httptest.NewRequest("GET", "/?lang=en", nil), core.Principal{PersonID: "p1", Profile: core.ProfileTeacher}))
	services, _, _ = strings.Cut(w.Body.String(), `id="account-title"`)
	if !strings.Contains(services, `href="/passwords/reset"`) || !strings.Contains(services, "Pupil passwords") {
		t.Errorf("teacher's services:\n%s", services)
	}
}

func TestHomeOfUnknownPersonIsNotFound(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	newPortal(t, &fakeNotices{}).ServeHTTP(w, as(httptest.NewRequest("GET", "/", nil), core.Principal{PersonID: "gone"}))
	if w.Code != http.StatusNotFound {
		t.Errorf("status %d", w.Code)
	}
}

func TestReadNoticeMarksThePrincipalsNotice(t *testing.T) {
	t.Parallel()
	n := &fakeNotices{}
	w := httptest.NewRecorder()
	newPortal(t, n).ServeHTTP(w, as(httptest.NewRequest("POST", "/notices/n1/read", nil), core.Principal{PersonID: "p1"}))
	if w.Code != http.StatusSeeOther || len(n.read) != 1 || n.read[0] != "p1/n1" {
		t.Errorf("%d %v", w.Code, n.read)
	}
}
