// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/preau/preau/internal/web"
)

// newRendererFS builds a renderer from in-memory assets.
func newRendererFS(assets ...fstest.MapFS) (*web.Renderer, error) {
	fss := make([]fs.FS, len(assets))
	for i, a := range assets {
		fss[i] = a
	}
	return web.NewRenderer(web.RendererConfig{}, fss...)
}

// page returns a page file that defines title and content.
func page(content string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{{define "title"}}T{{end}}{{define "content"}}` + content + `{{end}}`)}
}

var frKeys = &fstest.MapFile{Data: []byte(`{"k.ok": "oui", "k.n.one": "%d", "k.n.other": "%d"}`)}

func TestRendererChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		assets []fstest.MapFS
		want   string // "" means construction succeeds
	}{
		{"valid", []fstest.MapFS{{"templates/p.html": page(`{{t "k.ok"}}{{plural "k.n" 2}}`), "i18n/fr.json": frKeys}}, ""},
		{"missing French key", []fstest.MapFS{{"templates/p.html": page(`{{t "k.missing"}}`), "i18n/fr.json": frKeys}},
			`templates/p.html:1:48: translation key "k.missing" has no French text`},
		{"missing key in .T", []fstest.MapFS{{"templates/p.html": page(`{{if true}}{{$.T "k.gone" 1}}{{end}}`)}},
			`translation key "k.gone" has no French text`},
		{"key only in English", []fstest.MapFS{{"templates/p.html": page(`{{t "k.en"}}`),
			"i18n/en.json": {Data: []byte(`{"k.en": "yes"}`)}}}, `key "k.en" has English text but no French text`},
		{"missing plural form", []fstest.MapFS{{"templates/p.html": page(`{{plural "k.x" 1}}`),
			"i18n/fr.json": {Data: []byte(`{"k.x.one": "un"}`)}}}, `translation key "k.x.other" has no French text`},
		{"undefined template", []fstest.MapFS{{"templates/p.html": page(`{{template "nowhere" .}}`)}},
			`{{template "nowhere"}}: no such template`},
		{"no title", []fstest.MapFS{{"templates/p.html": {Data: []byte(`{{define "content"}}x{{end}}`)}}},
			`page "p": no {{define "title"}}`},
		{"unknown static", []fstest.MapFS{{"templates/p.html": page(`{{static "nope.css"}}`)}},
			`static file "nope.css" does not exist`},
		{"text outside define", []fstest.MapFS{{"templates/p.html": {Data: []byte(`hello`)}}},
			`templates/p.html: text outside {{define}}`},
		{"parse error", []fstest.MapFS{{"templates/p.html": page(`{{if}}`)}}, `templates/p.html`},
		{"unknown function", []fstest.MapFS{{"templates/p.html": page(`{{frobnicate}}`)}}, `"frobnicate" not defined`},
		{"duplicate page", []fstest.MapFS{{"templates/p.html": page(``)}, {"templates/p.html": page(``)}},
			`page "p" is defined twice`},
		{"page named like a shell page", []fstest.MapFS{{"templates/error.html": page(``)}}, `page "error" is defined twice`},
		{"redefines the layout", []fstest.MapFS{{"templates/p.html": page(``),
			"templates/partials/x.html": {Data: []byte(`{{define "layout"}}x{{end}}`)}}},
			`template "layout" is already defined`},
		{"page may override head", []fstest.MapFS{{"templates/p.html": {Data: []byte(
			`{{define "title"}}T{{end}}{{define "head"}}<meta name="x" content="y">{{end}}{{define "content"}}x{{end}}`)}}}, ""},
		{"page may replace the layout", []fstest.MapFS{{"templates/p.html": {Data: []byte(
			`{{define "page"}}<!doctype html><title>x</title>{{end}}`)}}}, ""},
		{"escaping error", []fstest.MapFS{{"templates/p.html": page(`<a href="{{"x"}}`)}}, `html/template`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newRendererFS(tc.assets...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("NewRenderer: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("NewRenderer error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	h := newSampleServer(t, nil)
	w := do(h, http.MethodGet, "/form?page=2&lang=fr", "")
	body := w.Body.String()
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}
	for _, s := range []string{
		`<a href="/form" aria-current="page">Formulaire</a>`,
		`<a href="/">Accueil</a>`,
		`Connecté en tant que camille.martin`,
		`<form method="post" action="/logout"><input type="hidden" name="csrf" value="` + sampleToken + `">`,
		`<form class="form" method="post" action="/form" novalidate>` + "\n" + `<input type="hidden" name="csrf" value="` + sampleToken + `">`,
		`<a href="/form?lang=en&amp;page=2" lang="en" hreflang="en">English</a>`,
		`<a href="/accessibilite">Accessibilité`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	if strings.Contains(body, "\x00") {
		t.Error("body holds the CSRF placeholder")
	}
}

func TestPageFormErrorsAndFlash(t *testing.T) {
	t.Parallel()
	h := newSampleServer(t, nil)
	form := "application/x-www-form-urlencoded"
	w := do(h, http.MethodPost, "/form", "csrf="+sampleToken+"&name=&email=nope&seats=99", "Content-Type", form)
	body := w.Body.String()
	for _, s := range []string{
		"<title>Erreur\u00a0: Créer un espace de classe – Préau</title>",
		`Le formulaire contient 3 erreurs`,
		`<a href="#f-name">Indiquez «` + "\u00a0" + `Nom` + "\u00a0" + `».</a>`,
		`value="nope"`,
		`aria-invalid="true" aria-describedby="f-seats-hint f-seats-error"`,
		`Saisissez un nombre entier entre 1 et 40.`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q", s)
		}
	}
	if w.Code != http.StatusBadRequest {
		t.Errorf("status %d", w.Code)
	}

	ok := do(h, http.MethodPost, "/form", "csrf="+sampleToken+"&name=Arts+<b>&seats=12", "Content-Type", form)
	cookie := ok.Header().Get("Set-Cookie")
	if ok.Code != http.StatusSeeOther || !strings.HasPrefix(cookie, web.FlashCookie+"=") {
		t.Fatalf("status %d, Set-Cookie %q", ok.Code, cookie)
	}
	next := do(h, http.MethodGet, "/components", "", "Cookie", strings.Split(cookie, ";")[0])
	if !strings.Contains(next.Body.String(), "L’espace «\u00a0Arts &lt;b&gt;\u00a0» a été créé.") {
		t.Errorf("flash not shown:\n%s", next.Body)
	}
	if c := next.Header().Get("Set-Cookie"); !strings.Contains(c, "Max-Age=0") {
		t.Errorf("flash not cleared: Set-Cookie %q", c)
	}
	forged := do(h, http.MethodGet, "/components", "", "Cookie", web.FlashCookie+"=W3siayI6ImVycm9yIiwibSI6IkNhbGwgMDgwMCJ9XQ")
	if strings.Contains(forged.Body.String(), "Call 0800") {
		t.Error("a flash with an unknown key was shown")
	}
}

