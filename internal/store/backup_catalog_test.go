// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/store"
)

// TestFileCatalogAndRestoreByName: the catalogue lists each space's live
// folders and files by path (trashed ones left out), and a restore by name
// from a snapshot of it and of the blobs puts a deleted folder back with
// its contents (small ones kept inline in the database, larger ones blobs),
// on both databases. CARINE: MCO-SVG-1
func TestFileCatalogAndRestoreByName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.DefaultConfig())
		e.person(t, "zoe.martin", core.ProfilePupil)
		ctx := e.as("zoe.martin")
		if err := e.svc.MkdirAll(ctx, "/home/Exposé/images"); err != nil {
			t.Fatal(err)
		}
		e.put(t, ctx, "/home/Exposé/plan.txt", "1. Introduction")
		e.put(t, ctx, "/home/Exposé/images/a.png", strings.Repeat("PNG", 10000)) // beyond files.InlineMax
		e.put(t, ctx, "/home/brouillon.txt", "à jeter")
		if err := e.svc.Remove(ctx, "/home/brouillon.txt"); err != nil {
			t.Fatal(err)
		}
		cat, err := e.db.FileCatalog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]backup.CatalogEntry{}
		for _, c := range cat {
			got[c.Path] = c
		}
		if len(got) != 4 || !got["/Exposé"].Dir || got["/Exposé/images/a.png"].Size != 30000 ||
			got["/Exposé/plan.txt"].SpaceName != "zoe.martin" || got["/Exposé/plan.txt"].SpaceKind != "personal" {
			t.Fatalf("catalogue: %+v", cat)
		}
		if _, ok := got["/brouillon.txt"]; ok {
			t.Fatal("a trashed file is in the catalogue")
		}
		// A snapshot of the catalogue and the blobs.
		bctx := context.Background()
		s, _ := backup.NewSecret()
		k, _ := backup.NewRecoveryKey()
		rs, _ := backup.ParseRecipients(strings.NewReader(k.Recipient))
		ids, _ := backup.ParseIdentities(strings.NewReader(k.Sheet("t")))
		be := backup.Local{Root: t.TempDir()}
		r, err := backup.OpenForBackup(bctx, be, s, rs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		catBytes := backup.MarshalCatalog(cat)
		items := []backup.Item{{Node: backup.Node{Path: backup.CatalogPath, Type: "file", Size: int64(len(catBytes))},
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(catBytes)), nil }}}
		for _, c := range cat {
			if !c.Dir {
				key := c.Blob
				items = append(items, backup.Item{Node: backup.Node{Path: backup.ContentPath(key), Type: "file", Size: c.Size},
					Open: func() (io.ReadCloser, error) {
						if files.IsInline(key) { // kept in the database (plan.txt)
							b, err := e.db.ReadInline(bctx, key)
							return io.NopCloser(bytes.NewReader(b)), err
						}
						rc, _, err := e.blobs.Open(bctx, key)
						return rc, err
					}})
			}
		}
		snap, err := r.Backup(bctx, items, backup.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Remove(ctx, "/home/Exposé"); err != nil {
			t.Fatal(err)
		}
		rr, _ := backup.Open(bctx, be)
		if err := rr.Unlock(bctx, ids); err != nil {
			t.Fatal(err)
		}
		c2, err := rr.Catalog(bctx, snap.Snapshot)
		if err != nil {
			t.Fatal(err)
		}
		sys := core.ContextWithPrincipal(bctx, core.SystemPrincipal("cli:test", core.ChannelCLI))
		res, err := rr.RestoreByName(sys, snap.Snapshot, c2, backup.FilesTarget{Store: e.db, Blobs: e.blobs, Now: e.clock.Now(),
			KeepVersions: 3}, backup.NameRestore{Space: got["/Exposé"].Space, Path: "/Exposé"})
		if err != nil || res.Files != 2 || res.Folders != 2 {
			t.Fatalf("restore: %+v %v", res, err)
		}
		if b, err := e.read(ctx, "/home/Exposé/images/a.png"); err != nil || b != strings.Repeat("PNG", 10000) {
			t.Fatalf("restored content: %v", err)
		}
		if b, err := e.read(ctx, "/home/Exposé/plan.txt"); err != nil || b != "1. Introduction" {
			t.Fatalf("restored inline content: %q, %v", b, err)
		}
		// Again, in place: nothing to write.
		res, err = rr.RestoreByName(sys, snap.Snapshot, c2, backup.FilesTarget{Store: e.db, Blobs: e.blobs, Now: e.clock.Now()},
			backup.NameRestore{Space: got["/Exposé"].Space, Path: "/Exposé"})
		if err != nil || res.Files != 0 || res.Unchanged != 2 {
			t.Fatalf("second restore: %+v %v", res, err)
		}
	})
}
