// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// FilesTarget is the live file storage a restore by name writes into.
type FilesTarget struct {
	Store files.Store
	Blobs blob.Store
	// Limit returns a space's effective quota in bytes (<= 0: none).
	Limit func(ctx context.Context, sp *files.Space) int64
	// KeepVersions: a file restored over a different current content keeps
	// that content as a version (> 0), as an upload does.
	KeepVersions int
	Now          time.Time
	By           string // person ID recorded as the restored nodes' creator ("" keeps the original)
}

// NameRestore says what to restore by name and where.
type NameRestore struct {
	Space string // the space's ID in the catalogue
	Path  string // inside the space ("" or "/": the whole space)
	// Beside puts the restored tree next to the current one under a name
	// saying "restauré le …" instead of at its original place.
	Beside bool
}

// NameResult reports a restore by name.
type NameResult struct {
	Space     *files.Space
	Files     int64 // written
	Unchanged int64 // already there with the same content (in place)
	Folders   int64 // created
	Bytes     int64
	Private   bool   // the selection touches a private folder or file (core.IsPrivate)
	Where     string // the restored top's path in the space
}

// BesideName names the restored copy of name: "rapport (restauré le
// 2026-11-29).odt", "Travaux (restauré le 2026-11-29)".
func BesideName(name string, at time.Time, dir bool) string {
	label := " (restauré le " + at.UTC().Format("2006-01-02") + ")"
	if !dir {
		if i := strings.LastIndexByte(name, '.'); i > 0 {
			return name[:i] + label + name[i:]
		}
	}
	return name + label
}

// SelectionPrivate reports whether a selection touches a private marker
// (PERSONNEL, PRIVÉ…) in any component of any path.
func SelectionPrivate(sel []CatalogEntry, extra ...string) bool {
	for _, e := range sel {
		for _, c := range e.Components() {
			if core.IsPrivate(c, extra...) {
				return true
			}
		}
	}
	return false
}

type namePlan struct {
	e     CatalogEntry
	dest  []string
	node  Node // the blob's listing node (files)
	same  bool // in place, identical content already there
	exist *files.Node
}

// RestoreByName puts the catalogue entries of a space (under a path) back
// into the live file storage under their names, at their place or beside
// it, as they were in snapshot s. The whole plan is checked first — every
// blob is in the snapshot, no file would replace a folder or the reverse,
// the space's quota has room for everything — so a refused restore writes
// nothing. Each file then streams from the repository into a new blob
// (checked against the catalogue's SHA-256) and is published in one
// transaction, keeping a different current content as a version.
func (r *Repo) RestoreByName(ctx context.Context, s *Snapshot, cat []CatalogEntry, t FilesTarget, o NameRestore) (*NameResult, error) {
	const op = "backup.RestoreByName"
	sel := CatalogSelection(cat, o.Space, o.Path)
	if len(sel) == 0 {
		return nil, core.E(op, core.NotFound, "nothing in this snapshot's catalogue at %s of that space", cleanSpacePath(o.Path))
	}
	nodes, err := r.Listing(ctx, s)
	if err != nil {
		return nil, err
	}
	want := splitSpacePath(o.Path)
	res := &NameResult{Private: SelectionPrivate(sel)}
	first := sel[0]
	sp, err := t.Store.EnsureSpace(ctx, &files.Space{ID: first.Space, Establishment: first.Establishment,
		Kind: files.SpaceKind(first.SpaceKind), Owner: first.Owner, Name: first.SpaceName, CreatedAt: t.Now})
	if err != nil {
		return nil, err
	}
	res.Space = sp
	// The destination of each entry.
	dest := func(e CatalogEntry) []string {
		c := e.Components()
		if !o.Beside {
			return c
		}
		if len(want) == 0 {
			return append([]string{"Restauré le " + t.Now.UTC().Format("2006-01-02 15h04")}, c...)
		}
		c[len(want)-1] = BesideName(c[len(want)-1], t.Now, len(c) > len(want) || e.Dir)
		return c
	}
	res.Where = "/" + strings.Join(dest(sel[0])[:max(1, len(want))], "/")
	if len(want) == 0 {
		res.Where = "/"
		if o.Beside {
			res.Where = "/" + dest(sel[0])[0]
		}
	}
	// Plan: resolve what exists, refuse conflicts, sum what is needed.
	var plan []namePlan
	var need int64
	for _, e := range sel {
		p := namePlan{e: e, dest: dest(e)}
		if !e.Dir {
			n, ok := FindNode(nodes, ContentPath(e.Blob))
			if !ok || n.Type != "file" {
				return nil, core.E(op, core.NotFound, "%s: its content (%s) is not in this snapshot (was the blob store selected?)", e.Path, e.Blob)
			}
			p.node = n
		}
		ex, err := lookupPath(ctx, t.Store, sp.ID, p.dest)
		if err != nil {
			return nil, err
		}
		if ex != nil {
			p.exist = ex
			switch {
			case ex.Dir != e.Dir && e.Dir:
				return nil, core.E(op, core.Conflict, "%s is a file now; the snapshot has a folder there: restore it beside instead", "/"+strings.Join(p.dest, "/"))
			case ex.Dir != e.Dir:
				return nil, core.E(op, core.Conflict, "%s is a folder now; the snapshot has a file there: restore it beside instead", "/"+strings.Join(p.dest, "/"))
			case !e.Dir && ex.SHA256 == e.SHA256 && ex.Size == e.Size:
				p.same = true
			}
		}
		if !e.Dir && !p.same {
			need += e.Size
		}
		plan = append(plan, p)
	}
	limit := int64(0)
	if t.Limit != nil {
		limit = t.Limit(ctx, sp)
	}
	if limit > 0 && sp.Used+need > limit {
		return nil, &core.Error{Op: op, Kind: core.Conflict, Err: files.ErrQuota,
			Msg: "not enough room in the space: the restore needs " + files.HumanSize(need) + ", " +
				files.HumanSize(max(0, limit-sp.Used)) + " is free of a quota of " + files.HumanSize(limit) +
				"; raise the quota or restore less"}
	}
	// Write: folders first (the plan is sorted by path, parents first).
	dirs := map[string]string{"": ""} // joined dest path → node ID
	ensureDir := func(comps []string) (string, error) {
		parent := ""
		for i := range comps {
			key := strings.Join(comps[:i+1], "/")
			if id, ok := dirs[key]; ok {
				parent = id
				continue
			}
			n, err := t.Store.FindChild(ctx, sp.ID, parent, comps[i])
			switch {
			case err == nil && n.Dir:
				parent = n.ID
			case err == nil:
				return "", core.E(op, core.Conflict, "/%s is a file now, not a folder", key)
			case core.IsKind(err, core.NotFound):
				nd := &files.Node{ID: core.NewID(), Space: sp.ID, Parent: parent, Name: comps[i], Dir: true,
					ModTime: t.Now, ETag: `"d` + core.NewID() + `"`, CreatedBy: t.By}
				if err := t.Store.CreateDir(ctx, nd); err != nil {
					return "", err
				}
				res.Folders++
				parent = nd.ID
			default:
				return "", err
			}
			dirs[key] = parent
		}
		return parent, nil
	}
	for _, p := range plan {
		if p.e.Dir {
			if _, err := ensureDir(p.dest); err != nil {
				return res, err
			}
			continue
		}
		if p.same {
			res.Unchanged++
			continue
		}
		parent, err := ensureDir(p.dest[:len(p.dest)-1])
		if err != nil {
			return res, err
		}
		if err := r.restoreOneFile(ctx, t, sp, parent, p, limit); err != nil {
			return res, err
		}
		res.Files++
		res.Bytes += p.e.Size
	}
	return res, nil
}

