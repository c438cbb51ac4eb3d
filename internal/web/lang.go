// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"net/http"
	"strconv"
	"strings"
)

// LangCookie is the name of the cookie that remembers the chosen language.
const LangCookie = "lang"

// langCookieMaxAge is one year, in seconds.
const langCookieMaxAge = 365 * 24 * 60 * 60

// maxLangRanges bounds the work spent on one Accept-Language header.
const maxLangRanges = 32

// chooseLang returns the interface language for r, in this order: the query
// parameter lang=fr|en, the lang cookie, Accept-Language, then French.
// fromQuery reports that the choice came from the query parameter, so that
// the caller remembers it in a cookie.
func chooseLang(r *http.Request) (lang string, fromQuery bool) {
	if q := r.URL.Query().Get("lang"); supported(q) {
		return q, true
	}
	if c, err := r.Cookie(LangCookie); err == nil && supported(c.Value) {
		return c.Value, false
	}
	return matchAcceptLanguage(r.Header.Get("Accept-Language")), false
}

// setLangCookie remembers lang for a year. The cookie is not readable from
// scripts and is sent on top-level navigations from other sites (SameSite=Lax)
// so that a link into Préau keeps the user's language.
func setLangCookie(w http.ResponseWriter, r *http.Request, lang string) {
	http.SetCookie(w, &http.Cookie{
		Name:     LangCookie,
		Value:    lang,
		Path:     "/",
		MaxAge:   langCookieMaxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// matchAcceptLanguage returns the supported language that the header h
// (RFC 9110 §12.5.4) prefers, or French. Among ranges of equal weight the
// first wins; "q=0" excludes a language; malformed ranges are ignored. Only
// the first maxLangRanges ranges are read.
func matchAcceptLanguage(h string) string {
	best, bestQ := LangFR, 0.0
	for i := 0; i < maxLangRanges && h != ""; i++ {
		var item string
		item, h, _ = strings.Cut(h, ",")
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		primary, _, _ := strings.Cut(tag, "-")
		if !supported(primary) {
			continue
		}
		q, ok := parseQ(params)
		if ok && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// parseQ reads the weight in the parameters of a language range: 1 when
// absent, false when malformed or outside [0, 1].
func parseQ(params string) (float64, bool) {
	params = strings.TrimSpace(params)
	if params == "" {
		return 1, true
	}
	name, v, ok := strings.Cut(params, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
		return 0, false
	}
	v = strings.TrimSpace(v)
	if len(v) == 0 || len(v) > 5 || strings.Trim(v, "0123456789.") != "" {
		return 0, false
	}
	q, err := strconv.ParseFloat(v, 64)
	if err != nil || q < 0 || q > 1 {
		return 0, false
	}
	return q, true
}
