// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charterweb

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/charter/chartertest"
	"github.com/preau/preau/internal/core"
)

// TestGate: with a published charte, an interactive session that has not
// accepted it is sent to the accept page (pages) or refused (forms, API);
// exempt paths, API tokens, service accounts, system principals and
// must-change sessions pass; acceptance opens everything.
// CARINE: INF-SEC-3, INF-AUT-5
func TestGate(t *testing.T) {
	clock := core.NewFakeClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
	store := chartertest.NewMemStore(clock)
	svc := charter.New(charter.Deps{Store: store, Clock: clock, Log: slog.New(slog.DiscardHandler)})
	head := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: "h", Profile: core.ProfileHead,
		Establishments: []string{"e"}})
	d, err := svc.SaveDraft(head, "e", charter.KindCharte, "Charte", "Texte.")
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Publish(head, "e", charter.KindCharte, d.Number, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{deps: Deps{Charter: svc}}
	gate := h.Gate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	pupil := core.Principal{PersonID: "p", Login: "p", Profile: core.ProfilePupil, Establishments: []string{"e"},
		Channel: core.ChannelWeb, SessionID: "s"}
	do := func(p core.Principal, method, target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		r = r.WithContext(core.ContextWithPrincipal(r.Context(), p))
		w := httptest.NewRecorder()
		gate.ServeHTTP(w, r)
		return w
	}
	if w := do(pupil, "GET", "/?x=1"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/charter/accept?next=%2F%3Fx%3D1" {
		t.Fatalf("page: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := do(pupil, "GET", "/oidc/authorize?client_id=c"); w.Header().Get("Location") != "/charter/accept?next=%2Foidc%2Fauthorize%3Fclient_id%3Dc" {
		t.Fatalf("SSO authorization: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := do(pupil, "POST", "/password/reset"); w.Code != http.StatusForbidden {
		t.Fatalf("form: %d", w.Code)
	}
	if w := do(pupil, "GET", "/api/v1/journal"); w.Code != http.StatusForbidden || !strings.Contains(w.Header().Get("Content-Type"), "json") {
		t.Fatalf("API: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	for _, path := range []string{"/charter", "/charter/accept", "/charter/e/charte", "/logout", "/login", "/login/second-factor",
		"/password", "/static/x/preau.css", "/healthz", "/readyz", "/ca.crt", "/ca", "/oidc/end_session", "/cas/logout"} {
		if w := do(pupil, "GET", path); w.Code != http.StatusTeapot {
			t.Errorf("exempt %s: %d", path, w.Code)
		}
	}
	for _, path := range []string{"/cas/login", "/passwords/reset", "/admin/", "/caisse"} {
		if w := do(pupil, "GET", path); w.Code != http.StatusSeeOther {
			t.Errorf("not exempt %s: %d", path, w.Code)
		}
	}
	token := pupil
	token.Channel, token.SessionID = core.ChannelAPI, ""
	service := pupil
	service.Service = true
	mustChange := pupil
	mustChange.MustChangePassword = true
	pictures := pupil
	pictures.AuthMethods = []string{auth.PictureMethod}
	for name, p := range map[string]core.Principal{"API token": token, "service account": service, "must change": mustChange,
		"picture login": pictures,
		"system":        core.SystemPrincipal("system:x", core.ChannelWeb), "anonymous": {}} {
		if w := do(p, "GET", "/"); w.Code != http.StatusTeapot {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	pctx := core.ContextWithPrincipal(context.Background(), pupil)
	if err := svc.Accept(pctx, []charter.Ref{v.Ref()}); err != nil {
		t.Fatal(err)
	}
	if w := do(pupil, "GET", "/"); w.Code != http.StatusTeapot {
		t.Fatalf("after acceptance: %d", w.Code)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/admin/?a=1": "/admin/?a=1", "//evil.test/": "/", "https://evil.test/": "/",
		"/\\evil.test": "/", "/charter/accept?next=/": "/", "admin": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"e|charte|1", "e|cgu-mail|12", "|charte|1", "e|x|1", "e|charte|-1", "e|charte|1|2", "a|b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := parseRef(s)
		if ok && (r.Establishment == "" || !r.Kind.Valid() || r.Number < 1 || refValue(&charter.Version{Establishment: r.Establishment,
			Kind: r.Kind, Number: r.Number}) == "") {
			t.Fatalf("accepted %q as %+v", s, r)
		}
	})
}
