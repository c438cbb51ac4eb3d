// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/preau/preau/internal/blob"
)

// List implements blob.Store. It walks only the folders that can hold keys
// with the prefix, and sorts each folder's entries by the keys they lead to
// (a folder "a" sorts as "a/"), which yields lexical key order. Entries that
// are not valid key components (temporary files, lost+found …) and anything
// but regular files and folders are skipped.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return err
	}
	return s.walk(ctx, s.root, "", prefix, fn)
}

type listEntry struct {
	name string // file or folder name
	sort string // key of a file, or key prefix of a folder ("a/")
	dir  bool
}

// walk lists folder dir, whose keys start with base ("" or "a/b/").
func (s *Store) walk(ctx context.Context, dir, base, prefix string, fn func(blob.Info) error) error {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) && dir != s.root {
		return nil // removed by a concurrent Delete
	}
	if err != nil {
		return fsError("fsblob.List", err)
	}
	entries := make([]listEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !blob.ValidComponent(name) {
			continue
		}
		switch t := de.Type(); {
		case t.IsDir():
			key := base + name + "/"
			if strings.HasPrefix(key, prefix) || strings.HasPrefix(prefix, key) {
				entries = append(entries, listEntry{name, key, true})
			}
		case t.IsRegular():
			if key := base + name; strings.HasPrefix(key, prefix) {
				entries = append(entries, listEntry{name, key, false})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].sort < entries[j].sort })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fsError("fsblob.List", err)
		}
		p := filepath.Join(dir, e.name)
		if e.dir {
			if err := s.walk(ctx, p, e.sort, prefix, fn); err != nil {
				return err
			}
			continue
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fsError("fsblob.List", err)
		}
		if err := fn(info(e.sort, fi)); err != nil {
			return err
		}
	}
	return nil
}
