// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
)

// fuzzStore knows one confidential and one public client, and no code or
// token: every grant the fuzzer makes up must be refused cleanly.
type fuzzStore struct{ sso.Store }

func (fuzzStore) FindClient(_ context.Context, id string) (*sso.Client, error) {
	switch id {
	case "conf":
		return &sso.Client{ID: id, Protocol: sso.OIDC, SecretHash: sso.HashSecret("s3cret")}, nil
	case "pub":
		return &sso.Client{ID: id, Protocol: sso.OIDC}, nil
	}
	return nil, core.E("fuzz", core.NotFound, "")
}

func (fuzzStore) RedeemTicket(context.Context, string, string) (*sso.Ticket, error) {
	return nil, core.E("fuzz", core.NotFound, "")
}

func (fuzzStore) FindRefreshToken(context.Context, string) (*sso.RefreshToken, error) {
	return nil, core.E("fuzz", core.NotFound, "")
}

// FuzzTokenRequest sends arbitrary form bodies and Authorization headers
// to the token endpoint: it never panics, always answers a JSON OAuth error
// (400 or 401; nothing here can succeed), and asks for Basic credentials
// on a 401.
func FuzzTokenRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"grant_type=authorization_code&code=abc&redirect_uri=https://a/cb&client_id=pub&code_verifier=x", ""},
		{"grant_type=refresh_token&refresh_token=zzz", "Basic Y29uZjpzM2NyZXQ="},
		{"grant_type=password&username=a&password=b", "Basic Y29uZjpzM2NyZXQ="},
		{"grant_type=authorization_code", "Basic %%%"},
		{"client_id=conf&client_secret=wrong&grant_type=refresh_token", ""},
		{"client_id=pub&client_secret=x", ""},
		{"%zz", "Bearer x"},
		{"", ""},
		{"grant_type=authorization_code&code=" + strings.Repeat("a", 200) + "&client_id=pub", ""},
	} {
		f.Add(s[0], s[1])
	}
	p := New(Deps{Store: fuzzStore{}, Clock: core.NewFakeClock(time.Now()), Log: slog.New(slog.DiscardHandler),
		Issuer: "https://preau.test"})
	f.Fuzz(func(t *testing.T, body, authz string) {
		r := httptest.NewRequest("POST", TokenPath, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		w := httptest.NewRecorder()
		p.token(w, r)
		var e oauthError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Fatalf("%d, not an OAuth error: %q", w.Code, w.Body)
		}
		if w.Code != http.StatusBadRequest && w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
			t.Fatal("a 401 without WWW-Authenticate")
		}
	})
}
