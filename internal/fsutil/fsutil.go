// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package fsutil writes files so that a crash never leaves a half-written
// one: a temporary file in the same folder, fsync, rename (or link), then
// fsync of the folder (Litestream's PATTERNS).
package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// ErrExists is returned by WriteFile with keep when path exists already.
var ErrExists = os.ErrExist

// WriteFile writes what write produces to path, atomically, with mode perm.
// With keep, an existing path is left alone and WriteFile returns nil (the
// first writer wins, e.g. a key two processes create at once); otherwise it
// is replaced. Readers see the old content or the new one, never a mix.
func WriteFile(path string, perm os.FileMode, keep bool, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(perm)
	if err == nil {
		err = write(tmp)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if keep {
		if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	} else if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
