// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"encoding/json"
	"time"

	"github.com/preau/preau/internal/core"
)

// IndexFile is one index object: the blobs of some packs. It holds keyed
// IDs, offsets and sizes only, so the server (and a receiver) can
// deduplicate, check and prune without any key.
type IndexFile struct {
	Version int         `json:"version"`
	Packs   []IndexPack `json:"packs"`
}

// IndexPack lists the blobs of one pack.
type IndexPack struct {
	ID    ID          `json:"id"`
	Size  int64       `json:"size"`
	Blobs []PackEntry `json:"blobs"`
}

const maxIndexFile = 256 << 20

// ParseIndex decodes and validates an index object.
func ParseIndex(b []byte) (*IndexFile, error) {
	const op = "backup.ParseIndex"
	var f IndexFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, core.E(op, core.Invalid, "index: %v", err)
	}
	if f.Version != 1 {
		return nil, core.E(op, core.Invalid, "index: unknown version %d", f.Version)
	}
	for _, p := range f.Packs {
		if p.Size <= 0 || p.Size > 1<<32 {
			return nil, core.E(op, core.Invalid, "index: pack %s has size %d", p.ID.Short(), p.Size)
		}
		end := int64(0)
		for _, e := range p.Blobs {
			if e.Type != BlobData && e.Type != BlobTree {
				return nil, core.E(op, core.Invalid, "index: blob %s has unknown type %d", e.ID.Short(), e.Type)
			}
			if int64(e.Offset) < end || e.Length == 0 || int64(e.Offset)+int64(e.Length) > p.Size {
				return nil, core.E(op, core.Invalid, "index: blob %s lies outside pack %s", e.ID.Short(), p.ID.Short())
			}
			end = int64(e.Offset) + int64(e.Length)
		}
	}
	return &f, nil
}

// Location is where a blob is stored.
type Location struct {
	Pack ID
	PackEntry
}

// Index is the in-memory union of a repository's index files.
type Index struct {
	blobs map[ID]Location
	packs map[ID]int64 // pack → size
	files []ID         // index objects read
}

func newIndex() *Index { return &Index{blobs: map[ID]Location{}, packs: map[ID]int64{}} }

func (x *Index) addFile(name ID, f *IndexFile) {
	x.files = append(x.files, name)
	for _, p := range f.Packs {
		x.packs[p.ID] = p.Size
		for _, e := range p.Blobs {
			if _, ok := x.blobs[e.ID]; !ok {
				x.blobs[e.ID] = Location{Pack: p.ID, PackEntry: e}
			}
		}
	}
}

// Has reports whether the blob is stored.
func (x *Index) Has(id ID) bool { _, ok := x.blobs[id]; return ok }

// Lookup returns where a blob is stored.
func (x *Index) Lookup(id ID) (Location, bool) { l, ok := x.blobs[id]; return l, ok }

// Len returns the number of distinct blobs.
func (x *Index) Len() int { return len(x.blobs) }

// Snapshot is one backup: plaintext metadata and the keyed IDs of every
// blob it references (so a receiver can prune without a key), but no name
// nor content — the listing of paths is itself encrypted, in tree blobs.
type Snapshot struct {
	Version       int       `json:"version"`
	Time          time.Time `json:"time"`
	Host          string    `json:"host,omitempty"`
	Kind          string    `json:"kind"`                    // full, incremental, selective
	Establishment string    `json:"establishment,omitempty"` // "" for the whole deployment
	Parent        *ID       `json:"parent,omitempty"`
	Tree          []ID      `json:"tree"`  // the listing's chunks, in order
	Blobs         []ID      `json:"blobs"` // every blob referenced (listing and data), sorted, unique
	Stats         Stats     `json:"stats"` // sizes, for history and charts
	Policy        string    `json:"policy,omitempty"`
}

// Stats are a snapshot's sizes.
type Stats struct {
	Files      int64 `json:"files"`
	Bytes      int64 `json:"bytes"`       // total size of the files
	NewBlobs   int64 `json:"new_blobs"`   // blobs this run added
	AddedBytes int64 `json:"added_bytes"` // pack bytes this run added
}

const maxSnapshotFile = 512 << 20

// ParseSnapshot decodes and validates a snapshot object.
func ParseSnapshot(b []byte) (*Snapshot, error) {
	const op = "backup.ParseSnapshot"
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, core.E(op, core.Invalid, "snapshot: %v", err)
	}
	if s.Version != 1 {
		return nil, core.E(op, core.Invalid, "snapshot: unknown version %d", s.Version)
	}
	if s.Time.IsZero() || len(s.Tree) == 0 {
		return nil, core.E(op, core.Invalid, "snapshot: no time or no listing")
	}
	switch s.Kind {
	case "full", "incremental", "selective":
	default:
		return nil, core.E(op, core.Invalid, "snapshot: unknown kind %q", s.Kind)
	}
	for i := 1; i < len(s.Blobs); i++ {
		if string(s.Blobs[i-1][:]) >= string(s.Blobs[i][:]) {
			return nil, core.E(op, core.Invalid, "snapshot: blob list not sorted and unique")
		}
	}
	if s.Stats.Files < 0 || s.Stats.Bytes < 0 {
		return nil, core.E(op, core.Invalid, "snapshot: negative sizes")
	}
	return &s, nil
}

// Node is one entry of a snapshot's listing (inside encrypted tree blobs).
type Node struct {
	Path    string    `json:"path"` // slash-separated, no leading slash
	Type    string    `json:"type"` // file, dir
	Mode    uint32    `json:"mode"`
	ModTime time.Time `json:"mtime"`
	Size    int64     `json:"size"`
	Chunks  []ID      `json:"chunks,omitempty"`
}
