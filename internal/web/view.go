// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
)

// View is the value every page template executes with. Templates read the
// page's own values from .Data.
type View struct {
	Lang      string          // interface language, "fr" or "en"
	Path      string          // path of the request, for language links
	Principal core.Principal  // who is looking; the zero value is anonymous
	CSRF      string          // session CSRF token; templates use {{csrfField}}
	Nav       []NavItem       // main navigation, from RendererConfig.Nav
	Flash     []Flash         // messages carried over from the previous request
	Data      any             // the page's own view model
	Config    *RendererConfig // the renderer's configuration (URLs, footer)

	cat   *catalog
	query url.Values // of the request, for LangURL
}

// T translates key into the page language, formatted with args.
func (v *View) T(key string, args ...any) string { return v.cat.T(v.Lang, key, args...) }

// LangURL returns the current page's path and query with lang=lang, for
// the language switch.
func (v *View) LangURL(lang string) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Set("lang", lang)
	return v.Path + "?" + q.Encode()
}

// OtherLangs lists the languages other than the page's, for the language
// switch.
func (v *View) OtherLangs() []string {
	return slices.DeleteFunc(slices.Clone(Languages), func(l string) bool { return l == v.Lang })
}

// NavItem is one entry of the main navigation. Label is a translation key.
// When no item of a page is Current, the renderer marks the one whose Href is
// the request path or its longest parent ("/" only matches itself).
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

// markCurrent sets Current on the item with the longest Href that is the
// path or a parent of it, unless an item is already current.
func markCurrent(items []NavItem, path string) []NavItem {
	best := -1
	for i, it := range items {
		if it.Current {
			return items
		}
		h := strings.TrimSuffix(it.Href, "/")
		if path == it.Href || h != "" && (path == h || strings.HasPrefix(path, h+"/")) {
			if best < 0 || len(it.Href) > len(items[best].Href) {
				best = i
			}
		}
	}
	if best >= 0 {
		items[best].Current = true
	}
	return items
}

// Flash kinds, which select the alert style and icon.
const (
	FlashInfo    = "info"
	FlashSuccess = "success"
	FlashWarning = "warning"
	FlashError   = "error"
)

// Flash is a one-time message shown on the next page, typically after a
// POST that redirects. Key is a translation key that must exist in the
// catalog (others are dropped, so that a forged cookie cannot show arbitrary
// text); Args fill its verbs.
type Flash struct {
	Kind string   `json:"k"`
	Key  string   `json:"m"`
	Args []string `json:"a,omitempty"`
}

// FlashCookie is the name of the cookie that carries a flash message.
const FlashCookie = "flash"

// SetFlash stores f in a short-lived cookie; the next page rendered for this
// browser shows it and clears it. Call it before writing the response.
func SetFlash(w http.ResponseWriter, f Flash) {
	b, _ := json.Marshal([]Flash{f}) // cannot fail: strings only
	http.SetCookie(w, &http.Cookie{
		Name: FlashCookie, Value: base64.RawURLEncoding.EncodeToString(b),
		Path: "/", MaxAge: 300, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// takeFlash reads and clears the flash cookie. Entries with an unknown kind
// or key are dropped.
func takeFlash(w http.ResponseWriter, r *http.Request, cat *catalog) []Flash {
	c, err := r.Cookie(FlashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: FlashCookie, Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var list []Flash
	if json.Unmarshal(b, &list) != nil {
		return nil
	}
	return slices.DeleteFunc(list, func(f Flash) bool {
		switch f.Kind {
		case FlashInfo, FlashSuccess, FlashWarning, FlashError:
			return !cat.has(f.Key)
		}
		return true
	})
}

// Text returns the translated message of f in the language of v.
func (f Flash) Text(v *View) string {
	args := make([]any, len(f.Args))
	for i, a := range f.Args {
		args[i] = a
	}
	return v.cat.T(v.Lang, f.Key, args...)
}