func cleanSpacePath(p string) string { return "/" + strings.Join(splitSpacePath(p), "/") }

// lookupPath finds the live node at comps in a space, or nil.
func lookupPath(ctx context.Context, st files.Store, space string, comps []string) (*files.Node, error) {
	parent := ""
	var n *files.Node
	for _, c := range comps {
		var err error
		n, err = st.FindChild(ctx, space, parent, c)
		if core.IsKind(err, core.NotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		parent = n.ID
	}
	return n, nil
}

func (r *Repo) restoreOneFile(ctx context.Context, t FilesTarget, sp *files.Space, parent string, p namePlan, limit int64) error {
	const op = "backup.RestoreByName"
	id := core.NewID()
	key := "files/" + sp.ID + "/" + id[len(id)-2:] + "/" + id
	w, err := t.Blobs.Create(ctx, key)
	if err != nil {
		return err
	}
	defer w.Close()
	h := sha256.New()
	if err := r.WriteNode(ctx, p.node, io.MultiWriter(w, h)); err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if p.e.SHA256 != "" && sum != p.e.SHA256 {
		return core.E(op, core.Invalid, "%s: the restored content does not match the catalogue's checksum", p.e.Path)
	}
	if err := w.Commit(); err != nil {
		return err
	}
	by := t.By
	if by == "" {
		by = p.e.CreatedBy
	}
	name := p.dest[len(p.dest)-1]
	node, freed, err := t.Store.CommitFile(ctx, &files.Commit{Space: sp.ID, Parent: parent, Name: name, Limit: limit,
		KeepVersions: t.KeepVersions, Node: files.Node{ID: core.NewID(), Size: p.e.Size, SHA256: sum, BlobKey: key,
			ModTime: p.e.ModTime, ETag: `"` + sum[:16] + "-" + strconv.FormatInt(p.e.Size, 36) + "-" +
				strconv.FormatInt(t.Now.UnixNano(), 36) + `"`, CreatedBy: by}})
	if err != nil {
		_ = t.Blobs.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	_ = node
	for _, k := range freed {
		_, _ = t.Store.DropUnreferencedBlob(ctx, k, func(ctx context.Context) error { return t.Blobs.Delete(ctx, k) })
	}
	sp.Used += p.e.Size
	return nil
}
