// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
)

// TestIncrementalSkipsUnchanged: an incremental run reads only the files
// whose size, mtime, inode or ctime changed; a file rewritten in place
// with its old size and mtime put back is still read again (its ctime
// moved), and the restore gives its new content. CARINE: MCO-SVG-3
func TestIncrementalSkipsUnchanged(t *testing.T) {
	f := newFixture(t)
	f.write("same.bin", randomBytes(1, 1<<20))
	f.write("edit.txt", []byte("version A"))
	ctx := context.Background()
	cache := backup.FileCache{}
	run := func() (backup.SnapshotRef, map[string]int) {
		r, err := backup.OpenForBackup(ctx, f.be, f.secret, f.rs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		items, err := backup.DirItems(f.src, "data", nil)
		if err != nil {
			t.Fatal(err)
		}
		opened := map[string]int{}
		for i := range items {
			if items[i].Open != nil {
				p, open := items[i].Path, items[i].Open
				items[i].Open = func() (io.ReadCloser, error) { opened[p]++; return open() }
			}
		}
		s, err := r.Backup(ctx, items, backup.Options{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return s, opened
	}
	if _, opened := run(); opened["data/same.bin"] != 1 || opened["data/edit.txt"] != 1 {
		t.Fatalf("first run: %v", opened)
	}
	if _, opened := run(); len(opened) != 0 {
		t.Fatalf("unchanged files read again: %v", opened)
	}
	p := filepath.Join(f.src, "edit.txt")
	fi, _ := os.Stat(p)
	time.Sleep(20 * time.Millisecond)
	if err := os.WriteFile(p, []byte("version B"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, fi.ModTime(), fi.ModTime()) // same size, same mtime
	s, opened := run()
	if opened["data/edit.txt"] != 1 || opened["data/same.bin"] != 0 {
		t.Fatalf("after an in-place rewrite: %v", opened)
	}
	dst := f.restore(s.ID.String())
	if b, _ := os.ReadFile(filepath.Join(dst, "data", "edit.txt")); string(b) != "version B" {
		t.Fatalf("restored %q", b)
	}
}
