// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// CatalogPath is where a snapshot keeps its catalogue of file-storage
// entries (UTI-ESF): the names and folders of every space's files, which
// the blob store alone does not hold. It is encrypted like everything
// else: reading it needs the recovery key.
const CatalogPath = "catalog/files.jsonl"

// validContentKey accepts a blob key under files/ or an inline content key.
func validContentKey(k string) bool {
	if files.IsInline(k) {
		return core.ValidID(strings.TrimPrefix(k, files.InlinePrefix))
	}
	return strings.HasPrefix(k, "files/") && validPath(k)
}

// ContentPath is where a snapshot keeps a file content named by its key:
// blobs/<key> for a blob-store object, inline/<id> for a small content kept
// in the database (files.IsInline), which the snapshot's database holds too
// and which a whole restore therefore skips.
func ContentPath(key string) string {
	if files.IsInline(key) {
		return "inline/" + strings.TrimPrefix(key, files.InlinePrefix)
	}
	return "blobs/" + key
}

// CatalogEntry is one live folder or file of a file space at backup time.
type CatalogEntry struct {
	Space         string    `json:"space"`      // the space's ID
	SpaceKind     string    `json:"space_kind"` // personal, group, establishment
	SpaceName     string    `json:"space_name"` // a personal space's name is its owner's login
	Owner         string    `json:"owner"`      // person, group or establishment ID
	Establishment string    `json:"establishment"`
	Path          string    `json:"path"` // inside the space: /a/b.txt
	Dir           bool      `json:"dir,omitempty"`
	Blob          string    `json:"blob,omitempty"` // the blob store key (files/…); "blobs/"+Blob in the listing
	Size          int64     `json:"size"`
	SHA256        string    `json:"sha256,omitempty"`
	ModTime       time.Time `json:"mtime"`
	CreatedBy     string    `json:"created_by,omitempty"`
}

// Components returns the entry's path components.
func (e CatalogEntry) Components() []string { return splitSpacePath(e.Path) }

func splitSpacePath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// MarshalCatalog writes entries as JSON lines, sorted by space then path.
func MarshalCatalog(entries []CatalogEntry) []byte {
	sortCatalog(entries)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range entries {
		_ = enc.Encode(e)
	}
	return buf.Bytes()
}

func sortCatalog(es []CatalogEntry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Space != es[j].Space {
			return es[i].Space < es[j].Space
		}
		return es[i].Path < es[j].Path
	})
}

