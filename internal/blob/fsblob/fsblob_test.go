// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/blobtest"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
)

func newStore(t *testing.T, dir string, clock core.Clock) *fsblob.Store {
	t.Helper()
	s, err := fsblob.New(fsblob.Config{Dir: dir, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	blobtest.Suite(t, func(t *testing.T) blob.Store { return newStore(t, t.TempDir(), nil) })
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if _, err := fsblob.New(fsblob.Config{}); !core.IsKind(err, core.Invalid) {
		t.Errorf("New with no folder = %v, want Invalid", err)
	}
}

func keys(t *testing.T, s blob.Store) []string {
	t.Helper()
	var ks []string
	if err := s.List(t.Context(), "", func(i blob.Info) error { ks = append(ks, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return ks
}

func put(t *testing.T, s blob.Store, key, content string) {
	t.Helper()
	if _, err := blob.Put(t.Context(), s, key, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLeftovers simulates a crash in the middle of writes: temporary
// files stay on disk, are invisible, and Clean removes them once old enough,
// but never the file of a live Writer.
func TestCrashLeftovers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	clock := core.NewFakeClock(time.Now())

	// Before the "crash": one object, and two writers that never finish.
	before := newStore(t, dir, clock)
	put(t, before, "mail/ab/msg1", "committed")
	for _, key := range []string{"mail/ab/msg2", "top"} {
		w, err := before.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "half-written")
		// No Commit, no Close: the process dies here.
	}

	// After the restart, a new Store on the same folder.
	s := newStore(t, dir, clock)
	live, err := s.Create(ctx, "mail/ab/msg3")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	io.WriteString(live, "in flight")

	strays, _ := filepath.Glob(filepath.Join(dir, "mail", "ab", "~tmp.*"))
	if len(strays) != 2 { // the abandoned msg2 and the live msg3
		t.Errorf("temporary files in mail/ab: %q, want 2", strays)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"mail/ab/msg1"}) {
		t.Errorf("List = %q, want only the committed object", got)
	}
	for _, k := range []string{"mail/ab/msg2", "top"} {
		if _, err := s.Stat(ctx, k); !core.IsKind(err, core.NotFound) {
			t.Errorf("Stat %s = %v, want NotFound", k, err)
		}
	}

	n, err := s.Clean(ctx, time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("Clean of fresh files = %d, %v; want 0", n, err)
	}
	clock.Advance(2 * time.Hour)
	n, err = s.Clean(ctx, time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("Clean = %d, %v; want the 2 stray files", n, err)
	}
	if n, _ := s.Clean(ctx, 0); n != 0 {
		t.Errorf("second Clean removed %d files", n)
	}
	if err := live.Commit(); err != nil {
		t.Fatalf("the live writer lost its file to Clean: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*", "~tmp.*"))
	left2, _ := filepath.Glob(filepath.Join(dir, "~tmp.*"))
	if len(left)+len(left2) != 0 {
		t.Errorf("temporary files left: %q %q", left, left2)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"mail/ab/msg1", "mail/ab/msg3"}) {
		t.Errorf("List = %q", got)
	}
}

func TestLayoutAndModes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newStore(t, filepath.Join(dir, "blobs"), nil)
	put(t, s, "a/b/c", "abc")
	data, err := os.ReadFile(filepath.Join(dir, "blobs", "a", "b", "c"))
	if err != nil || string(data) != "abc" {
		t.Fatalf("file a/b/c = %q, %v", data, err)
	}
	for _, p := range []string{"blobs", "blobs/a", "blobs/a/b"} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want mode 0700", p, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "blobs/a/b/c")); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode())
	}
	// Foreign entries are not objects.
	os.Mkdir(filepath.Join(dir, "blobs", "lost+found"), 0o700)
	os.WriteFile(filepath.Join(dir, "blobs", "lost+found", "x"), nil, 0o600)
	os.Symlink("a/b/c", filepath.Join(dir, "blobs", "link"))
	if got := keys(t, s); !slices.Equal(got, []string{"a/b/c"}) {
		t.Errorf("List = %q, want only a/b/c", got)
	}
	// Delete removes the folders it empties, but not the root.
	if err := s.Delete(t.Context(), "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "a")); !os.IsNotExist(err) {
		t.Errorf("folder a still there after its last object was deleted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs")); err != nil {
		t.Errorf("root folder: %v", err)
	}
}

func TestFileFolderConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newStore(t, t.TempDir(), nil)
	put(t, s, "a", "file")
	if _, err := blob.Put(ctx, s, "a/b", strings.NewReader("x")); !core.IsKind(err, core.Conflict) {
		t.Errorf("Put a/b beside file a = %v, want Conflict", err)
	}
	put(t, s, "c/d", "deep")
	if _, err := blob.Put(ctx, s, "c", strings.NewReader("x")); !core.IsKind(err, core.Conflict) {
		t.Errorf("Put c over folder c = %v, want Conflict", err)
	}
	if _, err := s.Stat(ctx, "a/b"); !core.IsKind(err, core.NotFound) {
		t.Errorf("Stat a/b under file a = %v, want NotFound", err)
	}
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Errorf("Delete a/b under file a = %v, want nil", err)
	}
}

// TestCreateDeleteRace creates and deletes objects in sibling folders at the
// same time: Delete removes the folders it empties while Create makes new ones
// under the same parents, and no operation may fail for it.
func TestCreateDeleteRace(t *testing.T) {
	t.Parallel()
	s := newStore(t, t.TempDir(), nil)
	const workers, rounds = 4, 50
	errs := make(chan error, workers)
	for g := range workers {
		go func() {
			for i := range rounds {
				key := fmt.Sprintf("r/%d/%d/x", g, i)
				if _, err := blob.Put(t.Context(), s, key, strings.NewReader("x")); err != nil {
					errs <- err
					return
				}
				if err := s.Delete(t.Context(), key); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := keys(t, s); len(got) != 0 {
		t.Errorf("objects left: %q", got)
	}
}

// TestCreateAfterPrune: a Store remembers the folders it made so that an
// upload does not create them again; a Delete that prunes them, or a folder
// removed behind the Store's back, must not break the next Create there.
func TestCreateAfterPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newStore(t, dir, nil)
	put(t, s, "files/sp/ab/one", "1")
	if err := s.Delete(t.Context(), "files/sp/ab/one"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "files")); !os.IsNotExist(err) {
		t.Fatalf("Delete left the emptied folders: %v", err)
	}
	put(t, s, "files/sp/ab/two", "2")
	// Removed by someone else (an operator cleaning up): known to the Store
	// but gone.
	if err := os.RemoveAll(filepath.Join(dir, "files", "sp")); err != nil {
		t.Fatal(err)
	}
	put(t, s, "files/sp/ab/three", "3")
	if got := keys(t, s); !slices.Equal(got, []string{"files/sp/ab/three"}) {
		t.Fatalf("keys = %v", got)
	}
}
