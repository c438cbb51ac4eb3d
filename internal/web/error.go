// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/preau/preau/internal/core"
)

// status is THE mapping from core.Kind to HTTP status. Unknown kinds are 500.
func status(k core.Kind) int {
	switch k {
	case core.Invalid:
		return http.StatusBadRequest
	case core.NotFound:
		return http.StatusNotFound
	case core.Exists, core.Conflict:
		return http.StatusConflict
	case core.Permission:
		return http.StatusForbidden
	case core.Unauthenticated:
		return http.StatusUnauthorized
	case core.Unavailable:
		return http.StatusServiceUnavailable
	case core.TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of an error response:
// {"error":{"kind":"not_found","message":"…","incident":"…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error in [ErrorBody]. Kind is the stable
// core.Kind name; Message is safe to show; Incident is set for internal errors.
type ErrorDetail struct {
	Kind     string `json:"kind"`
	Message  string `json:"message"`
	Incident string `json:"incident,omitempty"`
}

// ErrorPage is the Data of the shell's "error" page.
type ErrorPage struct {
	Status   int
	Kind     string // core.Kind name, selects the title and explanation
	Message  string // safe, translated message of the error; may be ""
	Incident string // set for internal errors
	BackURL  string // same-origin page the user came from, or ""
	LoginURL string // set for Unauthenticated: where to log in, returning here
}

// Error writes the response for err: the status of its core.Kind, and a JSON
// [ErrorBody] when the path starts with /api/ or the client prefers
// application/json over text/html, else the "error" page in the layout. The
// user sees the safe message (core.MessageOf, translated when it is a catalog
// key) and never the cause. An Internal error gets an incident ID that is
// shown and logged with the full error; Unavailable errors are logged too.
// Error must be called before anything is written to w. A nil err is treated
// as an internal error.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		err = core.E("web.Error", core.Internal, "called with a nil error")
	}
	rd := rendererFromContext(r.Context())
	if rd == nil {
		rd = fallbackRenderer()
	}
	kind := core.KindOf(err)
	code := status(kind)
	if code == http.StatusInternalServerError {
		kind = core.Internal // unknown kinds too: no message, an incident ID
	}
	lang := requestLang(r)
	var incident string
	switch kind {
	case core.Internal:
		incident = core.NewIncidentID()
		rd.log.ErrorContext(r.Context(), "request failed", errAttrs(r, err, incident)...)
	case core.Unavailable:
		rd.log.WarnContext(r.Context(), "request failed", errAttrs(r, err, "")...)
	}
	var msg string
	if kind != core.Internal {
		msg = core.MessageOf(err)
	}
	if rd.cat.has(msg) {
		msg = rd.cat.T(lang, msg)
	}
	name := kind.String()
	if wantsJSON(r) {
		_ = JSON(w, code, ErrorBody{ErrorDetail{Kind: name, Message: msg, Incident: incident}})
		return
	}
	page := ErrorPage{Status: code, Kind: name, Message: msg, Incident: incident, BackURL: backURL(r)}
	if kind == core.Unauthenticated {
		page.LoginURL = rd.cfg.LoginURL + "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	rd.page(w, r, code, "error", page, false)
}

func errAttrs(r *http.Request, err error, incident string) []any {
	a := []any{"err", err.Error(), "kind", core.KindOf(err).String(),
		"method", r.Method, "path", r.URL.Path}
	if incident != "" {
		a = append(a, "incident", incident)
	}
	if p := core.PrincipalFromContext(r.Context()); !p.Anonymous() {
		a = append(a, "login", p.Login)
	}
	return a
}

// wantsJSON reports whether the error response should be JSON: the path is
// under /api/, or Accept ranks application/json above text/html.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	jsonQ, htmlQ := -1.0, -1.0
	for item := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		typ, params, _ := strings.Cut(item, ";")
		q, ok := parseQ(params)
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "application/json":
			jsonQ = max(jsonQ, q)
		case "text/html":
			htmlQ = max(htmlQ, q)
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ
}

// backURL returns the path of the same-origin page that linked here, if any.
func backURL(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || ref.Path == r.URL.Path || !strings.HasPrefix(ref.Path, "/") {
		return ""
	}
	return ref.RequestURI()
}

// HandlerFunc is an HTTP handler that returns an error. ServeHTTP passes a
// non-nil error to [Error], so the handler must not have written the
// response when it fails. A panic, other than http.ErrAbortHandler, becomes an
// internal error with its stack in the log.
type HandlerFunc func(http.ResponseWriter, *http.Request) error

// ServeHTTP implements http.Handler.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			Error(w, r, core.Wrap("web.HandlerFunc", core.Internal,
				fmt.Errorf("panic: %v\n%s", v, debug.Stack())))
		}
	}()
	if err := f(w, r); err != nil {
		Error(w, r, err)
	}
}

// NotFound answers with a NotFound error through [Error]. Mount it for
// unknown routes: mux.HandleFunc("/", web.NotFound).
func NotFound(w http.ResponseWriter, r *http.Request) {
	Error(w, r, core.E("web.NotFound", core.NotFound, ""))
}

// defaultLogger is used when no Renderer configured one.
func defaultLogger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
