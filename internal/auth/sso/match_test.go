// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package sso_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth/sso"
)

// CARINE: INF-AUT-3 — a CAS service is accepted only by a registered
// pattern, and a pattern never lets a look-alike host through.
func TestMatchService(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		pattern, service string
		want             bool
	}{
		{"exact", "https://ent.example.fr/cas", "https://ent.example.fr/cas", true},
		{"exact with a query", "https://ent.example.fr/cas", "https://ent.example.fr/cas?x=1", true},
		{"exact is not a prefix", "https://ent.example.fr/cas", "https://ent.example.fr/cas/admin", false},
		{"host wildcard, path", "https://ent.example.fr*", "https://ent.example.fr/eleve", true},
		{"host wildcard, bare host", "https://ent.example.fr*", "https://ent.example.fr", true},
		{"host wildcard, query", "https://ent.example.fr*", "https://ent.example.fr?a=b", true},
		{"look-alike host", "https://ent.example.fr*", "https://ent.example.fr.evil.org/", false},
		{"user info", "https://ent.example.fr*", "https://ent.example.fr@evil.org/", false},
		{"port", "https://ent.example.fr*", "https://ent.example.fr:8443/", false},
		{"path wildcard", "https://ent.example.fr/pronote/*", "https://ent.example.fr/pronote/eleve.html?fd=1", true},
		{"path wildcard, other path", "https://ent.example.fr/pronote/*", "https://ent.example.fr/grr/", false},
		{"scheme", "https://ent.example.fr/*", "http://ent.example.fr/", false},
		{"empty service", "https://ent.example.fr*", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sso.MatchService(tc.pattern, tc.service); got != tc.want {
				t.Fatalf("MatchService(%q, %q) = %v, want %v", tc.pattern, tc.service, got, tc.want)
			}
		})
	}
}

// FuzzMatchService checks that a match never leaves the pattern's host:
// whenever a service matches, it has the scheme, host and port of the
// pattern.
func FuzzMatchService(f *testing.F) {
	for _, s := range [][2]string{
		{"https://ent.example.fr*", "https://ent.example.fr.evil.org/"},
		{"https://ent.example.fr*", "https://ent.example.fr/x"},
		{"https://ent.example.fr/*", "https://ent.example.fr/\\evil.org"},
		{"https://ent.example.fr*", "https://ent.example.fr#@evil.org"},
		{"https://ent.example.fr", "https://ent.example.fr?x@evil.org"},
		{"http://127.0.0.1:8080/*", "http://127.0.0.1:8080/cb"},
		{"https://[::1]*", "https://[::1]:443/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, service string) {
		if !sso.MatchService(pattern, service) {
			return
		}
		p, err := url.Parse(strings.TrimSuffix(pattern, "*"))
		if err != nil || p.Host == "" || p.User != nil || (p.Scheme != "https" && p.Scheme != "http") {
			return // not a pattern an admin can register
		}
		s, err := url.Parse(service)
		if err != nil {
			return // never redirected to: /cas/login refuses it first
		}
		if s.Scheme != p.Scheme || s.Host != p.Host {
			t.Fatalf("%q matches %q but goes to %s://%s", pattern, service, s.Scheme, s.Host)
		}
	})
}
