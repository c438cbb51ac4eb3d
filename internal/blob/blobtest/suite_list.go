// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// listKeysSet is chosen so that lexical key order differs from the order of
// a naive folder walk: '-' < '.' < '/' < '0', so "x/a-/z" < "x/a-b" <
// "x/a.b" < "x/a/b" < "x/a0".
var listKeysSet = []string{
	"x/a-/z", "x/a-b", "x/a.b", "x/a/b", "x/a/c/d", "x/a0", "x/ab", "x/b",
	"x0", "y/z", "A", "Z/z", "_", "x.y/q",
}

func testList(t *testing.T, s blob.Store) {
	keys := slices.Clone(listKeysSet)
	rand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for _, k := range keys {
		mustPut(t, s, k, "content of "+k)
	}
	slices.Sort(keys)
	prefixes := []string{"", "x", "x/", "x/a", "x/a/", "x/a/c/d", "x/a-", "y/", "nope/", "x/a/c/d/"}
	for _, p := range prefixes {
		var want []string
		for _, k := range keys {
			if strings.HasPrefix(k, p) {
				want = append(want, k)
			}
		}
		if got := listKeys(t, s, p); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", p, got, want)
		}
	}
	err := s.List(t.Context(), "x/a/", func(info blob.Info) error {
		if want := int64(len("content of " + info.Key)); info.Size != want {
			t.Errorf("List Info %+v, want Size %d", info, want)
		}
		if info.ModTime.IsZero() {
			t.Errorf("List Info %+v has no ModTime", info)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testListStop(t *testing.T, s blob.Store) {
	for _, k := range []string{"s/1", "s/2", "s/3", "s/4"} {
		mustPut(t, s, k, k)
	}
	errStop := errors.New("stop here")
	var seen []string
	err := s.List(t.Context(), "s/", func(info blob.Info) error {
		seen = append(seen, info.Key)
		if len(seen) == 2 {
			return errStop
		}
		return nil
	})
	if err != errStop {
		t.Errorf("List returned %v, want fn's error unchanged", err)
	}
	if !slices.Equal(seen, []string{"s/1", "s/2"}) {
		t.Errorf("List called fn with %q, want s/1 and s/2", seen)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := t.Context()
	mustPut(t, s, "d/one", "1")
	mustPut(t, s, "d/two", "2")
	mustPut(t, s, "e/sub/three", "3")
	for range 2 { // idempotent
		if err := s.Delete(ctx, "d/one"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	wantKind(t, "Stat after Delete", statErr(t, s, "d/one"), core.NotFound)
	// Deleting a "folder" deletes nothing.
	if err := s.Delete(ctx, "e/sub"); err != nil {
		t.Errorf("Delete of a folder = %v, want nil", err)
	}
	if err := s.Delete(ctx, "e/sub/three"); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, s, ""); !slices.Equal(got, []string{"d/two"}) {
		t.Errorf("List after deletes = %q, want d/two", got)
	}
	// The key can be used again, also as a folder now that it is gone.
	mustPut(t, s, "d/one/again", "4")
	mustPut(t, s, "e/sub", "5")
	if got := listKeys(t, s, ""); !slices.Equal(got, []string{"d/one/again", "d/two", "e/sub"}) {
		t.Errorf("List after re-creation = %q", got)
	}
}
