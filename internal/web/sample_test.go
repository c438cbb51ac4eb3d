// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// sampleAssets are the test-only pages of a pretend service.
var sampleAssets = os.DirFS("testdata/sample")

// sampleToken is the CSRF token of the pretend session.
const sampleToken = "tok-0123456789"

// newSampleRenderer builds a renderer for the sample assets whose log goes
// to logs (which may be nil).
func newSampleRenderer(t testing.TB, logs io.Writer) *web.Renderer {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	rd, err := web.NewRenderer(web.RendererConfig{
		Nav: func(*http.Request) []web.NavItem {
			return []web.NavItem{
				{Label: "sample.nav.home", Href: "/"},
				{Label: "sample.nav.form", Href: "/form"},
				{Label: "sample.nav.components", Href: "/components"},
			}
		},
		Footer: []web.NavItem{
			{Label: "sample.footer.a11y", Href: "/accessibilite"},
			{Label: "sample.footer.legal", Href: "/mentions-legales"},
		},
		Log: slog.New(slog.NewTextHandler(logs, nil)),
	}, sampleAssets)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// signedIn plays the auth layer: a teacher with a session and its token.
func signedIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := core.ContextWithPrincipal(r.Context(), core.Principal{
			PersonID: "p-1", Login: "camille.martin", Profile: core.ProfileTeacher, SessionID: "s-1",
		})
		h.ServeHTTP(w, r.WithContext(web.ContextWithCSRFToken(ctx, sampleToken)))
	})
}

// newSampleServer returns the whole sample application, wired as the app
// does: Secure, Wrap, auth, CSRF, mux.
func newSampleServer(t testing.TB, logs io.Writer) http.Handler {
	rd := newSampleRenderer(t, logs)
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	mux.Handle("GET /form", web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f := web.NewForm(r.Context(), nil)
		if r.URL.Query().Has("invalid") {
			validateSample(f)
		}
		rd.Page(w, r, http.StatusOK, "sample_form", formPage{Form: f})
		return nil
	}))
	mux.Handle("POST /form", web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f, err := web.ParseForm(r)
		if err != nil {
			return err
		}
		if validateSample(f); !f.Valid() {
			rd.Page(w, r, http.StatusBadRequest, "sample_form", formPage{Form: f})
			return nil
		}
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "sample.saved", Args: []string{f.Value("name")}})
		http.Redirect(w, r, "/components", http.StatusSeeOther)
		return nil
	}))
	mux.HandleFunc("GET /components", func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, http.StatusOK, "sample_components", sampleComponents())
	})
	mux.HandleFunc("GET /progress", func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, http.StatusOK, "progress", web.Progress{
			Title: "sample.progress.title", Message: "sample.progress.message",
			Value: 42, Max: 100, EventsURL: "/progress/events",
		})
	})
	mux.Handle("GET /progress/events", web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		s, err := web.NewSSE(w, r)
		if err != nil {
			return err
		}
		_ = s.Send("progress", web.ProgressEvent{Value: 60, Max: 100})
		_ = s.Send("done", web.ProgressEvent{Value: 100, Max: 100, URL: "/components"})
		return nil
	}))
	mux.Handle("GET /boom", web.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		return core.Wrap("sample.Boom", core.Internal, io.ErrUnexpectedEOF)
	}))
	mux.Handle("GET /denied", web.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		return core.E("sample.Denied", core.Permission, "Seule la direction peut fermer un espace.")
	}))
	mux.HandleFunc("/", web.NotFound)
	return web.Secure(rd.Wrap(signedIn(web.CSRF(mux))))
}

type formPage struct{ Form *web.Form }

func validateSample(f *web.Form) {
	f.Required("name", "sample.name")
	f.MaxLen("name", 60)
	if e := f.Value("email"); e != "" && !strings.Contains(e, "@") {
		f.Fail("email", "sample.email.invalid")
	}
	if f.Required("seats", "sample.seats") != "" {
		f.Int("seats", 1, 40)
	}
}

type tile struct{ Icon, Title, Text string }

type row struct {
	Name, Class   string
	Used          int64
	Updated       time.Time
	Badge, Status string
}

func sampleComponents() any {
	at := time.Date(2026, 11, 29, 13, 5, 0, 0, time.UTC)
	return struct {
		Tiles  []tile
		Rows   []row
		When   time.Time
		Charts []web.Chart
	}{
		Charts: []web.Chart{
			web.Bars("Personnes par profil", "Comptes par profil.", []string{"Élèves", "Enseignants", "Direction"},
				[]int{612, 48, 3}),
			{Title: "Charte acceptée", Series: []string{"Acceptée", "En attente", "Refusée"}, Percent: true,
				Rows: []web.ChartRow{{Label: "Élèves", Values: []int{500, 100, 12}}, {Label: "Enseignants", Values: []int{40, 8, 0}}}},
			{Title: "Rien encore"},
		},
		Tiles: []tile{
			{"@", "sample.tile.mail", "sample.tile.mail.text"},
			{"F", "sample.tile.files", "sample.tile.files.text"},
			{"?", "sample.tile.search", "sample.tile.search.text"},
		},
		Rows: []row{
			{"Sciences 5e B", "5e B", 1_250_000_000, at, "success", "sample.status.ok"},
			{"Histoire 3e A", "3e A", 9_100_000_000, at.Add(-50 * time.Hour), "warning", "sample.status.full"},
			{"Arts 6e C", "6e C", 812_000, at.Add(-900 * time.Hour), "info", "sample.status.closed"},
		},
		When: at,
	}
}

// do performs a request against h and returns the recorded response.
func do(h http.Handler, method, target string, body string, hdr ...string) *httptest.ResponseRecorder {
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	r := httptest.NewRequestWithContext(context.Background(), method, target, rb)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
