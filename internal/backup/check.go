// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"
)

// CheckOptions tune a verification.
type CheckOptions struct {
	// ReadData reads every pack and checks its SHA-256 against its name and
	// its trailer against the index (ciphertext integrity, no key needed).
	ReadData bool
	Progress func(Progress)
}

// CheckReport is what a verification found.
type CheckReport struct {
	Snapshots int
	Packs     int
	Blobs     int
	Bytes     int64
	Problems  []string
}

// OK reports whether nothing was wrong.
func (c *CheckReport) OK() bool { return len(c.Problems) == 0 }

func (c *CheckReport) add(format string, args ...any) {
	if len(c.Problems) < 1000 {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	}
}

// Check verifies the repository's structure without any key: every index
// and snapshot parses and matches its name, every blob a snapshot needs is
// indexed in a pack that exists with the indexed size, and with ReadData
// every pack's content matches its name and its trailer matches the index.
func (r *Repo) Check(ctx context.Context, o CheckOptions) (*CheckReport, error) {
	rep := &CheckReport{}
	if err := r.LoadIndex(ctx); err != nil {
		rep.add("index: %v", err)
		return rep, nil
	}
	present := map[ID]int64{}
	if err := r.be.List(ctx, KindData, func(name string, size int64) error {
		id, err := ParseID(name)
		if err == nil {
			present[id] = size
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for p, size := range r.idx.packs {
		got, ok := present[p]
		switch {
		case !ok:
			rep.add("pack %s is indexed but missing", p.Short())
		case got != size:
			rep.add("pack %s has %d bytes, the index says %d", p.Short(), got, size)
		}
	}
	snaps, bad, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		rep.add("snapshot %s", b)
	}
	rep.Snapshots = len(snaps)
	for _, s := range snaps {
		missing := 0
		for _, id := range append(append([]ID{}, s.Tree...), s.Blobs...) {
			loc, ok := r.idx.Lookup(id)
			if !ok {
				missing++
				continue
			}
			if sz, ok := present[loc.Pack]; !ok || sz != r.idx.packs[loc.Pack] {
				missing++
			}
		}
		if missing > 0 {
			rep.add("snapshot %s (%s) needs %d blobs that are not stored whole", s.ID.Short(), s.Time.Format(time.RFC3339), missing)
		}
	}
	rep.Packs, rep.Blobs = len(r.idx.packs), r.idx.Len()
	if !o.ReadData {
		return rep, nil
	}
	prog := Progress{Phase: "check", TotalFiles: int64(len(r.idx.packs))}
	for _, s := range r.idx.packs {
		prog.TotalBytes += s
	}
	byPack := map[ID][]PackEntry{}
	for _, loc := range r.idx.blobs {
		byPack[loc.Pack] = append(byPack[loc.Pack], loc.PackEntry)
	}
	for p, size := range r.idx.packs {
		if _, ok := present[p]; !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc, err := r.be.Load(ctx, Handle{KindData, p.String()}, 0, 0)
		if err != nil {
			rep.add("pack %s: %v", p.Short(), err)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, size+1))
		rc.Close()
		if err != nil {
			rep.add("pack %s: %v", p.Short(), err)
			continue
		}
		rep.Bytes += int64(len(b))
		if sha256.Sum256(b) != p {
			rep.add("pack %s: content does not match its name (altered or damaged)", p.Short())
			continue
		}
		_, start, err := ParsePackHeader(b)
		if err == nil {
			var es []PackEntry
			if es, err = ParsePackTrailer(b, int64(len(b)), start); err == nil {
				in := map[ID]PackEntry{}
				for _, e := range es {
					in[e.ID] = e
				}
				for _, want := range byPack[p] {
					if got, ok := in[want.ID]; !ok || got != want {
						err = fmt.Errorf("blob %s: the pack trailer and the index disagree", want.ID.Short())
						break
					}
				}
			}
		}
		if err != nil {
			rep.add("pack %s: %v", p.Short(), err)
		}
		prog.Files++
		prog.Bytes += size
		if o.Progress != nil {
			o.Progress(prog)
		}
	}
	return rep, nil
}

// Drill restores every snapshot's listing and, for the given snapshot,
// every file into sink, checking every chunk (needs Unlock). It returns the
// check report of the structure plus any decryption problem.
func (r *Repo) Drill(ctx context.Context, s SnapshotRef, sink Sink, progress func(Progress)) (*CheckReport, Stats, error) {
	rep, err := r.Check(ctx, CheckOptions{ReadData: true, Progress: progress})
	if err != nil {
		return nil, Stats{}, err
	}
	snaps, _, _ := r.Snapshots(ctx)
	for _, o := range snaps {
		if _, err := r.Listing(ctx, o.Snapshot); err != nil {
			rep.add("snapshot %s: listing: %v", o.ID.Short(), err)
		}
	}
	st, err := r.Restore(ctx, s.Snapshot, sink, RestoreOptions{Progress: progress})
	if err != nil {
		rep.add("restore drill of %s: %v", s.ID.Short(), err)
	}
	return rep, st, nil
}

// discard is a Sink that checks content and writes nothing.
type discard struct{}

func (discard) File(ctx context.Context, n Node, write func(io.Writer) error) error {
	return write(io.Discard)
}
func (discard) Dir(context.Context, Node) error { return nil }

// Discard is a Sink that reads (and so verifies) everything and keeps nothing.
var Discard Sink = discard{}

var _ = bytes.Compare
