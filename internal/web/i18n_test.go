// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/preau/preau/internal/web"
)

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	rd := newSampleRenderer(t, nil)
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(web.LangFromContext(r.Context())))
	}))
	tests := []struct {
		name, query, cookie, accept string
		want                        string
		setsCookie                  bool
	}{
		{"default", "", "", "", "fr", false},
		{"accept english", "", "", "en-GB,en;q=0.9", "en", false},
		{"accept weights", "", "", "de, en;q=0.8, fr;q=0.5", "en", false},
		{"accept unsupported", "", "", "de-DE, es", "fr", false},
		{"cookie beats accept", "", "fr", "en", "fr", false},
		{"query beats cookie", "en", "fr", "fr", "en", true},
		{"bad query ignored", "de", "en", "", "en", false},
		{"bad cookie ignored", "", "xx", "en", "en", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := "/"
			if tc.query != "" {
				target += "?lang=" + tc.query
			}
			hdr := []string{"Accept-Language", tc.accept}
			if tc.cookie != "" {
				hdr = append(hdr, "Cookie", web.LangCookie+"="+tc.cookie)
			}
			w := do(h, http.MethodGet, target, "", hdr...)
			if got := w.Body.String(); got != tc.want {
				t.Errorf("language %q, want %q", got, tc.want)
			}
			set := w.Header().Get("Set-Cookie")
			if (set != "") != tc.setsCookie {
				t.Fatalf("Set-Cookie = %q", set)
			}
			if tc.setsCookie {
				for _, part := range []string{"lang=" + tc.want, "Path=/", "Max-Age=31536000", "HttpOnly", "SameSite=Lax"} {
					if !strings.Contains(set, part) {
						t.Errorf("Set-Cookie %q lacks %q", set, part)
					}
				}
			}
		})
	}
}

func TestHTMLLangAndFallback(t *testing.T) {
	t.Parallel()
	extra := fstest.MapFS{
		"templates/only_fr.html": {Data: []byte(`{{define "title"}}{{t "x.title"}}{{end}}` +
			`{{define "content"}}<p>{{t "x.both"}}</p><p>{{t "x.fr_only" 3}}</p><p>{{plural "x.n" 0}}|{{plural "x.n" 2}}</p>{{end}}`)},
		"i18n/fr.json": {Data: []byte(`{"x.title": "Titre", "x.both": "Bonjour", "x.fr_only": "Seulement %d en français",
			"x.n.one": "%d élève", "x.n.other": "%d élèves"}`)},
		"i18n/en.json": {Data: []byte(`{"x.title": "Title", "x.both": "Hello", "x.n.one": "%d pupil", "x.n.other": "%d pupils"}`)},
	}
	rd, err := web.NewRenderer(web.RendererConfig{}, extra)
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, http.StatusOK, "only_fr", nil)
	}))
	for lang, want := range map[string][]string{
		"fr": {`<html lang="fr"`, "<title>Titre – Préau</title>", "Bonjour", "Seulement 3 en français", "0 élève|2 élèves"},
		"en": {`<html lang="en"`, "<title>Title – Préau</title>", "Hello", "Seulement 3 en français", "0 pupils|2 pupils"},
	} {
		w := do(h, http.MethodGet, "/?lang="+lang, "")
		if w.Header().Get("Content-Language") != lang {
			t.Errorf("%s: Content-Language %q", lang, w.Header().Get("Content-Language"))
		}
		for _, s := range want {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s: body lacks %q", lang, s)
			}
		}
	}
}

func TestCatalogErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		assets []fstest.MapFS
		want   string
	}{
		{"duplicate key", []fstest.MapFS{
			{"i18n/fr.json": {Data: []byte(`{"dup.key": "a"}`)}},
			{"i18n/fr.json": {Data: []byte(`{"dup.key": "b"}`)}},
		}, `key "dup.key" already defined`},
		{"duplicate shell key", []fstest.MapFS{
			{"i18n/fr.json": {Data: []byte(`{"web.skip": "a"}`)}},
		}, `key "web.skip" already defined`},
		{"english only", []fstest.MapFS{
			{"i18n/en.json": {Data: []byte(`{"lonely": "x"}`)}},
		}, `key "lonely" has English text but no French text`},
		{"malformed", []fstest.MapFS{
			{"i18n/fr.json": {Data: []byte(`{"a": 1}`)}},
		}, `i18n/fr.json`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newRendererFS(tc.assets...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewRenderer error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	rd := newSampleRenderer(t, nil)
	var got []string
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, web.T(r.Context(), "sample.saved", "Arts"))
	}))
	do(h, http.MethodGet, "/?lang=fr", "")
	do(h, http.MethodGet, "/?lang=en", "")
	want := []string{"L’espace «\u00a0Arts\u00a0» a été créé.", "The space “Arts” has been created."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("T = %q, want %q", got, want)
	}
	if s := web.T(t.Context(), "sample.saved"); s != "sample.saved" {
		t.Errorf("T without renderer = %q, want the key", s)
	}
}
