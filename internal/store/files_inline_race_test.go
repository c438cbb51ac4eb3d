// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
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
// locks of shareInline and dropInline, PostgreSQL's purge deleted the
// content and the copy pointed at nothing.) SQLite's single writer runs the
// two one after the other, so only PostgreSQL has the race.
// CARINE: UTI-ESF-10
func TestInlineCopyRacesPurge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		if e.db.Dialect() != "postgres" {
			t.Skip("SQLite runs writes one at a time: there is no race to provoke")
		}
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		const content = "a small shared content"
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
			t.Fatalf("the copy after the original's purge: %q, %v", got, err)
		}
		if _, err := e.read(ctx, "/home/a.txt"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("the original after its purge: %v", err)
		}
	})
}
