// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/preau/preau/internal/backup"
)

// FileCatalog lists every live folder and file of every file space with
// its path inside the space, for a backup's catalogue: what a restore by
// name needs (space, path, blob key, size, time, owner). Trashed nodes are
// left out. Both queries run in one read-only transaction, so the
// catalogue is consistent.
func (db *DB) FileCatalog(ctx context.Context) ([]backup.CatalogEntry, error) {
	const op = "store.FileCatalog"
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+spaceColumns+` FROM file_spaces`)
	if err != nil {
		return nil, db.classify(op, err)
	}
	type spaceInfo struct{ kind, name, owner, est string }
	spaces := map[string]spaceInfo{}
	for rows.Next() {
		s, err := scanSpace(rows)
		if err != nil {
			rows.Close()
			return nil, db.classify(op, err)
		}
		spaces[s.ID] = spaceInfo{string(s.Kind), s.Name, s.Owner, s.Establishment}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.classify(op, err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+nodeColumns+` FROM file_nodes WHERE trashed_at IS NULL`)
	if err != nil {
		return nil, db.classify(op, err)
	}
	type nodeInfo struct {
		parent, name string
		e            backup.CatalogEntry
	}
	nodes := map[string]*nodeInfo{}
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			rows.Close()
			return nil, db.classify(op, err)
		}
		sp := spaces[n.Space]
		nodes[n.ID] = &nodeInfo{n.Parent, n.Name, backup.CatalogEntry{Space: n.Space, SpaceKind: sp.kind, SpaceName: sp.name,
			Owner: sp.owner, Establishment: sp.est, Dir: n.Dir, Blob: n.BlobKey, Size: n.Size, SHA256: n.SHA256,
			ModTime: n.ModTime.UTC(), CreatedBy: n.CreatedBy}}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.classify(op, err)
	}
	out := make([]backup.CatalogEntry, 0, len(nodes))
	for _, n := range nodes {
		// The path from the root; a node whose chain is broken (a parent
		// trashed: its subtree went with it) is left out.
		var comps []string
		ok := true
		for cur, depth := n, 0; ; depth++ {
			comps = append(comps, cur.name)
			if cur.parent == "" {
				break
			}
			p := nodes[cur.parent]
			if p == nil || depth > 1000 {
				ok = false
				break
			}
			cur = p
		}
		if !ok || (!n.e.Dir && n.e.Blob == "") {
			continue
		}
		for i, j := 0, len(comps)-1; i < j; i, j = i+1, j-1 {
			comps[i], comps[j] = comps[j], comps[i]
		}
		n.e.Path = "/" + strings.Join(comps, "/")
		out = append(out, n.e)
	}
	return out, nil
}
