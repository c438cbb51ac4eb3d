// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files_test

import (
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

func TestCleanPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "/"}, {"/", "/"}, {"home", "/home"}, {"/home//a/./b/", "/home/a/b"}, {"/home/a/../b", "/home/b"},
		{"/home/Mes documents/PRIVÉ", "/home/Mes documents/PRIVÉ"},
	} {
		got, err := files.CleanPath(c.in)
		if err != nil || got != c.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"/..", "/home/../../etc", "/a\x00b", "/a\\b", "/a/\x01", "\xff", "/" + strings.Repeat("x", 256)} {
		if got, err := files.CleanPath(in); !core.IsKind(err, core.Invalid) {
			t.Errorf("CleanPath(%q) = %q, %v; want an Invalid error", in, got, err)
		}
	}
}

// FuzzCleanPath: a cleaned path is canonical (cleaning it again changes
// nothing), never climbs above the root, holds no NUL or backslash, and
// its private status is the same whatever the path's spelling.
// CARINE: UTI-ESF-6
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/home/Mes documents/PRIVÉ/x", "/home/../..", "a//b/./c", "/home/[Personnel]/a",
		"/home/prive.txt", "/home/PRIVE\u0301/x", "/groups/3A/../../users/lou", "/home/ Privé /a", "/x/..\\..", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := files.CleanPath(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\x00\\") ||
			p != "/" && strings.HasSuffix(p, "/") {
			t.Fatalf("CleanPath(%q) = %q", s, p)
		}
		for _, c := range strings.Split(p, "/") {
			if c == ".." || c == "." {
				t.Fatalf("CleanPath(%q) = %q keeps %q", s, p, c)
			}
		}
		again, err := files.CleanPath(p)
		if err != nil || again != p {
			t.Fatalf("CleanPath not idempotent: %q → %q → %q, %v", s, p, again, err)
		}
		// A private component anywhere makes the path private, and
		// appending to a private path keeps it private.
		if core.PathIsPrivate(p) && !core.PathIsPrivate(p+"/x") {
			t.Fatalf("%q private but %q not", p, p+"/x")
		}
		if core.PathIsPrivate(p) != core.PathIsPrivate(strings.ToLower(p)) {
			t.Fatalf("private marker depends on case: %q", p)
		}
	})
}

func TestPrivateMarkers(t *testing.T) {
	for _, n := range []string{"PRIVÉ", "privé", "Prive", "[PERSONNEL]", "(personnel) notes", "PRIVÉ - mes notes.odt", "Personnel.txt"} {
		if !core.IsPrivate(n) {
			t.Errorf("%q should be private", n)
		}
	}
	for _, n := range []string{"Mes documents", "privilège", "personnalité", "Devoirs"} {
		if core.IsPrivate(n) {
			t.Errorf("%q should not be private", n)
		}
	}
}

func TestQuotaAndLevels(t *testing.T) {
	q := files.Quota{Used: 850, Limit: 1000}
	if q.Available() != 150 || q.Percent() != 85 {
		t.Fatalf("quota = %d, %d%%", q.Available(), q.Percent())
	}
	if (files.Quota{Used: 5}).Available() != -1 {
		t.Fatal("unlimited quota")
	}
	for _, l := range []files.Level{files.None, files.Read, files.Write, files.Manage} {
		got, err := files.ParseLevel(l.String())
		if err != nil || got != l {
			t.Fatalf("level %v round trip: %v, %v", l, got, err)
		}
	}
	if _, err := files.ParseLevel("root"); err == nil {
		t.Fatal("unknown level accepted")
	}
	if files.HumanSize(1536) != "1.5 KiB" {
		t.Fatal(files.HumanSize(1536))
	}
}
