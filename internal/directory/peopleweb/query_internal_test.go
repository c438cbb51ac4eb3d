// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseListQuery: whatever the query string, the list's state is
// bounded and valid, and its own URL reads back to the same state.
func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{"", "q=dur&profile=pupil&sort=login&per=100&page=3",
		"page=-1&per=7&sort=%27;drop&state=x&class=../../etc", "q=" + strings.Repeat("é", 100), "page=99999999999999999999",
		"class=01a22653-08d2-730e-b851-f6c6bdfb9b25&state=to-delete&sort=created"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q := parseListQuery(v)
		if q.Page < 1 || !slices.Contains(pageSizes, q.Per) || (q.Sort != "name" && q.Sort != "login" && q.Sort != "created") ||
			utf8.RuneCountInString(q.Q) > 64 {
			t.Fatalf("unbounded state %+v from %q", q, raw)
		}
		u, err := url.Parse(q.URL(&scope{Est: "e1"}, q.Page))
		if err != nil {
			t.Fatal(err)
		}
		if again := parseListQuery(u.Query()); again != q && utf8.ValidString(q.Q) && q.Q == strings.TrimSpace(q.Q) {
			t.Fatalf("round trip: %+v then %+v", q, again)
		}
	})
}

// FuzzBackURL: a return address never leaves the console's pages.
func FuzzBackURL(f *testing.F) {
	for _, s := range []string{"/admin/people?est=x", "//evil.test/admin/people", "/\\evil.test", "https://evil.test/",
		"/admin/groups/1?est=*", "/admin/peoplex", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		got := backURL(u, &scope{Est: "e1"})
		if strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") ||
			!(strings.HasPrefix(got, PeoplePath) || strings.HasPrefix(got, GroupsPath)) {
			t.Fatalf("backURL(%q) = %q", u, got)
		}
	})
}
