// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package fsblob is a blob.Store in a local folder: the default on a school
// box. Key "a/b/c" is the file <Dir>/a/b/c.
//
// A write goes to a temporary file beside its target ("~tmp." and random
// digits: a name that no key can have). Commit syncs the file, renames it over
// the target and syncs the folder (the pattern of Litestream's
// docs/PATTERNS.md), so readers never see a partial object and a committed
// object survives a crash. Commits into the same folder at the same time
// share the folder's sync (dirSyncer). A crash can leave stray temporary files; Open,
// Stat and List never see them, and Clean removes them. Folders are created
// as needed with mode 0700 and files with mode 0600; Delete removes folders
// it leaves empty.
//
// A key cannot be both a file and a folder: creating "a/b" while "a" exists,
// or the reverse, fails with core.Conflict.
//
// Only internal/app and tests import fsblob; other packages use blob.Store.
package fsblob

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Config configures a Store.
type Config struct {
	Dir   string     // root folder; created (0700) if missing
	Clock core.Clock // for Clean; nil means core.SystemClock
}

// Validate reports a core.Invalid error if the Config cannot work.
func (c Config) Validate() error {
	if c.Dir == "" {
		return core.E("fsblob.Config", core.Invalid, "blob folder not set")
	}
	return nil
}

// Store is a blob.Store in a folder. It is safe for concurrent use, but only
// one process may use a folder (Clean trusts that the temporary files it
// does not know of are stray).
type Store struct {
	root  string
	clock core.Clock

	mu       sync.Mutex
	inflight map[string]bool // temporary files of open Writers

	dirs sync.Map // folders known to exist (Create skips creating them); pruneEmpty forgets those it removes

	syncer dirSyncer // folder syncs shared by concurrent commits
}

// type check
var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Cleaner = (*Store)(nil)
)

// New returns a Store in cfg.Dir, creating the folder if needed.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, core.Wrap("fsblob.New", core.Invalid, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, core.Wrap("fsblob.New", core.Internal, err)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = core.SystemClock{}
	}
	return &Store{root: root, clock: clock, inflight: make(map[string]bool), syncer: dirSyncer{sync: syncDir}}, nil
}

// Dir returns the absolute root folder.
func (s *Store) Dir() string { return s.root }

func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Open implements blob.Store. The reader is the *os.File itself; a
// replacement renames a new file over the key, so the reader keeps the
// version it opened.
func (s *Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, blob.Info{}, readError("fsblob.Open", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, blob.Info{}, readError("fsblob.Open", err)
	}
	return f, info(key, fi), nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidKey(key); err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Stat(s.path(key))
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return blob.Info{}, readError("fsblob.Stat", err)
	}
	return info(key, fi), nil
}

// Delete implements blob.Store. It syncs the folder, then removes the
// folders the deletion left empty (up to the root).
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	p := s.path(key)
	fi, err := os.Lstat(p)
	if absent(err) || err == nil && fi.IsDir() {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !absent(err) {
		return fsError("fsblob.Delete", err)
	}
	dir := filepath.Dir(p)
	if err := s.syncer.syncDir(dir); err != nil {
		return fsError("fsblob.Delete", err)
	}
	s.pruneEmpty(dir)
	return nil
}

// pruneEmpty removes dir and its parents below the root while they are
// empty. Failure is harmless: a concurrent Create just added a file, and
// Create retries if a folder vanishes under it.
func (s *Store) pruneEmpty(dir string) {
	for dir != s.root && len(dir) > len(s.root) {
		s.dirs.Delete(dir) // before: a Create that still finds it known then retries on ENOENT
		if os.Remove(dir) != nil {
			return
		}
		parent := filepath.Dir(dir)
		syncDir(parent)
		dir = parent
	}
}

func info(key string, fi fs.FileInfo) blob.Info {
	return blob.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime().UTC()}
}

// absent reports whether err says that a path does not exist, either because
// its last element is missing or because an earlier one is a file.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// readError classifies an error of Open or Stat: an absent path is NotFound.
func readError(op string, err error) error {
	if absent(err) {
		return &core.Error{Op: op, Kind: core.NotFound, Msg: "no such object", Err: err}
	}
	return fsError(op, err)
}

// fsError classifies a file-system error: a missing file is NotFound, a
// file where a folder should be (or the reverse) is Conflict, a canceled
// context is Unavailable, and the rest is Internal.
func fsError(op string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &core.Error{Op: op, Kind: core.NotFound, Msg: "no such object", Err: err}
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.ENOTEMPTY):
		return &core.Error{Op: op, Kind: core.Conflict,
			Msg: "the key is in the way of another key (a file where a folder should be, or the reverse)", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return core.Wrap(op, core.Unavailable, err)
	}
	return core.Wrap(op, core.Internal, err)
}

// syncDir makes the entries of folder dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
