// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restic/chunker"

	"github.com/preau/preau/internal/core"
)

// Item is one thing to back up: a node of the listing and how to read it.
type Item struct {
	Node
	Open func() (io.ReadCloser, error) // files only
	// Inode and CTime identify a local file beyond its size and mtime
	// (0: unknown, as for blob store objects, whose keys never change
	// content): a file replaced or rewritten with its old mtime is read
	// again.
	Inode uint64
	CTime int64
}

// Progress reports a running operation.
type Progress struct {
	Phase      string // scan, backup, index, snapshot, restore, check
	Files      int64
	TotalFiles int64
	Bytes      int64
	TotalBytes int64
	Added      int64 // pack bytes written
}

// FileCache remembers, per path, the chunks of a file as last backed up,
// so an incremental run skips unchanged files (same size and mtime).
type FileCache map[string]CacheEntry

// CacheEntry is one remembered file.
type CacheEntry struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Inode   uint64    `json:"ino,omitempty"`
	CTime   int64     `json:"ctime,omitempty"`
	Chunks  []ID      `json:"chunks"`
}

// Options tune a backup run.
type Options struct {
	Kind          string // full (read everything) or incremental (trust the cache); default incremental
	Host          string
	Establishment string
	Policy        string
	Parent        *ID
	Time          time.Time
	Cache         FileCache       // read for incremental runs; filled with this run's files
	Progress      func(Progress)  // may be nil; called often
	PackSize      int             // target pack size (default 16 MiB)
	AfterPack     func(packs int) // tests: called after each pack is saved
}

const defaultPackSize = 16 << 20

// Backup stores items (sorted by the caller or not) as a new snapshot:
// packs first, then the index, then the snapshot object, each written
// atomically, so a crash at any point leaves a consistent repository.
func (r *Repo) Backup(ctx context.Context, items []Item, o Options) (SnapshotRef, error) {
	const op = "backup.Backup"
	if r.secret == nil || len(r.rs) == 0 {
		return SnapshotRef{}, core.E(op, core.Invalid, "repository not opened for backup")
	}
	if o.Kind == "" {
		o.Kind = "incremental"
	}
	if o.PackSize <= 0 {
		o.PackSize = defaultPackSize
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	unlock, err := r.lock(ctx, "backup", o.Time)
	if err != nil {
		return SnapshotRef{}, err
	}
	defer unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Path < items[j].Path })
	for i := range items {
		if !validPath(items[i].Path) || (i > 0 && items[i-1].Path == items[i].Path) {
			return SnapshotRef{}, core.E(op, core.Invalid, "bad or duplicate path %q", items[i].Path)
		}
	}
	w := &writer{r: r, ctx: ctx, o: o, used: map[ID]bool{}}
	w.start()
	finished := false
	defer func() {
		if !finished {
			w.finish()
		}
	}()
	for _, it := range items {
		if it.Type == "file" {
			w.prog.TotalFiles++
			w.prog.TotalBytes += it.Size
		}
	}
	w.prog.Phase = "backup"
	w.report()
	newCache := FileCache{}
	var listing bytes.Buffer
	enc := json.NewEncoder(&listing)
	buf := make([]byte, chunker.MaxSize)
	ch := chunker.New(nil, r.secret.Polynomial)
	for _, it := range items {
		n := it.Node
		n.ModTime = n.ModTime.UTC()
		if n.Type == "file" {
			// Unchanged since the parent (same size, mtime and, for a local
			// file, inode and ctime), with every chunk still stored: not read.
			if c, ok := o.Cache[n.Path]; ok && o.Kind == "incremental" && c.Size == n.Size &&
				c.ModTime.Equal(n.ModTime) && c.Inode == it.Inode && c.CTime == it.CTime && w.allStored(c.Chunks) {
				n.Chunks = c.Chunks
				for _, id := range c.Chunks {
					w.used[id] = true
				}
				w.prog.Bytes += n.Size
			} else {
				chunks, size, err := w.file(it, ch, buf)
				if err != nil {
					return SnapshotRef{}, err
				}
				n.Chunks, n.Size = chunks, size
			}
			w.prog.Files++
			w.report()
			newCache[n.Path] = CacheEntry{Size: n.Size, ModTime: n.ModTime, Inode: it.Inode, CTime: it.CTime, Chunks: n.Chunks}
		}
		if err := enc.Encode(n); err != nil {
			return SnapshotRef{}, err
		}
		w.stats.Files += btoi(n.Type == "file")
		w.stats.Bytes += n.Size
	}
	// The listing is chunked like a file, so an unchanged listing costs
	// nothing and a changed one only its changed chunks.
	var tree []ID
	ch.Reset(bytes.NewReader(listing.Bytes()), r.secret.Polynomial)
	for {
		c, err := ch.Next(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return SnapshotRef{}, err
		}
		id, err := w.blob(BlobTree, c.Data)
		if err != nil {
			return SnapshotRef{}, err
		}
		tree = append(tree, id)
	}
	if len(tree) == 0 { // an empty selection still has a (empty) listing chunk
		id, err := w.blob(BlobTree, []byte{})
		if err != nil {
			return SnapshotRef{}, err
		}
		tree = append(tree, id)
	}
	w.prog.Phase = "index"
	w.report()
	finished = true
	if err := w.finish(); err != nil {
		return SnapshotRef{}, err
	}
	blobs := make([]ID, 0, len(w.used))
	for id := range w.used {
		blobs = append(blobs, id)
	}
	sort.Slice(blobs, func(i, j int) bool { return bytes.Compare(blobs[i][:], blobs[j][:]) < 0 })
	s := &Snapshot{Version: 1, Time: o.Time.UTC(), Host: o.Host, Kind: o.Kind, Establishment: o.Establishment,
		Parent: o.Parent, Tree: tree, Blobs: blobs, Stats: w.stats, Policy: o.Policy}
	b, _ := json.Marshal(s)
	id := Hash(b)
	w.prog.Phase = "snapshot"
	w.report()
	if err := r.be.Save(ctx, Handle{KindSnapshot, id.String()}, b); err != nil {
		return SnapshotRef{}, err
	}
	if o.Cache != nil {
		for k := range o.Cache {
			delete(o.Cache, k)
		}
		for k, v := range newCache {
			o.Cache[k] = v
		}
	}
	return SnapshotRef{id, s}, nil
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

