// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Sink receives restored files. File must make the file appear whole or
// not at all (temporary file, fsync, rename).
type Sink interface {
	File(ctx context.Context, n Node, write func(io.Writer) error) error
	Dir(ctx context.Context, n Node) error
}

// RestoreOptions select what to restore.
type RestoreOptions struct {
	// Include lists paths (a file or a folder: whole path components) to
	// restore; empty restores everything.
	Include  []string
	Progress func(Progress)
}

// Matches reports whether path is selected by include (empty: all).
func Matches(include []string, path string) bool {
	if len(include) == 0 {
		return true
	}
	for _, p := range include {
		p = strings.Trim(p, "/")
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// Restore writes the selected part of a snapshot into sink. Every chunk is
// authenticated, decrypted and checked against its keyed ID before it is
// written. It needs Unlock first.
func (r *Repo) Restore(ctx context.Context, s *Snapshot, sink Sink, o RestoreOptions) (Stats, error) {
	nodes, err := r.Listing(ctx, s)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	prog := Progress{Phase: "restore"}
	var sel []Node
	for _, n := range nodes {
		if Matches(o.Include, n.Path) {
			sel = append(sel, n)
			if n.Type == "file" {
				prog.TotalFiles++
				prog.TotalBytes += n.Size
			}
		}
	}
	if len(sel) == 0 {
		return st, core.E("backup.Restore", core.NotFound, "nothing in snapshot matches %s", strings.Join(o.Include, ", "))
	}
	last := time.Time{}
	report := func(force bool) {
		if o.Progress != nil && (force || time.Since(last) > 100*time.Millisecond) {
			last = time.Now()
			o.Progress(prog)
		}
	}
	for _, n := range sel {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if n.Type == "dir" {
			if err := sink.Dir(ctx, n); err != nil {
				return st, err
			}
			continue
		}
		err := sink.File(ctx, n, func(w io.Writer) error {
			var written int64
			for _, id := range n.Chunks {
				b, err := r.LoadBlob(ctx, id)
				if err != nil {
					return err
				}
				if _, err := w.Write(b); err != nil {
					return err
				}
				written += int64(len(b))
				prog.Bytes += int64(len(b))
				report(false)
			}
			if written != n.Size {
				return core.E("backup.Restore", core.Invalid, "%s: restored %d bytes, the listing says %d", n.Path, written, n.Size)
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n.Size
		prog.Files++
		report(false)
	}
	report(true)
	return st, nil
}

// DirSink restores into a folder. Map, when set, turns a snapshot path into
// a path under Root (or false to skip it); by default the snapshot path is
// used as is.
type DirSink struct {
	Root string
	Map  func(path string) (string, bool)
}

func (d DirSink) target(p string) (string, bool) {
	if d.Map != nil {
		var ok bool
		if p, ok = d.Map(p); !ok {
			return "", false
		}
	}
	if !validPath(p) {
		return "", false
	}
	return filepath.Join(d.Root, filepath.FromSlash(p)), true
}

// Dir implements Sink.
func (d DirSink) Dir(ctx context.Context, n Node) error {
	t, ok := d.target(n.Path)
	if !ok {
		return nil
	}
	return os.MkdirAll(t, 0o700)
}

// File implements Sink: a temporary file beside the target, synced, then
// renamed over it, so an interrupted restore leaves no half-written file.
func (d DirSink) File(ctx context.Context, n Node, write func(io.Writer) error) error {
	t, ok := d.target(n.Path)
	if !ok {
		return nil
	}
	return WriteFileAtomic(t, os.FileMode(n.Mode&0o777), n.ModTime, write)
}

// WriteFileAtomic writes path through a synced temporary file and a rename.
func WriteFileAtomic(path string, mode os.FileMode, mtime time.Time, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".preau-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if mode == 0 {
		mode = 0o600
	}
	err = tmp.Chmod(mode)
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
	if !mtime.IsZero() {
		_ = os.Chtimes(tmp.Name(), mtime, mtime)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}
