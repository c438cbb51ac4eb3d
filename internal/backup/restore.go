// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	var mu sync.Mutex // guards prog, st and last
	last := time.Time{}
	report := func(force bool) {
		if o.Progress != nil && (force || time.Since(last) > 100*time.Millisecond) {
			last = time.Now()
			o.Progress(prog)
		}
	}
	var files []Node
	for _, n := range sel {
		if n.Type == "dir" {
			if err := sink.Dir(ctx, n); err != nil {
				return st, err
			}
			continue
		}
		files = append(files, n)
	}
	// Files are restored by several workers: decryption and decompression
	// use every core, as reading the packs overlaps with writing.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan Node)
	var wg sync.WaitGroup
	var firstErr error
	// More workers than cores, so reading packs and writing files overlap.
	for i := 0; i < max(4, 2*core.CPUs()); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
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
						mu.Lock()
						prog.Bytes += int64(len(b))
						report(false)
						mu.Unlock()
					}
					if written != n.Size {
						return core.E("backup.Restore", core.Invalid, "%s: restored %d bytes, the listing says %d", n.Path, written, n.Size)
					}
					return nil
				})
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				} else {
					st.Files++
					st.Bytes += n.Size
					prog.Files++
					report(false)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, n := range files {
		select {
		case work <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, err
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
	return writeFile(path, mode, mtime, true, write)
}

// WriteFileStaged writes path through a temporary file and a rename, without
// syncing: for a restore into a staging folder that is synced as a whole
// (SyncFS) before it is renamed into place.
func WriteFileStaged(path string, mode os.FileMode, mtime time.Time, write func(io.Writer) error) error {
	return writeFile(path, mode, mtime, false, write)
}

func writeFile(path string, mode os.FileMode, mtime time.Time, sync bool, write func(io.Writer) error) error {
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
	if err == nil && sync {
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
	if !sync {
		return nil
	}
	return syncDir(dir)
}

// SyncFS flushes the file system holding path (syncfs(2)), so everything
// written there without a sync becomes durable at once.
func SyncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return syncfs(f)
}
