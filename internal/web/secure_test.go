// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

func TestSecureHeaders(t *testing.T) {
	t.Parallel()
	h := web.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := do(h, http.MethodGet, "/", "")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Permissions-Policy":         web.PermissionsPolicy,
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := w.Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS on plain HTTP: %q", got)
	}
	r := httptest.NewRequest(http.MethodGet, "https://example.com/", nil)
	r.TLS = &tls.ConnectionState{}
	tw := httptest.NewRecorder()
	h.ServeHTTP(tw, r)
	if got := tw.Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("HSTS over TLS = %q", got)
	}
}

func TestSecureCrossOrigin(t *testing.T) {
	t.Parallel()
	reached := 0
	h := web.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	tests := []struct {
		name    string
		method  string
		headers []string
		code    int
	}{
		{"cross-site POST", http.MethodPost, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"same-site POST", http.MethodPost, []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"foreign Origin POST", http.MethodPost, []string{"Origin", "https://evil.example"}, 403},
		{"same-origin POST", http.MethodPost, []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"non-browser POST", http.MethodPost, nil, 200},
		{"cross-site GET", http.MethodGet, []string{"Sec-Fetch-Site", "cross-site"}, 200},
	}
	for _, tc := range tests {
		w := do(h, tc.method, "http://example.com/form", "", tc.headers...)
		if w.Code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.code)
		}
		if tc.code == 403 && !strings.Contains(w.Body.String(), "autre site") {
			t.Errorf("%s: body lacks the explanation:\n%s", tc.name, w.Body)
		}
	}
	if reached != 3 {
		t.Errorf("handler reached %d times, want 3", reached)
	}
}

func TestCheckCSRF(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t-token"
	tests := []struct {
		name         string
		sessionToken string
		body         string
		header       string
		ok           bool
	}{
		{"form field", token, "csrf=" + token, "", true},
		{"header", token, "", token, true},
		{"wrong token", token, "csrf=guess", "", false},
		{"prefix of token", token, "csrf=s3cr3t", "", false},
		{"missing token", token, "name=x", "", false},
		{"no session", "", "csrf=" + token, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.header != "" {
				r.Header.Set(web.CSRFHeader, tc.header)
			}
			if tc.sessionToken != "" {
				r = r.WithContext(web.ContextWithCSRFToken(r.Context(), tc.sessionToken))
			}
			err := web.CheckCSRF(r)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckCSRF = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && (!core.IsKind(err, core.Permission) || core.MessageOf(err) == "") {
				t.Errorf("error %v: want kind Permission with a message", err)
			}
		})
	}
}

func TestCSRFMiddleware(t *testing.T) {
	t.Parallel()
	h := newSampleServer(t, nil) // signed in, token sampleToken
	form := "application/x-www-form-urlencoded"
	bad := do(h, http.MethodPost, "/form", "csrf=wrong&name=Sciences&seats=20", "Content-Type", form)
	if bad.Code != 403 || !strings.Contains(bad.Body.String(), "Le formulaire a expiré") {
		t.Errorf("wrong token: status %d\n%s", bad.Code, bad.Body)
	}
	good := do(h, http.MethodPost, "/form", "csrf="+sampleToken+"&name=Sciences&seats=20", "Content-Type", form)
	if good.Code != http.StatusSeeOther {
		t.Errorf("right token: status %d\n%s", good.Code, good.Body)
	}
}

func TestRandomToken(t *testing.T) {
	t.Parallel()
	a, b := web.RandomToken(), web.RandomToken()
	if len(a) != 43 || a == b || strings.ContainsAny(a, "+/=") {
		t.Errorf("RandomToken() = %q, %q", a, b)
	}
	if got := web.CSRFTokenFromContext(web.ContextWithCSRFToken(context.Background(), a)); got != a {
		t.Errorf("CSRFTokenFromContext = %q", got)
	}
}