type writer struct {
	r     *Repo
	ctx   context.Context
	o     Options
	used  map[ID]bool
	added map[ID]bool
	stats Stats
	prog  Progress
	last  time.Time

	// The pipeline: blob() (the caller's goroutine) names chunks and
	// deduplicates; workers compress; one packer seals into packs; one
	// saver stores them and their index objects. pack is the packer's;
	// pending, indexes and packs are the saver's.
	jobs       chan sealJob
	results    chan sealJob
	workers    sync.WaitGroup
	packerDone chan struct{}
	saves      chan packed
	saverDone  chan struct{}
	perr       atomic.Pointer[error]
	addedBytes atomic.Int64
	pack       *packWriter
	pending    []IndexPack // saved packs not yet in an index object
	indexes    []indexWritten
	packs      int
}

type sealJob struct {
	t      byte
	id     ID
	data   []byte // the chunk, then its compressed plaintext
	rawLen int
}

type indexWritten struct {
	id ID
	f  *IndexFile
}

func (w *writer) start() {
	n := core.CPUs()
	w.jobs = make(chan sealJob, 2*n)
	w.results = make(chan sealJob, 2*n)
	w.packerDone = make(chan struct{})
	w.saves = make(chan packed, 1)
	w.saverDone = make(chan struct{})
	go w.saver()
	for i := 0; i < n; i++ {
		w.workers.Add(1)
		go func() {
			defer w.workers.Done()
			for j := range w.jobs {
				j.rawLen = len(j.data)
				j.data = compress(j.data)
				w.results <- j
			}
		}()
	}
	go w.packer()
}

func (w *writer) fail(err error) {
	if err != nil {
		w.perr.CompareAndSwap(nil, &err)
	}
}

func (w *writer) err() error {
	if p := w.perr.Load(); p != nil {
		return *p
	}
	return nil
}

func (w *writer) packer() {
	defer close(w.packerDone)
	for j := range w.results {
		if w.err() != nil {
			continue // drain
		}
		if w.pack == nil {
			p, err := newPackWriter(w.r.rs)
			if err != nil {
				w.fail(err)
				continue
			}
			w.pack = p
		}
		w.pack.addPlain(j.t, j.id, j.data, j.rawLen)
		if w.pack.size() >= w.o.PackSize {
			w.fail(w.flushPack())
		}
	}
	if w.err() == nil {
		w.fail(w.flushPack())
	}
	close(w.saves)
	<-w.saverDone
}

// finish drains the pipeline and makes this run's index objects known.
func (w *writer) finish() error {
	close(w.jobs)
	w.workers.Wait()
	close(w.results)
	<-w.packerDone
	for _, x := range w.indexes {
		w.r.idx.addFile(x.id, x.f)
	}
	w.stats.AddedBytes = w.addedBytes.Load()
	return w.err()
}

func (w *writer) report() {
	if w.o.Progress == nil {
		return
	}
	if now := time.Now(); w.prog.Phase != "backup" || now.Sub(w.last) > 100*time.Millisecond {
		w.last = now
		w.prog.Added = w.addedBytes.Load()
		w.o.Progress(w.prog)
	}
}

func (w *writer) allStored(ids []ID) bool {
	for _, id := range ids {
		if !w.r.idx.Has(id) && !w.added[id] {
			return false
		}
	}
	return true
}

