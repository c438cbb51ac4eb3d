// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
)

//go:embed templates i18n
var shellFS embed.FS

// RendererConfig configures a [Renderer]. The zero value is usable.
type RendererConfig struct {
	// Nav returns the main navigation for a request (it may depend on the
	// principal's rights). Nil means no navigation.
	Nav func(r *http.Request) []NavItem
	// HomeURL, LoginURL and LogoutURL default to "/", "/login" and
	// "/logout". The layout's logout button POSTs to LogoutURL with the CSRF
	// token.
	HomeURL, LoginURL, LogoutURL string
	// Footer lists the footer links (Label is a translation key), such as
	// the accessibility statement and the legal notice that RGAA requires.
	Footer []NavItem
	// TimeZone names the zone dates are shown in; default "Europe/Paris"
	// (overseas schools set theirs, such as "Indian/Reunion").
	TimeZone string
	// Log receives internal errors and rendering failures; default
	// slog.Default().
	Log *slog.Logger
}

// Renderer renders pages in the shared layout. It is immutable after
// construction and safe for concurrent use.
type Renderer struct {
	cfg   RendererConfig
	cat   *catalog
	log   *slog.Logger
	pages map[string]map[string]*template.Template // page name → language → set
}

// NewRenderer parses the shell's layout, partials, pages and catalogs
// together with the assets of each service (see the package documentation
// for their layout). It fails, naming the file, on a template error, a page
// without "title" or "content", a {{template}} call to an undefined template,
// a duplicate page, partial or translation key, a literal translation key
// (in t, plural or .T) without French text, or an unknown static file.
func NewRenderer(cfg RendererConfig, assets ...fs.FS) (*Renderer, error) {
	cfg.HomeURL = cmpOr(cfg.HomeURL, "/")
	cfg.LoginURL = cmpOr(cfg.LoginURL, "/login")
	cfg.LogoutURL = cmpOr(cfg.LogoutURL, "/logout")
	cfg.TimeZone = cmpOr(cfg.TimeZone, "Europe/Paris")
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("web: time zone: %w", err)
	}
	log := defaultLogger(cfg.Log)
	all := append([]fs.FS{shellFS}, assets...)
	cat, err := loadCatalog(log, all)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	rd := &Renderer{cfg: cfg, cat: cat, log: log}
	if rd.pages, err = buildPages(all, cat, loc); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return rd, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Pages returns the names of the pages the renderer knows, sorted.
func (rd *Renderer) Pages() []string {
	names := make([]string, 0, len(rd.pages))
	for n := range rd.pages {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Require returns an error naming every page of names that the renderer
// does not know. A <svc>web package calls it from its constructor with the
// pages its handlers render, so that a typo fails at start-up rather than
// on the first request.
func (rd *Renderer) Require(names ...string) error {
	var missing []string
	for _, n := range names {
		if _, ok := rd.pages[n]; !ok {
			missing = append(missing, strconv.Quote(n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("web: undeclared pages %s", strings.Join(missing, ", "))
	}
	return nil
}

type rendererKey struct{}

func rendererFromContext(ctx context.Context) *Renderer {
	rd, _ := ctx.Value(rendererKey{}).(*Renderer)
	return rd
}

// fallbackRenderer renders error pages for requests that did not pass
// through [Renderer.Wrap]. It holds the shell's assets only.
var fallbackRenderer = sync.OnceValue(func() *Renderer {
	rd, err := NewRenderer(RendererConfig{})
	if err != nil {
		panic(err) // the embedded shell is broken; its tests catch this
	}
	return rd
})

// Wrap installs the renderer and the interface language in the context of
// every request, so that [T], [Error] and [ParseForm] work in h. A request
// with ?lang=fr or ?lang=en also gets the lang cookie that remembers it.
func (rd *Renderer) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, fromQuery := chooseLang(r)
		if fromQuery {
			setLangCookie(w, r, lang)
		}
		ctx := context.WithValue(r.Context(), rendererKey{}, rd)
		h.ServeHTTP(w, r.WithContext(ContextWithLang(ctx, lang)))
	})
}

// requestLang returns the language Wrap chose, or chooses one for r.
func requestLang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey{}).(string); ok {
		return l
	}
	l, _ := chooseLang(r)
	return l
}

// Page renders the page name in the layout with status code and data as the
// View's Data, in the request's language. The response is buffered: when
// rendering fails, the client gets the internal error page instead and the
// failure is logged. Pages are never cached (Cache-Control: no-store), as
// school computers are shared.
func (rd *Renderer) Page(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	rd.page(w, r, code, name, data, true)
}

// page renders name; primary is false when rendering the error page itself,
// which then neither consumes flash messages nor recurses on failure.
func (rd *Renderer) page(w http.ResponseWriter, r *http.Request, code int, name string, data any, primary bool) {
	lang := requestLang(r)
	set := rd.pages[name][lang]
	v := &View{
		Lang: lang, Path: r.URL.Path, Principal: core.PrincipalFromContext(r.Context()),
		CSRF: CSRFTokenFromContext(r.Context()), Data: data, Config: &rd.cfg, cat: rd.cat,
		query: r.URL.Query(),
	}
	if rd.cfg.Nav != nil {
		v.Nav = markCurrent(slices.Clone(rd.cfg.Nav(r)), r.URL.Path)
	}
	var buf bytes.Buffer
	err := fmt.Errorf("unknown page %q", name)
	if set != nil {
		if primary {
			v.Flash = takeFlash(w, r, rd.cat)
		}
		entry := "layout"
		if set.Lookup("page") != nil {
			entry = "page"
		}
		err = set.ExecuteTemplate(&buf, entry, v)
	}
	if err != nil {
		err = core.Wrap("web.Page", core.Internal, fmt.Errorf("rendering %s: %w", name, err))
		if primary {
			Error(w, r, err)
			return
		}
		rd.log.ErrorContext(r.Context(), "rendering the error page failed", "err", err)
		http.Error(w, http.StatusText(code), code)
		return
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte(csrfMarker), []byte(html.EscapeString(v.CSRF)))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	h.Del("Content-Length")
	w.WriteHeader(code)
	_, _ = w.Write(out)
}
