// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"net/http"
	"testing"

	"github.com/preau/preau/internal/core"
)

func TestStatusCoversEveryKind(t *testing.T) {
	t.Parallel()
	want := map[core.Kind]int{
		core.Internal: 500, core.Invalid: 400, core.NotFound: 404, core.Exists: 409, core.Conflict: 409,
		core.Permission: 403, core.Unauthenticated: 401, core.Unavailable: 503, core.TooMany: 429,
	}
	for k := core.Kind(0); k <= core.TooMany+1; k++ {
		w, ok := want[k]
		if !ok {
			w = http.StatusInternalServerError
		}
		if got := status(k); got != w {
			t.Errorf("status(%v) = %d, want %d", k, got, w)
		}
	}
}

func TestMatchAcceptLanguage(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                          "fr",
		"en":                        "en",
		"EN-us":                     "en",
		"fr-FR,fr;q=0.9,en;q=0.8":   "fr",
		"de;q=1, en;q=0.5, fr;q=.4": "en",
		"en;q=0, fr;q=0.1":          "fr",
		"en;q=0":                    "fr",
		"en;q=abc":                  "fr",
		"en;q=2":                    "fr",
		"en;level=1":                "fr",
		"*":                         "fr",
		"fr;q=0.5, en;q=0.5":        "fr",
		"en;q=0.5, fr;q=0.5":        "en",
		" en ; q = 0.7 ":            "en",
		",,,en":                     "en",
		"english":                   "fr",
	}
	for h, want := range tests {
		if got := matchAcceptLanguage(h); got != want {
			t.Errorf("matchAcceptLanguage(%q) = %q, want %q", h, got, want)
		}
	}
}

func FuzzMatchAcceptLanguage(f *testing.F) {
	for _, s := range []string{"", "fr", "en-GB,en;q=0.9", "de;q=1, en;q=0.5", "en;q=NaN", "en;q=1e-3",
		"*;q=0.1", "fr-CA;q=0.8,en-US;q=0.9", ";;;,,,=", "en;q=0.5;q=0.9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := matchAcceptLanguage(h); !supported(got) {
			t.Fatalf("matchAcceptLanguage(%q) = %q", h, got)
		}
	})
}

func TestMarkCurrent(t *testing.T) {
	t.Parallel()
	items := func() []NavItem {
		return []NavItem{{Href: "/"}, {Href: "/admin/"}, {Href: "/admin/directory"}}
	}
	for path, want := range map[string]int{"/": 0, "/admin/": 1, "/admin/logs": 1,
		"/admin/directory/users/1": 2, "/other": -1, "/administration": -1} {
		got := -1
		for i, it := range markCurrent(items(), path) {
			if it.Current {
				got = i
			}
		}
		if got != want {
			t.Errorf("markCurrent(%q): item %d current, want %d", path, got, want)
		}
	}
}
