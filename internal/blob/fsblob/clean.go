// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Clean removes the temporary files that crashed or killed writers left
// behind: those last modified more than olderThan ago (by the Store's clock)
// that no Writer of this Store is using. It returns how many it removed. A
// daily call with olderThan of a day is plenty; at startup, before any
// Create, olderThan may be 0.
func (s *Store) Clean(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.clock.Now().Add(-olderThan)
	removed := 0
	err := filepath.WalkDir(s.root, func(p string, de fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if de.IsDir() || !strings.HasPrefix(de.Name(), tmpPrefix) || s.isInflight(p) {
			return nil
		}
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fsError("fsblob.Clean", err)
	}
	return removed, nil
}
