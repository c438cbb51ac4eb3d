// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/preau/preau/internal/blob"
)

// tmpPrefix starts the names of temporary files. '~' is not a key character,
// so no key ever names a temporary file.
const tmpPrefix = "~tmp."

// Create implements blob.Store. It creates the missing folders of key (each
// synced into its parent) and a temporary file beside the target.
func (s *Store) Create(ctx context.Context, key string) (blob.Writer, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fsError("fsblob.Create", err)
	}
	target := s.path(key)
	dir := filepath.Dir(target)
	var f *os.File
	var err error
	// A concurrent Delete may remove a folder that it left empty while
	// mkdirs creates its children or before the file is created in it; try
	// again then. Once the file exists, its folders are not empty.
	for range 5 {
		// A folder this Store made or saw is not created again: that
		// saves six system calls per upload (mkdir and stat of each level).
		if _, known := s.dirs.Load(dir); !known {
			err = s.mkdirs(dir)
		}
		if err == nil {
			f, err = s.createTemp(dir)
		}
		if err == nil {
			s.dirs.Store(dir, struct{}{})
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
		s.dirs.Delete(dir) // removed meanwhile (pruneEmpty): create it again
	}
	if err != nil {
		return nil, fsError("fsblob.Create", err)
	}
	return &writer{s: s, ctx: ctx, target: target, f: f}, nil
}

// createTemp creates a new temporary file in dir, mode 0600. It marks the
// name in flight before the file exists, so that Clean, which only removes
// files it sees that are not in flight, cannot remove it.
func (s *Store) createTemp(dir string) (*os.File, error) {
	for {
		var b [8]byte
		rand.Read(b[:])
		name := filepath.Join(dir, tmpPrefix+hex.EncodeToString(b[:]))
		s.track(name, true)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, nil
		}
		s.track(name, false)
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
}

// mkdirs creates dir and its missing parents below the root, with mode
// 0700, and syncs each new entry into its parent folder. An existing file in
// the way gives a syscall.ENOTDIR error.
func (s *Store) mkdirs(dir string) error {
	rel, err := filepath.Rel(s.root, dir)
	if err != nil || rel == "." {
		return err
	}
	p := s.root
	for _, name := range strings.Split(rel, string(filepath.Separator)) {
		parent := p
		p = filepath.Join(p, name)
		err := os.Mkdir(p, 0o700)
		if errors.Is(err, fs.ErrExist) {
			fi, serr := os.Stat(p)
			if serr != nil {
				return serr
			}
			if !fi.IsDir() {
				return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := syncDir(parent); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) track(tmp string, on bool) {
	s.mu.Lock()
	if on {
		s.inflight[tmp] = true
	} else {
		delete(s.inflight, tmp)
	}
	s.mu.Unlock()
}

func (s *Store) isInflight(tmp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[tmp]
}

// writer writes a temporary file and renames it into place on Commit.
type writer struct {
	s      *Store
	ctx    context.Context
	target string
	f      *os.File // nil once committed or closed
	err    error    // sticky write error
}

func (w *writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, blob.ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = fsError("fsblob.Write", err)
		return 0, w.err
	}
	n, err := w.f.Write(p)
	if err != nil {
		w.err = fsError("fsblob.Write", err)
	}
	return n, w.err
}

// Commit syncs the temporary file, renames it over the target and syncs the
// folder. On any failure it removes the temporary file.
func (w *writer) Commit() error {
	if w.f == nil {
		return blob.ErrClosed
	}
	f, tmp := w.f, w.f.Name()
	w.f = nil
	defer w.s.track(tmp, false)
	err := w.err
	if err == nil {
		err = w.ctx.Err()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, w.target)
	}
	if err != nil {
		os.Remove(tmp)
		return fsError("fsblob.Commit", err)
	}
	if err := w.s.syncer.syncDir(filepath.Dir(w.target)); err != nil {
		return fsError("fsblob.Commit", err)
	}
	return nil
}

// Close removes the temporary file unless Commit ran.
func (w *writer) Close() error {
	if w.f == nil {
		return nil
	}
	f, tmp := w.f, w.f.Name()
	w.f = nil
	f.Close()
	err := os.Remove(tmp)
	w.s.track(tmp, false)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fsError("fsblob.Close", err)
	}
	return nil
}