// file chunks one file. A file that changes while read is stored as read.
func (w *writer) file(it Item, ch *chunker.Chunker, buf []byte) ([]ID, int64, error) {
	rc, err := it.Open()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) { // deleted since the scan: keep it empty
			return nil, 0, nil
		}
		return nil, 0, core.Wrap("backup.Backup", core.Unavailable, fmt.Errorf("reading %s: %w", it.Path, err))
	}
	defer rc.Close()
	ch.Reset(rc, w.r.secret.Polynomial)
	var ids []ID
	var size int64
	for {
		if err := w.ctx.Err(); err != nil {
			return nil, 0, err
		}
		c, err := ch.Next(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, core.Wrap("backup.Backup", core.Unavailable, fmt.Errorf("reading %s: %w", it.Path, err))
		}
		id, err := w.blob(BlobData, c.Data)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
		size += int64(c.Length)
		w.prog.Bytes += int64(c.Length)
		w.report()
	}
	return ids, size, nil
}

// blob stores a chunk unless the repository has it.
func (w *writer) blob(t byte, data []byte) (ID, error) {
	id := w.r.secret.ChunkID(data)
	w.used[id] = true
	if w.r.idx.Has(id) || w.added[id] {
		return id, nil
	}
	if err := w.err(); err != nil {
		return id, err
	}
	if w.added == nil {
		w.added = map[ID]bool{}
	}
	w.added[id] = true
	w.stats.NewBlobs++
	select {
	case w.jobs <- sealJob{t: t, id: id, data: append([]byte(nil), data...)}:
	case <-w.ctx.Done():
		return id, w.ctx.Err()
	}
	return id, nil
}

// flushPack saves the current pack; every 8 packs the index is saved too,
// so a killed run's packs serve the next run.
func (w *writer) flushPack() error {
	if w.pack == nil || len(w.pack.entries) == 0 {
		return nil
	}
	b, id := w.pack.finish()
	entries := w.pack.entries
	w.pack = nil
	// The saver writes it while the next pack fills.
	select {
	case w.saves <- packed{b, id, entries}:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

type packed struct {
	b       []byte
	id      ID
	entries []PackEntry
}

// saver stores finished packs in order and, every 8 packs and at the end,
// an index object naming them: an index never names a pack not yet saved.
func (w *writer) saver() {
	defer close(w.saverDone)
	for p := range w.saves {
		if w.err() != nil {
			continue
		}
		w.fail(w.savePack(p.b, p.id, p.entries))
	}
	if w.err() == nil {
		w.fail(w.flushIndex())
	}
}

func (w *writer) savePack(b []byte, id ID, entries []PackEntry) error {
	if err := w.r.be.Save(w.ctx, Handle{KindData, id.String()}, b); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	w.addedBytes.Add(int64(len(b)))
	w.pending = append(w.pending, IndexPack{ID: id, Size: int64(len(b)), Blobs: entries})
	w.packs++
	if w.o.AfterPack != nil {
		w.o.AfterPack(w.packs)
	}
	if len(w.pending) >= 8 {
		return w.flushIndex()
	}
	return nil
}

func (w *writer) flushIndex() error {
	if len(w.pending) == 0 {
		return nil
	}
	f := IndexFile{Version: 1, Packs: w.pending}
	b, _ := json.Marshal(f)
	id := Hash(b)
	if err := w.r.be.Save(w.ctx, Handle{KindIndex, id.String()}, b); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	w.indexes = append(w.indexes, indexWritten{id, &f})
	w.pending = nil
	return nil
}

// DirItems lists a folder for backup under prefix (e.g. "data"), skipping
// what skip returns true for (given the slash path relative to root).
// Symbolic links and special files are skipped.
func DirItems(root, prefix string, skip func(rel string, d fs.DirEntry) bool) ([]Item, error) {
	var items []Item
	err := walkDir(root, "", func(rel string, d fs.DirEntry, fi fs.FileInfo) error {
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		p := prefix + "/" + rel
		full := root + "/" + rel
		switch {
		case d.IsDir():
			items = append(items, Item{Node: Node{Path: p, Type: "dir", Mode: uint32(fi.Mode().Perm()), ModTime: fi.ModTime()}})
		case fi.Mode().IsRegular():
			ino, ctime := fileIdentity(fi)
			items = append(items, Item{Node: Node{Path: p, Type: "file", Mode: uint32(fi.Mode().Perm()), ModTime: fi.ModTime(), Size: fi.Size()},
				Open: func() (io.ReadCloser, error) { return os.Open(full) }, Inode: ino, CTime: ctime})
		}
		return nil
	})
	return items, err
}

func walkDir(root, rel string, fn func(rel string, d fs.DirEntry, fi fs.FileInfo) error) error {
	dir := root
	if rel != "" {
		dir = root + "/" + rel
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && rel == "" {
			return nil
		}
		return err
	}
	for _, e := range es {
		r := e.Name()
		if rel != "" {
			r = rel + "/" + e.Name()
		}
		fi, err := e.Info()
		if err != nil {
			continue // vanished
		}
		if err := fn(r, e, fi); err != nil {
			if errors.Is(err, fs.SkipDir) {
				continue
			}
			return err
		}
		if e.IsDir() {
			if err := walkDir(root, r, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
