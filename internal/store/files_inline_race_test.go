// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/store"
)

// TestInlineCopyRacesPurge: a copy has read a small file's inline content
// and inserted its reference, and before it commits the original is trashed
// and purged. The purge must not delete the content under the copy: it
// waits for the copy's share lock and then sees its reference. (Without the
// locks of shareContent and dropInline, PostgreSQL's purge deleted the
// content and the copy pointed at nothing.) SQLite's single writer runs the
// two one after the other, so only PostgreSQL has the race.
// CARINE: UTI-ESF-10
func TestInlineCopyRacesPurge(t *testing.T) {
	copyRacesPurge(t, files.Config{}, "a small shared content")
}

// TestBlobCopyRacesPurge is the same race for a content in the blob store:
// the purge's transaction commits, then the freeing of the object waits
// for the copy's advisory lock (DropUnreferencedBlob), sees the copy's
// reference and keeps the object. Without the locks, the object was
// deleted and the copy's reads failed.
// CARINE: UTI-ESF-10
func TestBlobCopyRacesPurge(t *testing.T) {
	copyRacesPurge(t, files.Config{InlineMax: -1}, strings.Repeat("a shared content in the blob store ", 1000))
}

// copyRacesPurge copies /home/a.txt to /home/b.txt and, inside the copy's
// transaction after its reference is inserted, removes and purges the
// original; the copy must then read back whole.
func copyRacesPurge(t *testing.T, cfg files.Config, content string) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, cfg)
		if e.db.Dialect() != "postgres" {
			t.Skip("SQLite runs writes one at a time: there is no race to provoke")
		}
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		e.put(t, ctx, "/home/a.txt", content)

		purged := make(chan error, 1)
		restore := store.SetAfterCopyForTest(func() {
			go func() {
				if err := e.svc.Remove(ctx, "/home/a.txt"); err != nil {
					purged <- err
					return
				}
				_, err := e.svc.PurgeTrash(ctx, "/home")
				purged <- err
			}()
			// Let the purge run to its end, or until it waits for a lock
			// (the copy's, with the fix).
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
				select {
				case err := <-purged:
					purged <- err
					return
				default:
				}
				if e.db.LockWaitersForTest(context.Background()) > 0 {
					return
				}
			}
		})
		_, err := e.svc.Copy(ctx, "/home/a.txt", "/home/b.txt", false, false)
		restore()
		if err != nil {
			t.Fatalf("copy: %v", err)
		}
		if err := <-purged; err != nil {
			t.Fatalf("remove and purge: %v", err)
		}
		if got, err := e.read(ctx, "/home/b.txt"); err != nil || got != content {
			t.Fatalf("the copy after the original's purge: %d bytes, %v", len(got), err)
		}
		if _, err := e.read(ctx, "/home/a.txt"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("the original after its purge: %v", err)
		}
	})
}

// TestCopyAfterPurgeFailsCleanly: the copy has read the original, which is
// then trashed and purged (content deleted) before the copy locks its
// content. The copy must fail with a conflict, not create a file pointing
// at nothing; for an inline content and a blob-store object alike.
// CARINE: UTI-ESF-10
func TestCopyAfterPurgeFailsCleanly(t *testing.T) {
	for name, c := range map[string]struct {
		cfg     files.Config
		content string
	}{
		"inline": {files.Config{}, "un petit contenu"},
		"blob":   {files.Config{InlineMax: -1}, strings.Repeat("contenu ", 4000)},
	} {
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
				e := newFilesEnv(t, open, c.cfg)
				if e.db.Dialect() != "postgres" {
					t.Skip("SQLite runs writes one at a time: there is no race to provoke")
				}
				e.person(t, "lou", core.ProfilePupil)
				ctx := e.as("lou")
				e.put(t, ctx, "/home/a.txt", c.content)
				var purgeErr error
				restore := store.SetBeforeShareForTest(func() {
					if purgeErr = e.svc.Remove(ctx, "/home/a.txt"); purgeErr == nil {
						_, purgeErr = e.svc.PurgeTrash(ctx, "/home")
					}
				})
				_, err := e.svc.Copy(ctx, "/home/a.txt", "/home/b.txt", false, false)
				restore()
				if purgeErr != nil {
					t.Fatalf("remove and purge: %v", purgeErr)
				}
				if !core.IsKind(err, core.Conflict) {
					t.Fatalf("copy of a content purged meanwhile: %v, want a conflict", err)
				}
				if _, err := e.read(ctx, "/home/b.txt"); !core.IsKind(err, core.NotFound) {
					t.Fatalf("the failed copy left a file: %v", err)
				}
			})
		})
	}
}

// TestDropUnreferencedBlob: an object a file refers to is kept, one nothing
// refers to is dropped, a failed drop is reported and not counted; an
// inline key or no key never reaches the blob store.
// CARINE: UTI-ESF-10
func TestDropUnreferencedBlob(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{InlineMax: -1})
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		e.put(t, ctx, "/home/a.txt", "un contenu gardé")
		var used string
		if err := e.db.BlobRefs(ctx, func(r files.BlobRef) error { used = r.Key; return nil }); err != nil || used == "" {
			t.Fatalf("the file's blob key: %q, %v", used, err)
		}
		calls := 0
		drop := func(context.Context) error { calls++; return nil }
		for _, k := range []string{used, "inline:" + core.NewID(), ""} {
			if dropped, err := e.db.DropUnreferencedBlob(ctx, k, drop); err != nil || dropped {
				t.Fatalf("key %q: dropped %v, %v", k, dropped, err)
			}
		}
		if calls != 0 {
			t.Fatalf("drop called %d times for a used, an inline and an empty key", calls)
		}
		orphan := "files/" + core.NewID()
		if dropped, err := e.db.DropUnreferencedBlob(ctx, orphan, drop); err != nil || !dropped || calls != 1 {
			t.Fatalf("an object nothing refers to: dropped %v, %v, %d calls", dropped, err, calls)
		}
		gone := errors.New("blob store unreachable")
		if dropped, err := e.db.DropUnreferencedBlob(ctx, orphan, func(context.Context) error { return gone }); !errors.Is(err, gone) || dropped {
			t.Fatalf("a failed drop: dropped %v, %v", dropped, err)
		}
		if got, err := e.read(ctx, "/home/a.txt"); err != nil || got != "un contenu gardé" {
			t.Fatalf("the used object after the drops: %q, %v", got, err)
		}
	})
}
