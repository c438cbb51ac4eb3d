// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blob_test

import (
	"strings"
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

var goodKeys = []string{
	"a", "A", "0", "a.b", "a-b", "a_b", ".hidden", "...", "a..b", "-",
	"mail/2026/ab/0123456789abcdef", "files/maths/cours.pdf",
	strings.Repeat("k", blob.MaxComponentLen),
	strings.Repeat("a/", blob.MaxKeyLen/2-1) + "bb", // exactly MaxKeyLen bytes
}

var badKeys = []string{
	"", "/", "/a", "a/", "a//b", ".", "..", "./a", "a/.", "a/./b", "a/../b", "../a",
	"a b", "a\\b", "a\x00b", "é", "a\nb", "a:b", "a*", "~tmp.1", "a+b", "%2e",
	strings.Repeat("k", blob.MaxComponentLen+1),
	strings.Repeat("a/", blob.MaxKeyLen/2) + "b", // one byte too long
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	for _, k := range goodKeys {
		if err := blob.ValidKey(k); err != nil {
			t.Errorf("ValidKey(%.40q) = %v, want nil", k, err)
		}
	}
	for _, k := range badKeys {
		err := blob.ValidKey(k)
		if !core.IsKind(err, core.Invalid) {
			t.Errorf("ValidKey(%.40q) = %v, want an Invalid error", k, err)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"a", true},
		{"mail/", true},
		{"mail/ab", true},
		{"a/.", true},
		{"a/..", true},
		{strings.Repeat("k", blob.MaxComponentLen), true},
		{"/", false},
		{"/mail", false},
		{"mail//", false},
		{"a b", false},
		{"a/../", false},
		{strings.Repeat("k", blob.MaxComponentLen+1), false},
		{strings.Repeat("a/", blob.MaxKeyLen/2) + "b", false},
	}
	for _, tc := range tests {
		err := blob.ValidPrefix(tc.prefix)
		if tc.ok && err != nil || !tc.ok && !core.IsKind(err, core.Invalid) {
			t.Errorf("ValidPrefix(%.40q) = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
	}
}

// FuzzValidKey checks that ValidKey never panics, that what it accepts obeys
// the documented rules, and that every valid key is a valid prefix.
func FuzzValidKey(f *testing.F) {
	for _, k := range goodKeys {
		f.Add(k)
	}
	for _, k := range badKeys {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := blob.ValidKey(key)
		if err != nil {
			if !core.IsKind(err, core.Invalid) {
				t.Fatalf("ValidKey(%q) = %v, want an Invalid error", key, err)
			}
			return
		}
		if len(key) == 0 || len(key) > blob.MaxKeyLen {
			t.Fatalf("ValidKey accepted a key of %d bytes", len(key))
		}
		for _, c := range strings.Split(key, "/") {
			if !blob.ValidComponent(c) || c == "." || c == ".." {
				t.Fatalf("ValidKey(%q) accepted component %q", key, c)
			}
			if strings.Trim(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
				t.Fatalf("ValidKey(%q) accepted a bad character", key)
			}
		}
		if err := blob.ValidPrefix(key); err != nil {
			t.Fatalf("valid key %q is not a valid prefix: %v", key, err)
		}
		for i := range key {
			if err := blob.ValidPrefix(key[:i]); err != nil {
				t.Fatalf("prefix %q of valid key %q rejected: %v", key[:i], key, err)
			}
		}
	})
}