// ParseCatalog decodes a catalogue and checks every entry: a clean path
// inside its space, a blob key under files/ for a file, sizes not negative.
func ParseCatalog(b []byte) ([]CatalogEntry, error) {
	const op = "backup.ParseCatalog"
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []CatalogEntry
	for {
		var e CatalogEntry
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, core.E(op, core.Invalid, "catalogue: %v", err)
		}
		comps := e.Components()
		if e.Space == "" || len(comps) == 0 || "/"+strings.Join(comps, "/") != e.Path || !validPath(strings.Join(comps, "/")) {
			return nil, core.E(op, core.Invalid, "catalogue: bad entry %q in space %q", e.Path, e.Space)
		}
		if e.Size < 0 || (!e.Dir && !validContentKey(e.Blob)) {
			return nil, core.E(op, core.Invalid, "catalogue: bad file entry %q", e.Path)
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadFile returns the content of one file of a snapshot's listing (the
// catalogue, a small configuration file). It needs Unlock first.
func (r *Repo) ReadFile(ctx context.Context, s *Snapshot, path string) ([]byte, error) {
	nodes, err := r.Listing(ctx, s)
	if err != nil {
		return nil, err
	}
	n, ok := FindNode(nodes, path)
	if !ok || n.Type != "file" {
		return nil, core.E("backup.ReadFile", core.NotFound, "the snapshot holds no file %s", path)
	}
	var buf bytes.Buffer
	if err := r.WriteNode(ctx, n, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FindNode looks a path up in a sorted listing.
func FindNode(nodes []Node, path string) (Node, bool) {
	i := sort.Search(len(nodes), func(i int) bool { return nodes[i].Path >= path })
	if i < len(nodes) && nodes[i].Path == path {
		return nodes[i], true
	}
	return Node{}, false
}

// WriteNode writes a file node's content to w, every chunk checked.
func (r *Repo) WriteNode(ctx context.Context, n Node, w io.Writer) error {
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
	}
	if written != n.Size {
		return core.E("backup.WriteNode", core.Invalid, "%s: read %d bytes, the listing says %d", n.Path, written, n.Size)
	}
	return nil
}

// Catalog reads a snapshot's catalogue of file-storage entries. A snapshot
// taken before catalogues existed has none: core.NotFound.
func (r *Repo) Catalog(ctx context.Context, s *Snapshot) ([]CatalogEntry, error) {
	b, err := r.ReadFile(ctx, s, CatalogPath)
	if err != nil {
		if core.IsKind(err, core.NotFound) {
			return nil, core.E("backup.Catalog", core.NotFound, "this snapshot has no catalogue of file spaces (taken by an older version): restore its blobs and database beside with --path")
		}
		return nil, err
	}
	return ParseCatalog(b)
}

// CatalogSelection picks the entries of one space under a path ("" or "/":
// the whole space). Folders on the way to the path are not included.
func CatalogSelection(all []CatalogEntry, space, path string) []CatalogEntry {
	want := splitSpacePath(path)
	var out []CatalogEntry
	for _, e := range all {
		if e.Space != space {
			continue
		}
		c := e.Components()
		if len(c) < len(want) {
			continue
		}
		match := true
		for i := range want {
			if c[i] != want[i] {
				match = false
				break
			}
		}
		if match {
			out = append(out, e)
		}
	}
	sortCatalog(out)
	return out
}

// BrowseEntry is one line of a browse view.
type BrowseEntry struct {
	Name    string
	Path    string
	Dir     bool
	Size    int64 // a folder: the total of the files under it
	Files   int64 // a folder: the files under it
	ModTime time.Time
}

// Browse lists the children of dir in a listing ("" for the top). The
// virtual folder "files" shows the catalogue's spaces by name: files/<space
// name>/… are the names people see, not blob keys.
func Browse(nodes []Node, cat []CatalogEntry, dir string) ([]BrowseEntry, error) {
	dir = strings.Trim(dir, "/")
	type agg struct{ e BrowseEntry }
	kids := map[string]*agg{}
	add := func(name, full string, isDir bool, size int64, mt time.Time, file bool) {
		a := kids[name]
		if a == nil {
			a = &agg{BrowseEntry{Name: name, Path: full, Dir: isDir, ModTime: mt}}
			kids[name] = a
		}
		if isDir && !a.e.Dir {
			a.e.Dir = true
		}
		a.e.Size += size
		if file {
			a.e.Files++
		}
		if mt.After(a.e.ModTime) {
			a.e.ModTime = mt
		}
	}
	found := dir == ""
	if dir == "files" || strings.HasPrefix(dir, "files/") || dir == "" {
		names := spaceNames(cat)
		sub := splitSpacePath(strings.TrimPrefix(strings.TrimPrefix(dir, "files"), "/"))
		if dir == "" && len(cat) > 0 {
			var size, n int64
			for _, e := range cat {
				if !e.Dir {
					size += e.Size
					n++
				}
			}
			kids["files"] = &agg{BrowseEntry{Name: "files", Path: "files", Dir: true, Size: size, Files: n}}
		}
		if dir != "" {
			for _, e := range cat {
				full := append([]string{names[e.Space]}, e.Components()...)
				if !hasPrefix(full, sub) || len(full) <= len(sub) {
					continue
				}
				found = true
				name := full[len(sub)]
				p := "files/" + strings.Join(full[:len(sub)+1], "/")
				last := len(full) == len(sub)+1
				isDir := !last || e.Dir
				size := int64(0)
				if !e.Dir {
					size = e.Size
				}
				add(name, p, isDir, size, e.ModTime, !e.Dir)
			}
			if len(sub) > 0 && !found {
				return nil, core.E("backup.Browse", core.NotFound, "no %s in this snapshot", dir)
			}
		}
	}
	if dir != "files" && !strings.HasPrefix(dir, "files/") {
		for _, n := range nodes {
			if dir != "" && !strings.HasPrefix(n.Path, dir+"/") {
				if n.Path == dir {
					found = true
				}
				continue
			}
			found = true
			rest := strings.TrimPrefix(n.Path, dir+"/")
			if dir == "" {
				rest = n.Path
			}
			name, more, _ := strings.Cut(rest, "/")
			p := name
			if dir != "" {
				p = dir + "/" + name
			}
			add(name, p, more != "" || n.Type == "dir", n.Size*btoi(n.Type == "file"), n.ModTime, n.Type == "file")
		}
	}
	if !found {
		return nil, core.E("backup.Browse", core.NotFound, "no %s in this snapshot", dir)
	}
	out := make([]BrowseEntry, 0, len(kids))
	for _, a := range kids {
		out = append(out, a.e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// spaceNames names each space for browsing: its name, with its kind when
// two spaces share a name.
func spaceNames(cat []CatalogEntry) map[string]string {
	names := map[string]string{}
	count := map[string]int{}
	for _, e := range cat {
		if _, ok := names[e.Space]; !ok {
			names[e.Space] = e.SpaceName
			count[e.SpaceName]++
		}
	}
	for id, n := range names {
		if count[n] > 1 || n == "" {
			names[id] = n + " (" + id + ")"
		}
	}
	return names
}

// SpaceByName finds a space of the catalogue by ID, by its browse name or,
// for a personal space, by its owner's login.
func SpaceByName(cat []CatalogEntry, name string) (CatalogEntry, bool) {
	names := spaceNames(cat)
	for _, e := range cat {
		if e.Space == name || names[e.Space] == name {
			return e, true
		}
	}
	return CatalogEntry{}, false
}

func hasPrefix(a, p []string) bool {
	if len(a) < len(p) {
		return false
	}
	for i := range p {
		if a[i] != p[i] {
			return false
		}
	}
	return true
}

// Change is one difference between two snapshots.
type Change struct {
	Path    string
	What    string // added, removed, changed
	OldSize int64
	NewSize int64
}

// DiffSummary totals a difference.
type DiffSummary struct {
	Added, Removed, Changed          int
	AddedBytes, RemovedBytes, Growth int64
}

// Diff compares two listings (older first): files and folders added,
// removed, and files whose content changed (other chunks or size). The
// catalogue's entries appear under files/<space name>/…, so a person's
// renamed or deleted file is named as they see it.
func Diff(oldNodes, newNodes []Node, oldCat, newCat []CatalogEntry) ([]Change, DiffSummary) {
	type rec struct {
		size int64
		sig  string
		dir  bool
	}
	flat := func(nodes []Node, cat []CatalogEntry) map[string]rec {
		m := make(map[string]rec, len(nodes)+len(cat))
		for _, n := range nodes {
			var b strings.Builder
			for _, c := range n.Chunks {
				b.Write(c[:])
			}
			m[n.Path] = rec{n.Size, b.String(), n.Type == "dir"}
		}
		names := spaceNames(cat)
		for _, e := range cat {
			m["files/"+names[e.Space]+e.Path] = rec{e.Size, e.SHA256, e.Dir}
		}
		return m
	}
	a, b := flat(oldNodes, oldCat), flat(newNodes, newCat)
	var out []Change
	var s DiffSummary
	for p, o := range a {
		n, ok := b[p]
		switch {
		case !ok:
			out = append(out, Change{Path: p, What: "removed", OldSize: o.size})
			s.Removed++
			s.RemovedBytes += o.size
		case o.dir != n.dir || o.size != n.size || o.sig != n.sig:
			out = append(out, Change{Path: p, What: "changed", OldSize: o.size, NewSize: n.size})
			s.Changed++
		}
	}
	for p, n := range b {
		if _, ok := a[p]; !ok {
			out = append(out, Change{Path: p, What: "added", NewSize: n.size})
			s.Added++
			s.AddedBytes += n.size
		}
	}
	for _, c := range out {
		s.Growth += c.NewSize - c.OldSize
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, s
}
