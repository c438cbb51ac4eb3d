// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backupweb

import (
	"context"
	"net/http"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// BrowsePath is the browse and compare page.
const BrowsePath = "/admin/backup/browse"

// Browser reads snapshots for the browse and compare views. Names and
// folders are encrypted: Browse and Diff need the recovery key, given with
// the request and never kept.
type Browser interface {
	// Snapshots lists the policy repository's snapshots (no key needed).
	Snapshots(ctx context.Context) ([]backup.SnapshotRef, error)
	Browse(ctx context.Context, key, snapshot, path string) (backup.SnapshotRef, []backup.BrowseEntry, error)
	Diff(ctx context.Context, key, a, b string) (DiffView, error)
}

// DiffView is a comparison of two snapshots.
type DiffView struct {
	From, To backup.SnapshotRef
	Changes  []backup.Change
	Summary  backup.DiffSummary
}

type browseView struct {
	Snapshots []backup.SnapshotRef
	Form      *web.Form
	Snapshot  *backup.SnapshotRef
	Path      string
	Parent    string
	Entries   []backup.BrowseEntry
	Diff      *DiffView
	Error     string
	NoRepo    bool
}

func (h *Handler) browse(w http.ResponseWriter, r *http.Request) error {
	v := browseView{Form: web.NewForm(r.Context(), nil)}
	if r.Method == http.MethodPost {
		f, err := web.ParseForm(r)
		if err != nil {
			return err
		}
		v.Form = f
	}
	snaps, err := h.d.Browser.Snapshots(r.Context())
	if core.IsKind(err, core.NotFound) || core.IsKind(err, core.Conflict) {
		v.NoRepo = true
	} else if err != nil {
		return err
	}
	// Newest first in the choices.
	for i := len(snaps) - 1; i >= 0; i-- {
		v.Snapshots = append(v.Snapshots, snaps[i])
	}
	if r.Method != http.MethodPost {
		h.d.Renderer.Page(w, r, http.StatusOK, "backup/browse", v)
		return nil
	}
	f := v.Form
	key := f.Required("key", "backup.browse.key")
	snap := f.Required("snapshot", "backup.browse.snapshot")
	v.Path = f.MaxLen("path", 4096)
	against := f.Value("against")
	// The key is never sent back to the page.
	f.Values.Del("key")
	if f.Valid() {
		if against != "" && against != snap {
			d, err := h.d.Browser.Diff(r.Context(), key, snap, against)
			if err != nil {
				v.Error = core.MessageOf(err)
			} else {
				v.Diff = &d
			}
		} else {
			s, es, err := h.d.Browser.Browse(r.Context(), key, snap, v.Path)
			if err != nil {
				v.Error = core.MessageOf(err)
			} else {
				v.Snapshot, v.Entries = &s, es
				v.Parent = parentOf(v.Path)
			}
		}
	}
	status := http.StatusOK
	if !f.Valid() || v.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	h.d.Renderer.Page(w, r, status, "backup/browse", v)
	return nil
}

func parentOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}
