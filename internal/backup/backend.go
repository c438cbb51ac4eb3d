// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/preau/preau/internal/core"
)

// Object kinds in a repository (docs/backup-format.md §1).
const (
	KindConfig   = "config"
	KindKeys     = "keys"
	KindData     = "data"
	KindIndex    = "index"
	KindSnapshot = "snapshots"
	KindLock     = "locks"
)

// Handle names one stored object.
type Handle struct {
	Kind string
	Name string // 64 hex digits, except for config ("config") and locks
}

func (h Handle) String() string { return h.Kind + "/" + h.Name }

// ValidHandle reports whether h names an object a repository may hold: a
// known kind and a name of lowercase hex digits (or "config").
func ValidHandle(h Handle) bool {
	switch h.Kind {
	case KindConfig:
		return h.Name == "config"
	case KindKeys, KindData, KindIndex, KindSnapshot, KindLock:
		if len(h.Name) != 64 {
			return false
		}
		for _, c := range h.Name {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	return false
}

// ErrExists is the error kind of Save on an existing object: repositories
// never overwrite.
var ErrExists = errors.New("object exists already")

// Backend stores a repository's objects. Save never overwrites: it returns
// an error wrapping ErrExists (core.Conflict) if the object exists.
type Backend interface {
	Save(ctx context.Context, h Handle, data []byte) error
	// Load returns length bytes from offset (length <= 0: to the end).
	Load(ctx context.Context, h Handle, offset, length int64) (io.ReadCloser, error)
	// Stat returns the size of an object, or a core.NotFound error.
	Stat(ctx context.Context, h Handle) (int64, error)
	// List calls fn for each object of a kind, in name order.
	List(ctx context.Context, kind string, fn func(name string, size int64) error) error
	Remove(ctx context.Context, h Handle) error
}

// Local is a repository in a local folder (another disk, removable media,
// a mounted NAS share). Each object is written to a temporary file, synced,
// linked into place (never replacing an existing one) and its folder synced,
// so a crash leaves either the whole object or none.
type Local struct{ Root string }

func (l Local) path(h Handle) string {
	switch h.Kind {
	case KindConfig:
		return filepath.Join(l.Root, "config")
	case KindData:
		return filepath.Join(l.Root, "data", h.Name[:2], h.Name)
	}
	return filepath.Join(l.Root, h.Kind, h.Name)
}

// Save implements Backend.
func (l Local) Save(ctx context.Context, h Handle, data []byte) error {
	const op = "backup.Local.Save"
	if !ValidHandle(h) {
		return core.E(op, core.Invalid, "invalid object name "+h.String())
	}
	p := l.path(h)
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return core.Wrap(op, core.Unavailable, err)
	}
	if _, err := os.Lstat(p); err == nil {
		return core.Wrap(op, core.Exists, fmt.Errorf("%s: %w", h, ErrExists))
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return core.Wrap(op, core.Unavailable, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return core.Wrap(op, core.Unavailable, fmt.Errorf("writing %s: %w", h, err))
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, os.ErrExist) {
			return core.Wrap(op, core.Exists, fmt.Errorf("%s: %w", h, ErrExists))
		}
		return core.Wrap(op, core.Unavailable, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Load implements Backend.
func (l Local) Load(ctx context.Context, h Handle, offset, length int64) (io.ReadCloser, error) {
	if !ValidHandle(h) {
		return nil, core.E("backup.Local.Load", core.Invalid, "invalid object name "+h.String())
	}
	f, err := os.Open(l.path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, core.E("backup.Local.Load", core.NotFound, h.String()+" is missing from the repository")
	}
	if err != nil {
		return nil, core.Wrap("backup.Local.Load", core.Unavailable, err)
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	if length <= 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, nil
}

// Stat implements Backend.
func (l Local) Stat(ctx context.Context, h Handle) (int64, error) {
	if !ValidHandle(h) {
		return 0, core.E("backup.Local.Stat", core.Invalid, "invalid object name "+h.String())
	}
	fi, err := os.Stat(l.path(h))
	if errors.Is(err, os.ErrNotExist) {
		return 0, core.E("backup.Local.Stat", core.NotFound, h.String()+" is missing from the repository")
	}
	if err != nil {
		return 0, core.Wrap("backup.Local.Stat", core.Unavailable, err)
	}
	return fi.Size(), nil
}

// List implements Backend. Temporary files left by a crash are skipped.
func (l Local) List(ctx context.Context, kind string, fn func(string, int64) error) error {
	var dirs []string
	switch kind {
	case KindConfig:
		if fi, err := os.Stat(filepath.Join(l.Root, "config")); err == nil {
			return fn("config", fi.Size())
		}
		return nil
	case KindData:
		subs, err := os.ReadDir(filepath.Join(l.Root, "data"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, s := range subs {
			if s.IsDir() && len(s.Name()) == 2 {
				dirs = append(dirs, filepath.Join(l.Root, "data", s.Name()))
			}
		}
	default:
		dirs = []string{filepath.Join(l.Root, kind)}
	}
	type ent struct {
		name string
		size int64
	}
	var all []ent
	for _, d := range dirs {
		es, err := os.ReadDir(d)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range es {
			if strings.HasPrefix(e.Name(), ".") || !ValidHandle(Handle{kind, e.Name()}) {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue
			}
			all = append(all, ent{e.Name(), fi.Size()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	for _, e := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.name, e.size); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements Backend.
func (l Local) Remove(ctx context.Context, h Handle) error {
	if !ValidHandle(h) {
		return core.E("backup.Local.Remove", core.Invalid, "invalid object name "+h.String())
	}
	err := os.Remove(l.path(h))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return core.Wrap("backup.Local.Remove", core.Unavailable, err)
	}
	return nil
}

// CleanTemp removes temporary files a killed writer left (older than any
// running writer could use is not known here: call it under the lock).
func (l Local) CleanTemp() int {
	n := 0
	_ = filepath.WalkDir(l.Root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
			if os.Remove(p) == nil {
				n++
			}
		}
		return nil
	})
	return n
}

func loadAll(ctx context.Context, be Backend, h Handle, max int64) ([]byte, error) {
	rc, err := be.Load(ctx, h, 0, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, core.E("backup.load", core.Invalid, fmt.Sprintf("%s is larger than %d bytes", h, max))
	}
	return b, nil
}
