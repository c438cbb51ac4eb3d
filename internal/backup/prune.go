// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/preau/preau/internal/core"
)

// Retention says which snapshots to keep (MCO-SVG-3). Zero everywhere keeps
// everything. The rules add up, as restic's forget does: a snapshot is kept
// when any rule keeps it.
type Retention struct {
	Last    int `json:"last"`
	Daily   int `json:"daily"`
	Weekly  int `json:"weekly"`
	Monthly int `json:"monthly"`
	Yearly  int `json:"yearly"`
}

// KeepsAll reports whether the policy keeps every snapshot.
func (p Retention) KeepsAll() bool { return p == Retention{} }

// Apply splits snapshots (any order) into kept and forgotten ones.
func (p Retention) Apply(snaps []SnapshotRef) (keep, forget []SnapshotRef) {
	if p.KeepsAll() {
		return snaps, nil
	}
	s := append([]SnapshotRef{}, snaps...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Time.After(s[j].Time) })
	type bucket struct {
		n    int
		key  func(time.Time) string
		seen map[string]bool
	}
	bs := []*bucket{
		{p.Daily, func(t time.Time) string { return t.Format("2006-01-02") }, map[string]bool{}},
		{p.Weekly, func(t time.Time) string {
			y, w := t.ISOWeek()
			return fmt.Sprintf("%d-W%02d", y, w)
		}, map[string]bool{}},
		{p.Monthly, func(t time.Time) string { return t.Format("2006-01") }, map[string]bool{}},
		{p.Yearly, func(t time.Time) string { return t.Format("2006") }, map[string]bool{}},
	}
	for i, x := range s {
		kept := i < p.Last
		for _, b := range bs {
			k := b.key(x.Time.UTC())
			if len(b.seen) < b.n && !b.seen[k] {
				b.seen[k] = true
				kept = true
			}
		}
		if kept {
			keep = append(keep, x)
		} else {
			forget = append(forget, x)
		}
	}
	return keep, forget
}

// PruneReport says what a prune removed.
type PruneReport struct {
	Kept, Forgotten int
	Incomplete      int // snapshots with missing blobs: not counted toward retention, not removed
	PacksRemoved    int
	BytesRemoved    int64
	PacksKept       int
	BytesKept       int64
	ForgottenIDs    []ID
}

// Prune forgets the snapshots the policy does not keep, then removes the
// packs no remaining snapshot uses (and packs a killed run left outside
// any index). It needs no key: it works on keyed IDs only. It refuses to
// run while a backup holds a fresh lock, and when a snapshot is unreadable.
func (r *Repo) Prune(ctx context.Context, pol Retention, now time.Time, dryRun bool) (*PruneReport, error) {
	const op = "backup.Prune"
	fresh, err := r.freshLocks(ctx, now, !dryRun)
	if err != nil {
		return nil, err
	}
	if len(fresh) > 0 {
		return nil, core.E(op, core.Conflict, "a %s started at %s on %s is running (lock); prune later", fresh[0].Op,
			fresh[0].Time.Format(time.RFC3339), fresh[0].Host)
	}
	if !dryRun {
		unlock, err := r.lock(ctx, "prune", now)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	snaps, bad, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, core.E(op, core.Conflict, "%d snapshot objects are unreadable (%s); run check and repair first", len(bad), bad[0])
	}
	// A snapshot whose blobs are not all indexed (a killed sender's, or one
	// a compromised sender planted) does not count toward retention: it
	// could otherwise push real snapshots out. It is left for check to
	// report.
	var complete []SnapshotRef
	incomplete := 0
	for _, s := range snaps {
		ok := true
		for _, id := range s.Blobs {
			if !r.idx.Has(id) {
				ok = false
				break
			}
		}
		if ok {
			complete = append(complete, s)
		} else {
			incomplete++
		}
	}
	keep, forget := pol.Apply(complete)
	rep := &PruneReport{Kept: len(keep), Forgotten: len(forget), Incomplete: incomplete}
	for _, f := range forget {
		rep.ForgottenIDs = append(rep.ForgottenIDs, f.ID)
	}
	used := map[ID]bool{}
	for _, s := range keep {
		for _, id := range s.Tree {
			used[id] = true
		}
		for _, id := range s.Blobs {
			used[id] = true
		}
	}
	packUsed := map[ID]bool{}
	for id, loc := range r.idx.blobs {
		if used[id] {
			packUsed[loc.Pack] = true
		}
	}
	present := map[ID]int64{}
	if err := r.be.List(ctx, KindData, func(name string, size int64) error {
		if id, err := ParseID(name); err == nil {
			present[id] = size
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var drop []ID
	for p, size := range present {
		if packUsed[p] {
			rep.PacksKept++
			rep.BytesKept += size
			continue
		}
		drop = append(drop, p)
		rep.PacksRemoved++
		rep.BytesRemoved += size
	}
	if dryRun {
		return rep, nil
	}
	// Snapshots first: a crash after this leaves unreferenced packs, which
	// the next prune removes; never a snapshot pointing at removed packs.
	for _, f := range forget {
		if err := r.be.Remove(ctx, Handle{KindSnapshot, f.ID.String()}); err != nil {
			return nil, err
		}
	}
	if len(drop) > 0 {
		// A new index of the kept packs, then the old index objects go.
		var f IndexFile
		f.Version = 1
		blobsOf := map[ID][]PackEntry{}
		for _, loc := range r.idx.blobs {
			if packUsed[loc.Pack] {
				blobsOf[loc.Pack] = append(blobsOf[loc.Pack], loc.PackEntry)
			}
		}
		for p, es := range blobsOf {
			sort.Slice(es, func(i, j int) bool { return es[i].Offset < es[j].Offset })
			f.Packs = append(f.Packs, IndexPack{ID: p, Size: r.idx.packs[p], Blobs: es})
		}
		sort.Slice(f.Packs, func(i, j int) bool { return f.Packs[i].ID.String() < f.Packs[j].ID.String() })
		old := r.idx.files
		var newID ID
		if len(f.Packs) > 0 {
			b, _ := json.Marshal(f)
			newID = Hash(b)
			if err := r.be.Save(ctx, Handle{KindIndex, newID.String()}, b); err != nil && !errors.Is(err, ErrExists) {
				return nil, err
			}
		}
		for _, o := range old {
			if o != newID {
				if err := r.be.Remove(ctx, Handle{KindIndex, o.String()}); err != nil {
					return nil, err
				}
			}
		}
		for _, p := range drop {
			if err := r.be.Remove(ctx, Handle{KindData, p.String()}); err != nil {
				return nil, err
			}
		}
	}
	if l, ok := r.be.(Local); ok {
		l.CleanTemp()
	}
	return rep, r.LoadIndex(ctx)
}
