// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFileAtomic replaces path with data so that readers see either the old
// or the new content, never a mix: it writes a temporary file in the same
// folder with the given mode, syncs it, renames it over path and syncs the
// folder.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// readOptional reads path; it returns nil data and no error when the file
// does not exist.
func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// writePair writes a key then its certificate. The certificate is written
// last so that its presence implies a complete pair (see loadSelfManaged).
func writePair(dir, certName, keyName string, is *issued) error {
	if err := writeFileAtomic(filepath.Join(dir, keyName), is.keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", keyName, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, certName), is.certPEM, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", certName, err)
	}
	return nil
}
