// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// failing returns a handler whose every request fails with err.
func failing(t *testing.T, err error, logs *bytes.Buffer) http.Handler {
	var w io.Writer
	if logs != nil {
		w = logs
	}
	rd := newSampleRenderer(t, w)
	return rd.Wrap(web.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return err }))
}

func TestErrorStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind core.Kind
		code int
		name string
	}{
		{core.Invalid, 400, "invalid"},
		{core.NotFound, 404, "not_found"},
		{core.Exists, 409, "exists"},
		{core.Conflict, 409, "conflict"},
		{core.Permission, 403, "permission"},
		{core.Unauthenticated, 401, "unauthenticated"},
		{core.Unavailable, 503, "unavailable"},
		{core.TooMany, 429, "too_many"},
		{core.Internal, 500, "internal"},
		{core.Kind(99), 500, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := failing(t, core.E("test.Op", tc.kind, ""), nil)
			html := do(h, http.MethodGet, "/x", "")
			if html.Code != tc.code {
				t.Errorf("HTML: status %d, want %d", html.Code, tc.code)
			}
			if ct := html.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("HTML: Content-Type %q", ct)
			}
			js := do(h, http.MethodGet, "/x", "", "Accept", "application/json")
			var body web.ErrorBody
			if err := json.Unmarshal(js.Body.Bytes(), &body); err != nil {
				t.Fatalf("JSON: %v\n%s", err, js.Body)
			}
			if js.Code != tc.code || body.Error.Kind != tc.name {
				t.Errorf("JSON: %d %q, want %d %q", js.Code, body.Error.Kind, tc.code, tc.name)
			}
		})
	}
}

func TestErrorJSONOrHTML(t *testing.T) {
	t.Parallel()
	h := failing(t, core.E("test.Op", core.NotFound, "no such pupil"), nil)
	tests := []struct {
		name, path, accept string
		json               bool
	}{
		{"browser", "/x", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"no accept", "/x", "", false},
		{"json", "/x", "application/json", true},
		{"json preferred", "/x", "application/json, text/html;q=0.5", true},
		{"html preferred", "/x", "text/html, application/json;q=0.5", false},
		{"json refused", "/x", "application/json;q=0", false},
		{"api path", "/api/pupils", "text/html", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := do(h, http.MethodGet, tc.path, "", "Accept", tc.accept)
			isJSON := strings.HasPrefix(w.Header().Get("Content-Type"), "application/json")
			if isJSON != tc.json {
				t.Fatalf("JSON = %v, want %v; body:\n%s", isJSON, tc.json, w.Body)
			}
			if !strings.Contains(w.Body.String(), "no such pupil") {
				t.Errorf("body lacks the safe message:\n%s", w.Body)
			}
			if tc.json {
				want := `{"error":{"kind":"not_found","message":"no such pupil"}}` + "\n"
				if w.Body.String() != want {
					t.Errorf("body %s, want %s", w.Body, want)
				}
			}
		})
	}
}

func TestErrorInternalHidesCause(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	cause := errors.New("pq: password authentication failed for user preau")
	h := failing(t, core.Wrap("store.Open", core.Internal, cause), &logs)
	for _, accept := range []string{"text/html", "application/json"} {
		w := do(h, http.MethodGet, "/x", "", "Accept", accept)
		body := w.Body.String()
		if w.Code != 500 || strings.Contains(body, "password") || strings.Contains(body, "store.Open") {
			t.Fatalf("%s: status %d, body leaks the cause:\n%s", accept, w.Code, body)
		}
		m := incidentRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no incident ID in body:\n%s", accept, body)
		}
		id := m[1] + m[2]
		line := lineWith(logs.String(), "incident="+id)
		if !strings.Contains(line, "password authentication failed") || !strings.Contains(line, "level=ERROR") {
			t.Errorf("%s: log line of incident %s lacks the cause: %q", accept, id, line)
		}
	}
}

// incidentRE finds the incident ID in an HTML or JSON error body.
var incidentRE = regexp.MustCompile(`incident-id">([0-9a-f]{12})<|"incident":"([0-9a-f]{12})"`)

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

func TestErrorPageContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		lang     string
		want     []string
		notWant  []string
		referrer string
	}{
		{"translated key message", core.E("web.CheckCSRF", core.Permission, "web.error.csrf"), "en",
			[]string{`<html lang="en"`, "Access denied", "The form has expired"}, []string{"web.error.csrf"}, ""},
		{"french default", core.E("x", core.NotFound, ""), "",
			[]string{`<html lang="fr"`, "Page introuvable", "Aller à l’accueil"}, []string{"Revenir"}, ""},
		{"login link", core.E("x", core.Unauthenticated, ""), "fr",
			[]string{`href="/login?next=%2Fx%3Flang%3Dfr"`, "Connexion nécessaire"}, nil, ""},
		{"back link", core.E("x", core.Conflict, ""), "fr",
			[]string{`href="/dir/users?page=2"`, "Revenir à la page précédente"}, nil, "http://example.com/dir/users?page=2"},
		{"foreign referrer", core.E("x", core.Conflict, ""), "fr",
			nil, []string{"Revenir"}, "http://evil.example/dir/users"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := "/x"
			if tc.lang != "" {
				target += "?lang=" + tc.lang
			}
			w := do(failing(t, tc.err, nil), http.MethodGet, "http://example.com"+target, "", "Referer", tc.referrer)
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("body has %q", s)
				}
			}
			if t.Failed() {
				t.Log(w.Body)
			}
		})
	}
}

func TestHandlerFuncPanic(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	rd := newSampleRenderer(t, &logs)
	h := rd.Wrap(web.HandlerFunc(func(http.ResponseWriter, *http.Request) error { panic("index out of range") }))
	w := do(h, http.MethodGet, "/x", "")
	if w.Code != 500 || strings.Contains(w.Body.String(), "index out of range") {
		t.Fatalf("status %d, body:\n%s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "index out of range") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestNotFoundWithoutRenderer(t *testing.T) {
	t.Parallel()
	w := do(http.HandlerFunc(web.NotFound), http.MethodGet, "/nope", "", "Accept-Language", "en-GB,en;q=0.9")
	if w.Code != 404 || !strings.Contains(w.Body.String(), "Page not found") {
		t.Fatalf("status %d, body:\n%s", w.Code, w.Body)
	}
}