func TestCSRFPlaceholderCannotBeForged(t *testing.T) {
	t.Parallel()
	rd, err := newRendererFS(fstest.MapFS{"templates/p.html": page(`<p title="{{.Data}}">{{.Data}}</p>{{csrfField}}`)})
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(web.ContextWithCSRFToken(r.Context(), "TOKEN"))
		rd.Page(w, r, http.StatusOK, "p", "\x00preau-csrf\x00")
	}))
	body := do(h, http.MethodGet, "/", "").Body.String()
	if n := strings.Count(body, "TOKEN"); n != 1 {
		t.Errorf("token appears %d times, want once (in csrfField):\n%s", n, body)
	}
}

func TestPageUnknownName(t *testing.T) {
	t.Parallel()
	rd := newSampleRenderer(t, nil)
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, http.StatusOK, "nope", nil)
	}))
	if w := do(h, http.MethodGet, "/", ""); w.Code != 500 || !strings.Contains(w.Body.String(), "incident-id") {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	if !slices.Contains(rd.Pages(), "sample_form") || !slices.Contains(rd.Pages(), "progress") {
		t.Errorf("Pages() = %q", rd.Pages())
	}
	if err := rd.Require("sample_form", "error"); err != nil {
		t.Errorf("Require: %v", err)
	}
	if err := rd.Require("sample_form", "sample_from", "nope"); err == nil ||
		err.Error() != `web: undeclared pages "sample_from", "nope"` {
		t.Errorf("Require = %v", err)
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	rd, err := newRendererFS(fstest.MapFS{"templates/f.html": page(
		`[{{date .Data.A}}][{{datetime .Data.B}}][{{clock .Data.B}}][{{isotime .Data.B}}]` +
			`[{{number .Data.N}}][{{size .Data.S}}][{{size 999}}][{{date .Data.Z}}]`)})
	if err != nil {
		t.Fatal(err)
	}
	data := struct {
		A, B, Z time.Time
		N       int
		S       int64
	}{
		A: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		B: time.Date(2026, 7, 14, 21, 30, 0, 0, time.UTC), // 23:30 in Paris (summer time)
		N: -1234567, S: 1_550_000,
	}
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.Page(w, r, http.StatusOK, "f", data)
	}))
	for lang, want := range map[string]string{
		"fr": "[1er décembre 2026][14 juillet 2026 à 23:30][23:30][2026-07-14T23:30:00&#43;02:00]" +
			"[-1\u202f234\u202f567][1,6\u00a0Mo][999\u00a0octets][]",
		"en": "[1 December 2026][14 July 2026, 23:30][23:30][2026-07-14T23:30:00&#43;02:00]" +
			"[-1,234,567][1.6\u00a0MB][999\u00a0bytes][]",
	} {
		body := do(h, http.MethodGet, "/?lang="+lang, "").Body.String()
		if !strings.Contains(body, want) {
			t.Errorf("%s: body lacks %q\n%s", lang, want, body)
		}
	}
}
