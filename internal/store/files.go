// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ files.Store = (*DB)(nil)

const spaceColumns = `id, establishment_id, kind, owner_id, name, COALESCE(quota_bytes, 0), used_bytes, warned_level,
	created_at`

func scanSpace(sc interface{ Scan(...any) error }) (*files.Space, error) {
	var s files.Space
	var created int64
	if err := sc.Scan(&s.ID, &s.Establishment, &s.Kind, &s.Owner, &s.Name, &s.Quota, &s.Used, &s.Warned,
		&created); err != nil {
		return nil, err
	}
	s.CreatedAt = fromMicros(created)
	return &s, nil
}

const nodeColumns = `id, space_id, parent_id, name, dir, size, sha256, blob_key, mtime, etag, created_by, trashed_at,
	trashed_by`

func scanNode(sc interface{ Scan(...any) error }) (*files.Node, error) {
	var n files.Node
	var dir, mtime int64
	var trashed sql.NullInt64
	if err := sc.Scan(&n.ID, &n.Space, &n.Parent, &n.Name, &dir, &n.Size, &n.SHA256, &n.BlobKey, &mtime, &n.ETag,
		&n.CreatedBy, &trashed, &n.TrashedBy); err != nil {
		return nil, err
	}
	n.Dir, n.ModTime, n.TrashedAt = dir != 0, fromMicros(mtime), fromNullMicros(trashed)
	return &n, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFoundIf(op string, err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.E(op, core.NotFound, "no such %s", what)
	}
	return err
}

// EnsureSpace returns the space of (s.Kind, s.Owner), creating it.
func (db *DB) EnsureSpace(ctx context.Context, s *files.Space) (*files.Space, error) {
	const op = "store.EnsureSpace"
	got, err := db.FindSpaceByOwner(ctx, s.Kind, s.Owner)
	if !core.IsKind(err, core.NotFound) {
		return got, err
	}
	err = db.write(ctx, op, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO file_spaces (id, establishment_id, kind, owner_id, name, used_bytes, created_at)
			VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (kind, owner_id) DO NOTHING`,
			s.ID, s.Establishment, string(s.Kind), s.Owner, s.Name, micros(s.CreatedAt))
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.FindSpaceByOwner(ctx, s.Kind, s.Owner)
}

// FindSpace returns a space by ID.
func (db *DB) FindSpace(ctx context.Context, id string) (*files.Space, error) {
	s, err := scanSpace(db.r.QueryRowContext(ctx, `SELECT `+spaceColumns+` FROM file_spaces WHERE id = $1`, id))
	return s, db.classify("store.FindSpace", notFoundIf("store.FindSpace", err, "space"))
}

// FindSpaceByOwner returns the space of an owner.
func (db *DB) FindSpaceByOwner(ctx context.Context, kind files.SpaceKind, owner string) (*files.Space, error) {
	s, err := scanSpace(db.r.QueryRowContext(ctx, `SELECT `+spaceColumns+` FROM file_spaces
		WHERE kind = $1 AND owner_id = $2`, string(kind), owner))
	return s, db.classify("store.FindSpaceByOwner", notFoundIf("store.FindSpaceByOwner", err, "space"))
}

// FindSpaces lists spaces with file and folder counts, never names inside.
func (db *DB) FindSpaces(ctx context.Context, est string) ([]files.SpaceStats, error) {
	const op = "store.FindSpaces"
	rows, err := db.r.QueryContext(ctx, `SELECT `+spaceColumns+`,
		(SELECT COUNT(*) FROM file_nodes n WHERE n.space_id = file_spaces.id AND n.dir = 0),
		(SELECT COUNT(*) FROM file_nodes n WHERE n.space_id = file_spaces.id AND n.dir = 1)
		FROM file_spaces WHERE ($1 = '' OR establishment_id = $1) ORDER BY kind, name`, est)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []files.SpaceStats
	for rows.Next() {
		var st files.SpaceStats
		var created int64
		if err := rows.Scan(&st.ID, &st.Establishment, &st.Kind, &st.Owner, &st.Name, &st.Quota, &st.Used,
			&st.Warned, &created, &st.Files, &st.Folders); err != nil {
			return nil, db.classify(op, err)
		}
		st.CreatedAt = fromMicros(created)
		out = append(out, st)
	}
	return out, db.classify(op, rows.Err())
}

// SetSpaceQuota sets (0: removes) a space's quota override.
func (db *DB) SetSpaceQuota(ctx context.Context, spaceID string, quota int64, e journal.Entry) error {
	return db.write(ctx, "store.SetSpaceQuota", func(tx *Tx) error {
		q := sql.NullInt64{Int64: quota, Valid: quota > 0}
		res, err := tx.exec(`UPDATE file_spaces SET quota_bytes = $1 WHERE id = $2`, q, spaceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.SetSpaceQuota", core.NotFound, "no such space")
		}
		return tx.journal(e)
	})
}

// SetSpaceWarned records the quota warning level, with its notice.
func (db *DB) SetSpaceWarned(ctx context.Context, spaceID string, limit int64) (*files.Notice, error) {
	var n *files.Notice
	err := db.write(ctx, "store.SetSpaceWarned", func(tx *Tx) error {
		// Lock the row (PostgreSQL; SQLite has one writer) before reading it.
		if _, err := tx.exec(`UPDATE file_spaces SET warned_level = warned_level WHERE id = $1`, spaceID); err != nil {
			return err
		}
		var kind, owner string
		var used int64
		var warned int
		if err := tx.queryRow(`SELECT kind, owner_id, used_bytes, warned_level FROM file_spaces WHERE id = $1`,
			spaceID).Scan(&kind, &owner, &used, &warned); err != nil {
			return notFoundIf("store.SetSpaceWarned", err, "space")
		}
		level := files.WarnLevel(used, limit)
		if level == warned {
			return nil
		}
		if _, err := tx.exec(`UPDATE file_spaces SET warned_level = $1 WHERE id = $2`, level, spaceID); err != nil {
			return err
		}
		if level < warned || files.SpaceKind(kind) != files.Personal {
			return nil
		}
		n = files.QuotaNotice(owner, used, limit, level)
		_, err := tx.exec(`INSERT INTO notices (id, person_id, at, subject, body) VALUES ($1, $2, $3, $4, $5)`,
			core.NewID(), n.PersonID, micros(tx.now), n.Subject, n.Body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// FindNode returns a node (live or trashed) by ID.
func (db *DB) FindNode(ctx context.Context, id string) (*files.Node, error) {
	n, err := scanNode(db.r.QueryRowContext(ctx, `SELECT `+nodeColumns+` FROM file_nodes WHERE id = $1`, id))
	return n, db.classify("store.FindNode", notFoundIf("store.FindNode", err, "file or folder"))
}

// FindChild returns the live child called name.
func (db *DB) FindChild(ctx context.Context, spaceID, parentID, name string) (*files.Node, error) {
	n, err := scanNode(db.r.QueryRowContext(ctx, `SELECT `+nodeColumns+` FROM file_nodes
		WHERE space_id = $1 AND parent_id = $2 AND name = $3 AND trashed_at IS NULL`, spaceID, parentID, name))
	return n, db.classify("store.FindChild", notFoundIf("store.FindChild", err, "file or folder"))
}

// FindChildren lists the live children of a folder.
func (db *DB) FindChildren(ctx context.Context, spaceID, parentID string) ([]*files.Node, error) {
	return db.nodes(ctx, "store.FindChildren", `SELECT `+nodeColumns+` FROM file_nodes
		WHERE space_id = $1 AND parent_id = $2 AND trashed_at IS NULL ORDER BY name`, spaceID, parentID)
}

// ListChildren returns the live children of a folder for a listing, by
// name: the columns a listing shows (no blob key, no trash fields), read
// in one pass, which keeps a 10,000-entry PROPFIND fast.
func (db *DB) ListChildren(ctx context.Context, spaceID, parentID string) ([]*files.Node, error) {
	const op = "store.ListChildren"
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, dir, size, sha256, mtime, etag, created_by FROM file_nodes
		WHERE space_id = $1 AND parent_id = $2 AND trashed_at IS NULL ORDER BY name`, spaceID, parentID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*files.Node
	for rows.Next() {
		n := &files.Node{Space: spaceID, Parent: parentID}
		var dir, mtime int64
		if err := rows.Scan(&n.ID, &n.Name, &dir, &n.Size, &n.SHA256, &mtime, &n.ETag, &n.CreatedBy); err != nil {
			return nil, db.classify(op, err)
		}
		n.Dir, n.ModTime = dir != 0, fromMicros(mtime)
		out = append(out, n)
	}
	return out, db.classify(op, rows.Err())
}

func (db *DB) nodes(ctx context.Context, op, q string, args ...any) ([]*files.Node, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*files.Node
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, n)
	}
	return out, db.classify(op, rows.Err())
}

// liveParent checks that a parent folder exists, is live and in the space.
// The statements of a file upload's commit, prepared once (hotStatements).
const (
	liveParentQuery = `SELECT dir FROM file_nodes WHERE id = $1 AND space_id = $2 AND trashed_at IS NULL`
	findLiveChild   = `SELECT ` + nodeColumns + ` FROM file_nodes
		WHERE space_id = $1 AND parent_id = $2 AND name = $3 AND trashed_at IS NULL`
	insertNodeSQL = `INSERT INTO file_nodes (` + nodeColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13)`
	addUsageSQL = `UPDATE file_spaces SET used_bytes = used_bytes + CAST($1 AS BIGINT)
		WHERE id = $2 AND (CAST($1 AS BIGINT) <= 0 OR CAST($3 AS BIGINT) <= 0
		OR used_bytes + CAST($1 AS BIGINT) <= CAST($3 AS BIGINT))`
	addUsageReturning = addUsageSQL + ` RETURNING used_bytes, warned_level`
)

func (tx *Tx) liveParent(op, spaceID, parentID string) error {
	if parentID == "" {
		return nil
	}
	var dir int64
	err := tx.queryRow(liveParentQuery, parentID, spaceID).Scan(&dir)
	if errors.Is(err, sql.ErrNoRows) || err == nil && dir == 0 {
		return core.E(op, core.Conflict, "the parent folder no longer exists")
	}
	return err
}

func (tx *Tx) insertNode(n *files.Node) error {
	_, err := tx.exec(insertNodeSQL, n.ID, n.Space, n.Parent, n.Name, boolInt(n.Dir), n.Size, n.SHA256, n.BlobKey, micros(n.ModTime),
		n.ETag, n.CreatedBy, nullMicros(n.TrashedAt), n.TrashedBy)
	return err
}

// CreateDir inserts a folder.
func (db *DB) CreateDir(ctx context.Context, n *files.Node) error {
	const op = "store.CreateDir"
	return db.write(ctx, op, func(tx *Tx) error {
		if err := tx.liveParent(op, n.Space, n.Parent); err != nil {
			return err
		}
		if err := tx.insertNode(n); err != nil {
			if core.IsKind(db.classify(op, err), core.Exists) {
				return core.E(op, core.Exists, "%s already exists", n.Name)
			}
			return err
		}
		return nil
	})
}

// addUsage moves a space's usage by delta, refusing to cross limit (> 0)
// when growing: the check and the change are one statement, so concurrent
// uploads cannot overshoot.
func (tx *Tx) addUsage(op, spaceID string, delta, limit int64) error {
	res, err := tx.exec(addUsageSQL, delta, spaceID, limit)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &core.Error{Op: op, Kind: core.Conflict, Err: files.ErrQuota,
			Msg: fmt.Sprintf("not enough space: this would exceed the quota of %s", files.HumanSize(limit))}
	}
	return nil
}

// addUsageOf is addUsage that also returns the space's usage and warning
// level after the change.
func (tx *Tx) addUsageOf(op, spaceID string, delta, limit int64) (used int64, warned int, err error) {
	err = tx.queryRow(addUsageReturning, delta, spaceID, limit).Scan(&used, &warned)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, &core.Error{Op: op, Kind: core.Conflict, Err: files.ErrQuota,
			Msg: fmt.Sprintf("not enough space: this would exceed the quota of %s", files.HumanSize(limit))}
	}
	return used, warned, err
}

// CommitFile publishes a file's new content.
func (db *DB) CommitFile(ctx context.Context, c *files.Commit) (*files.Node, []string, error) {
	const op = "store.CommitFile"
	var out *files.Node
	var freed []string
	err := db.writeGrouped(ctx, op, func(tx *Tx) error {
		freed = nil
		if err := tx.liveParent(op, c.Space, c.Parent); err != nil {
			return err
		}
		if c.Inline != nil {
			if err := tx.insertInline(c.Node.BlobKey, c.Inline); err != nil {
				return err
			}
		}
		old, err := scanNode(tx.queryRow(findLiveChild, c.Space, c.Parent, c.Name))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		n := c.Node
		delta := n.Size
		if old == nil {
			if c.IfMatch != "" {
				return core.E(op, core.Conflict, "the file changed meanwhile (ETag mismatch)")
			}
			n.Space, n.Parent, n.Name = c.Space, c.Parent, c.Name
			if err := tx.insertNode(&n); err != nil {
				return err
			}
			out = &n
			c.Used, c.Warned, err = tx.addUsageOf(op, c.Space, delta, c.Limit)
			return err
		}
		if old.Dir {
			return core.E(op, core.Conflict, "%s is a folder", c.Name)
		}
		if c.IfMatch != "" && old.ETag != c.IfMatch {
			return core.E(op, core.Conflict, "the file changed meanwhile (ETag mismatch)")
		}
		if c.KeepVersions > 0 && old.BlobKey != "" {
			if _, err := tx.exec(`INSERT INTO file_versions (id, node_id, size, sha256, blob_key, mtime, created_at,
				created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, core.NewID(), old.ID, old.Size, old.SHA256,
				old.BlobKey, micros(old.ModTime), micros(tx.now), old.CreatedBy); err != nil {
				return err
			}
			// Keep at most KeepVersions.
			rows, err := tx.query(`SELECT id, size, blob_key FROM file_versions WHERE node_id = $1
				ORDER BY created_at DESC, id DESC`, old.ID)
			if err != nil {
				return err
			}
			var drop []string
			i := 0
			for rows.Next() {
				var id, key string
				var size int64
				if err := rows.Scan(&id, &size, &key); err != nil {
					rows.Close()
					return err
				}
				if i++; i > c.KeepVersions {
					drop = append(drop, id)
					delta -= size
					freed = append(freed, key)
				}
			}
			rows.Close()
			for _, id := range drop {
				if _, err := tx.exec(`DELETE FROM file_versions WHERE id = $1`, id); err != nil {
					return err
				}
			}
		} else {
			delta -= old.Size
			freed = append(freed, old.BlobKey)
		}
		if _, err := tx.exec(`UPDATE file_nodes SET size = $1, sha256 = $2, blob_key = $3, mtime = $4, etag = $5
			WHERE id = $6`, n.Size, n.SHA256, n.BlobKey, micros(n.ModTime), n.ETag, old.ID); err != nil {
			return err
		}
		old.Size, old.SHA256, old.BlobKey, old.ModTime, old.ETag = n.Size, n.SHA256, n.BlobKey, n.ModTime, n.ETag
		out = old
		if err := tx.lockInline(freed); err != nil {
			return err
		}
		if c.Used, c.Warned, err = tx.addUsageOf(op, c.Space, delta, c.Limit); err != nil {
			return err
		}
		freed, err = tx.dropInline(freed)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return out, freed, nil
}

// subtree is the CTE of a node and its descendants (trashed ones included).
const subtree = `WITH RECURSIVE sub(id) AS (SELECT id FROM file_nodes WHERE id = $1
	UNION ALL SELECT n.id FROM file_nodes n JOIN sub ON n.parent_id = sub.id) `

// subtreeBytes is what a subtree counts toward a quota: files and versions.
func (tx *Tx) subtreeBytes(id string) (int64, error) {
	var files, versions int64
	if err := tx.queryRow(subtree+`SELECT COALESCE(SUM(size), 0) FROM file_nodes WHERE id IN (SELECT id FROM sub)
		AND dir = 0`, id).Scan(&files); err != nil {
		return 0, err
	}
	if err := tx.queryRow(subtree+`SELECT COALESCE(SUM(size), 0) FROM file_versions
		WHERE node_id IN (SELECT id FROM sub)`, id).Scan(&versions); err != nil {
		return 0, err
	}
	return files + versions, nil
}

// TrashNode moves a node to the trash.
func (db *DB) TrashNode(ctx context.Context, nodeID, by string, e *journal.Entry) error {
	const op = "store.TrashNode"
	return db.write(ctx, op, func(tx *Tx) error {
		if err := tx.trash(op, nodeID, by); err != nil {
			return err
		}
		if e != nil {
			return tx.journal(*e)
		}
		return nil
	})
}

func (tx *Tx) trash(op, nodeID, by string) error {
	res, err := tx.exec(`UPDATE file_nodes SET trashed_at = $1, trashed_by = $2 WHERE id = $3 AND trashed_at IS NULL`,
		micros(tx.now), by, nodeID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.E(op, core.NotFound, "no such file or folder")
	}
	return nil
}

// MoveNode renames or moves a node, maybe to another space.
func (db *DB) MoveNode(ctx context.Context, m *files.Move) error {
	const op = "store.MoveNode"
	return db.write(ctx, op, func(tx *Tx) error {
		if m.Replace != "" {
			if err := tx.trash(op, m.Replace, m.By); err != nil {
				return err
			}
		}
		if err := tx.liveParent(op, m.ToSpace, m.ToParent); err != nil {
			return err
		}
		if m.ToSpace != m.FromSpace {
			bytes, err := tx.subtreeBytes(m.NodeID)
			if err != nil {
				return err
			}
			if err := tx.addUsage(op, m.FromSpace, -bytes, 0); err != nil {
				return err
			}
			if err := tx.addUsage(op, m.ToSpace, bytes, m.Limit); err != nil {
				return err
			}
			if _, err := tx.exec(subtree+`UPDATE file_nodes SET space_id = $2 WHERE id IN (SELECT id FROM sub)`,
				m.NodeID, m.ToSpace); err != nil {
				return err
			}
		}
		res, err := tx.exec(`UPDATE file_nodes SET parent_id = $1, name = $2 WHERE id = $3 AND trashed_at IS NULL`,
			m.ToParent, m.ToName, m.NodeID)
		if err != nil {
			if core.IsKind(db.classify(op, err), core.Exists) {
				return core.E(op, core.Exists, "%s already exists", m.ToName)
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.NotFound, "no such file or folder")
		}
		if m.Journal != nil {
			return tx.journal(*m.Journal)
		}
		return nil
	})
}

// CopyTree copies a node and its live subtree, sharing content blobs.
func (db *DB) CopyTree(ctx context.Context, c *files.CopyOp) (*files.Node, error) {
	const op = "store.CopyTree"
	var root *files.Node
	err := db.write(ctx, op, func(tx *Tx) error {
		if c.Replace != "" {
			if err := tx.trash(op, c.Replace, c.By); err != nil {
				return err
			}
		}
		if err := tx.liveParent(op, c.ToSpace, c.ToParent); err != nil {
			return err
		}
		q := `WITH RECURSIVE sub(id) AS (SELECT id FROM file_nodes WHERE id = $1 AND trashed_at IS NULL
			UNION ALL SELECT n.id FROM file_nodes n JOIN sub ON n.parent_id = sub.id WHERE n.trashed_at IS NULL)
			SELECT ` + nodeColumns + ` FROM file_nodes WHERE id IN (SELECT id FROM sub)`
		if c.Depth0 {
			q = `SELECT ` + nodeColumns + ` FROM file_nodes WHERE id = $1 AND trashed_at IS NULL`
		}
		rows, err := tx.query(q, c.NodeID)
		if err != nil {
			return err
		}
		var all []*files.Node
		for rows.Next() {
			n, err := scanNode(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(all) == 0 {
			return core.E(op, core.NotFound, "no such file or folder")
		}
		byParent := map[string][]*files.Node{}
		for _, n := range all {
			if n.ID == c.NodeID {
				root = n
				continue
			}
			byParent[n.Parent] = append(byParent[n.Parent], n)
		}
		var bytes int64
		var copyNode func(n *files.Node, parent, name string) (*files.Node, error)
		copyNode = func(n *files.Node, parent, name string) (*files.Node, error) {
			cp := *n
			cp.ID, cp.Space, cp.Parent, cp.Name, cp.CreatedBy = core.NewID(), c.ToSpace, parent, name, c.By
			cp.ETag = fmt.Sprintf(`"c%x-%s"`, tx.now.UnixNano(), cp.ID[len(cp.ID)-6:])
			if !n.Dir {
				cp.ModTime = n.ModTime
				bytes += n.Size
			} else {
				cp.ModTime = tx.now
			}
			if beforeShareForTest != nil {
				beforeShareForTest()
			}
			if err := tx.shareContent(cp.BlobKey); err != nil {
				return nil, err
			}
			if err := tx.insertNode(&cp); err != nil {
				if core.IsKind(db.classify(op, err), core.Exists) {
					return nil, core.E(op, core.Exists, "%s already exists", name)
				}
				return nil, err
			}
			for _, k := range byParent[n.ID] {
				if _, err := copyNode(k, cp.ID, k.Name); err != nil {
					return nil, err
				}
			}
			return &cp, nil
		}
		if root, err = copyNode(root, c.ToParent, c.ToName); err != nil {
			return err
		}
		if afterCopyForTest != nil {
			afterCopyForTest()
		}
		return tx.addUsage(op, c.ToSpace, bytes, c.Limit)
	})
	if err != nil {
		return nil, err
	}
	return root, nil
}

// FindACLs lists the ACLs on nodes.
func (db *DB) FindACLs(ctx context.Context, nodeIDs []string) ([]files.ACL, error) {
	const op = "store.FindACLs"
	if len(nodeIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(nodeIDs))
	ph := make([]string, len(nodeIDs))
	for i, id := range nodeIDs {
		args[i], ph[i] = id, fmt.Sprintf("$%d", i+1)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT node_id, grantee_kind, grantee_id, level, granted_by, granted_at
		FROM file_acls WHERE node_id IN (`+strings.Join(ph, ", ")+`) ORDER BY node_id, grantee_kind, grantee_id`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []files.ACL
	for rows.Next() {
		a, err := scanACL(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, a)
	}
	return out, db.classify(op, rows.Err())
}

func scanACL(sc interface{ Scan(...any) error }, extra ...any) (files.ACL, error) {
	var a files.ACL
	var level string
	var at int64
	if err := sc.Scan(append([]any{&a.Node, &a.GranteeKind, &a.GranteeID, &level, &a.GrantedBy, &at}, extra...)...); err != nil {
		return a, err
	}
	a.Level, _ = files.ParseLevel(level)
	a.GrantedAt = fromMicros(at)
	return a, nil
}

// SetACL stores or (Level None) removes an ACL, with its journal entry.
func (db *DB) SetACL(ctx context.Context, a files.ACL, e journal.Entry) error {
	return db.write(ctx, "store.SetACL", func(tx *Tx) error {
		var err error
		if a.Level == files.None {
			_, err = tx.exec(`DELETE FROM file_acls WHERE node_id = $1 AND grantee_kind = $2 AND grantee_id = $3`,
				a.Node, a.GranteeKind, a.GranteeID)
		} else {
			_, err = tx.exec(`INSERT INTO file_acls (node_id, grantee_kind, grantee_id, level, granted_by, granted_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id, grantee_kind, grantee_id)
				DO UPDATE SET level = excluded.level, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
				a.Node, a.GranteeKind, a.GranteeID, a.Level.String(), a.GrantedBy, micros(tx.now))
		}
		if err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// FindShares lists ACLs given to a person or their groups, on live nodes.
func (db *DB) FindShares(ctx context.Context, personID string, groupIDs []string) ([]files.Share, error) {
	const op = "store.FindShares"
	args := []any{personID}
	cond := `(a.grantee_kind = 'person' AND a.grantee_id = $1)`
	if len(groupIDs) > 0 {
		ph := make([]string, len(groupIDs))
		for i, g := range groupIDs {
			args = append(args, g)
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		cond += ` OR (a.grantee_kind = 'group' AND a.grantee_id IN (` + strings.Join(ph, ", ") + `))`
	}
	cols := `a.node_id, a.grantee_kind, a.grantee_id, a.level, a.granted_by, a.granted_at, n.id, n.space_id,
		n.parent_id, n.name, n.dir, n.size, n.sha256, n.blob_key, n.mtime, n.etag, n.created_by, n.trashed_at,
		n.trashed_by, s.id, s.establishment_id, s.kind, s.owner_id, s.name, COALESCE(s.quota_bytes, 0), s.used_bytes,
		s.warned_level, s.created_at`
	rows, err := db.r.QueryContext(ctx, `SELECT `+cols+` FROM file_acls a JOIN file_nodes n ON n.id = a.node_id
		JOIN file_spaces s ON s.id = n.space_id WHERE n.trashed_at IS NULL AND (`+cond+`) ORDER BY n.name`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []files.Share
	for rows.Next() {
		var n files.Node
		var sp files.Space
		var dir, mtime, created int64
		var trashed sql.NullInt64
		a, err := scanACL(rows, &n.ID, &n.Space, &n.Parent, &n.Name, &dir, &n.Size, &n.SHA256, &n.BlobKey, &mtime,
			&n.ETag, &n.CreatedBy, &trashed, &n.TrashedBy, &sp.ID, &sp.Establishment, &sp.Kind, &sp.Owner, &sp.Name,
			&sp.Quota, &sp.Used, &sp.Warned, &created)
		if err != nil {
			return nil, db.classify(op, err)
		}
		n.Dir, n.ModTime, n.TrashedAt, sp.CreatedAt = dir != 0, fromMicros(mtime), fromNullMicros(trashed), fromMicros(created)
		out = append(out, files.Share{ACL: a, Node: &n, Space: &sp})
	}
	return out, db.classify(op, rows.Err())
}

// FindGroupByCode returns the ID of an establishment's group by code (the
// latest school year's).
func (db *DB) FindGroupByCode(ctx context.Context, est, code string) (string, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT id FROM school_groups WHERE establishment_id = $1 AND code = $2
		ORDER BY school_year DESC LIMIT 1`, est, code).Scan(&id)
	return id, db.classify("store.FindGroupByCode", notFoundIf("store.FindGroupByCode", err, "group"))
}

const versionColumns = `id, node_id, size, sha256, blob_key, mtime, created_at, created_by`

func scanVersion(sc interface{ Scan(...any) error }) (*files.Version, error) {
	var v files.Version
	var mtime, created int64
	if err := sc.Scan(&v.ID, &v.Node, &v.Size, &v.SHA256, &v.BlobKey, &mtime, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	v.ModTime, v.CreatedAt = fromMicros(mtime), fromMicros(created)
	return &v, nil
}

// FindVersions lists a file's versions.
func (db *DB) FindVersions(ctx context.Context, nodeID string) ([]*files.Version, error) {
	const op = "store.FindVersions"
	rows, err := db.r.QueryContext(ctx, `SELECT `+versionColumns+` FROM file_versions WHERE node_id = $1
		ORDER BY created_at DESC, id DESC`, nodeID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*files.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, v)
	}
	return out, db.classify(op, rows.Err())
}

// RestoreVersion swaps a version with the current content. The usage does
// not change: both stay counted.
func (db *DB) RestoreVersion(ctx context.Context, nodeID, versionID, by string, limit int64) error {
	const op = "store.RestoreVersion"
	return db.write(ctx, op, func(tx *Tx) error {
		n, err := scanNode(tx.queryRow(`SELECT `+nodeColumns+` FROM file_nodes WHERE id = $1 AND trashed_at IS NULL`,
			nodeID))
		if err != nil {
			return notFoundIf(op, err, "file")
		}
		v, err := scanVersion(tx.queryRow(`SELECT `+versionColumns+` FROM file_versions WHERE id = $1 AND node_id = $2`,
			versionID, nodeID))
		if err != nil {
			return notFoundIf(op, err, "version")
		}
		if err := tx.shareContent(v.BlobKey); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO file_versions (`+versionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			core.NewID(), n.ID, n.Size, n.SHA256, n.BlobKey, micros(n.ModTime), micros(tx.now), n.CreatedBy); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM file_versions WHERE id = $1`, v.ID); err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE file_nodes SET size = $1, sha256 = $2, blob_key = $3, mtime = $4, etag = $5
			WHERE id = $6`, v.Size, v.SHA256, v.BlobKey, micros(tx.now),
			fmt.Sprintf(`"%s-r%x"`, v.SHA256[:16], tx.now.UnixNano()), n.ID)
		return err
	})
}

// PruneVersions deletes versions beyond keep per file or older than before.
func (db *DB) PruneVersions(ctx context.Context, keep int, before time.Time) ([]string, error) {
	const op = "store.PruneVersions"
	var freed []string
	err := db.write(ctx, op, func(tx *Tx) error {
		freed = nil
		rows, err := tx.query(`SELECT x.id, x.size, x.blob_key, n.space_id FROM (SELECT v.id, v.node_id, v.size,
			v.blob_key, v.created_at, ROW_NUMBER() OVER (PARTITION BY v.node_id ORDER BY v.created_at DESC, v.id DESC)
			AS rn FROM file_versions v) x JOIN file_nodes n ON n.id = x.node_id WHERE x.rn > $1 OR x.created_at < $2`,
			keep, micros(before))
		if err != nil {
			return err
		}
		type drop struct {
			id, key, space string
			size           int64
		}
		var ds []drop
		for rows.Next() {
			var d drop
			if err := rows.Scan(&d.id, &d.size, &d.key, &d.space); err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		rows.Close()
		keys := make([]string, len(ds))
		for i, d := range ds {
			keys[i] = d.key
		}
		if err := tx.lockInline(keys); err != nil {
			return err
		}
		for _, d := range ds {
			if _, err := tx.exec(`DELETE FROM file_versions WHERE id = $1`, d.id); err != nil {
				return err
			}
			if err := tx.addUsage(op, d.space, -d.size, 0); err != nil {
				return err
			}
			freed = append(freed, d.key)
		}
		freed, err = tx.dropInline(freed)
		return err
	})
	return freed, err
}

// FindTrash lists a space's trashed nodes.
func (db *DB) FindTrash(ctx context.Context, spaceID string) ([]*files.Node, error) {
	return db.nodes(ctx, "store.FindTrash", `SELECT `+nodeColumns+` FROM file_nodes
		WHERE space_id = $1 AND trashed_at IS NOT NULL ORDER BY trashed_at DESC`, spaceID)
}

// ExpiredTrash lists nodes trashed before a time.
func (db *DB) ExpiredTrash(ctx context.Context, before time.Time) ([]*files.Node, error) {
	return db.nodes(ctx, "store.ExpiredTrash", `SELECT `+nodeColumns+` FROM file_nodes
		WHERE trashed_at IS NOT NULL AND trashed_at < $1`, micros(before))
}

// RestoreNode takes a node out of the trash; if its folder is gone it goes
// to the root of the space.
func (db *DB) RestoreNode(ctx context.Context, nodeID, name string) error {
	const op = "store.RestoreNode"
	return db.write(ctx, op, func(tx *Tx) error {
		n, err := scanNode(tx.queryRow(`SELECT `+nodeColumns+` FROM file_nodes WHERE id = $1 AND trashed_at IS NOT NULL`,
			nodeID))
		if err != nil {
			return notFoundIf(op, err, "item in the trash")
		}
		parent := n.Parent
		if tx.liveParent(op, n.Space, parent) != nil {
			parent = ""
		}
		_, err = tx.exec(`UPDATE file_nodes SET trashed_at = NULL, trashed_by = '', parent_id = $1, name = $2
			WHERE id = $3`, parent, name, nodeID)
		if core.IsKind(db.classify(op, err), core.Exists) {
			return core.E(op, core.Exists, "%s already exists where it was", name)
		}
		return err
	})
}

// PurgeNodes deletes trashed nodes with their subtrees and versions.
func (db *DB) PurgeNodes(ctx context.Context, ids []string, e *journal.Entry) ([]string, error) {
	const op = "store.PurgeNodes"
	var freed []string
	err := db.write(ctx, op, func(tx *Tx) error {
		freed = nil
		for _, id := range ids {
			var space string
			err := tx.queryRow(`SELECT space_id FROM file_nodes WHERE id = $1 AND trashed_at IS NOT NULL`, id).Scan(&space)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			bytes, err := tx.subtreeBytes(id)
			if err != nil {
				return err
			}
			rows, err := tx.query(subtree+`SELECT blob_key FROM file_nodes WHERE id IN (SELECT id FROM sub)
				AND blob_key <> '' UNION ALL SELECT blob_key FROM file_versions WHERE node_id IN (SELECT id FROM sub)`, id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					rows.Close()
					return err
				}
				freed = append(freed, k)
			}
			rows.Close()
			if err := tx.lockInline(freed); err != nil {
				return err
			}
			for _, q := range []string{
				subtree + `DELETE FROM file_versions WHERE node_id IN (SELECT id FROM sub)`,
				subtree + `DELETE FROM file_acls WHERE node_id IN (SELECT id FROM sub)`,
				subtree + `DELETE FROM file_nodes WHERE id IN (SELECT id FROM sub)`,
			} {
				if _, err := tx.exec(q, id); err != nil {
					return err
				}
			}
			if err := tx.addUsage(op, space, -bytes, 0); err != nil {
				return err
			}
		}
		var err error
		if freed, err = tx.dropInline(freed); err != nil {
			return err
		}
		if e != nil {
			return tx.journal(*e)
		}
		return nil
	})
	return freed, err
}

// BlobRefs calls fn for every referenced blob.
func (db *DB) BlobRefs(ctx context.Context, fn func(files.BlobRef) error) error {
	const op = "store.BlobRefs"
	rows, err := db.r.QueryContext(ctx, `SELECT blob_key, sha256, size, id, space_id, '' FROM file_nodes
		WHERE dir = 0 AND blob_key <> '' UNION ALL SELECT v.blob_key, v.sha256, v.size, v.node_id, n.space_id, v.id
		FROM file_versions v JOIN file_nodes n ON n.id = v.node_id`)
	if err != nil {
		return db.classify(op, err)
	}
	var refs []files.BlobRef
	for rows.Next() {
		var r files.BlobRef
		if err := rows.Scan(&r.Key, &r.SHA256, &r.Size, &r.NodeID, &r.Space, &r.Version); err != nil {
			rows.Close()
			return db.classify(op, err)
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return db.classify(op, err)
	}
	for _, r := range refs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// GroupMembers lists a group's members and owners.
func (db *DB) GroupMembers(ctx context.Context, groupID string) ([]files.Member, error) {
	const op = "store.GroupMembers"
	rows, err := db.r.QueryContext(ctx, `SELECT p.id, p.login, p.display_name, p.profile, m.role, g.establishment_id
		FROM memberships m JOIN people p ON p.id = m.person_id JOIN school_groups g ON g.id = m.group_id
		WHERE m.group_id = $1 ORDER BY p.family_name, p.given_name, p.login`, groupID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []files.Member
	for rows.Next() {
		var m files.Member
		if err := rows.Scan(&m.PersonID, &m.Login, &m.DisplayName, &m.Profile, &m.Role, &m.Establishment); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, m)
	}
	return out, db.classify(op, rows.Err())
}

// CreateAssignment stores an assignment with its pupils.
func (db *DB) CreateAssignment(ctx context.Context, a *files.Assignment, e journal.Entry) error {
	return db.write(ctx, "store.CreateAssignment", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO file_assignments (id, establishment_id, teacher_id, group_id, title, folder,
			deadline, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.ID, a.Establishment, a.Teacher, a.Group,
			a.Title, a.Folder, micros(a.Deadline), micros(a.CreatedAt)); err != nil {
			return err
		}
		for _, p := range a.Pupils {
			if _, err := tx.exec(`INSERT INTO file_assignment_pupils (assignment_id, person_id, folder_id)
				VALUES ($1, $2, $3)`, a.ID, p.PersonID, p.FolderID); err != nil {
				return err
			}
		}
		return tx.journal(e)
	})
}

const assignmentColumns = `id, establishment_id, teacher_id, group_id, title, folder, deadline, created_at, collected_at`

func scanAssignment(sc interface{ Scan(...any) error }) (*files.Assignment, error) {
	var a files.Assignment
	var deadline, created int64
	var collected sql.NullInt64
	if err := sc.Scan(&a.ID, &a.Establishment, &a.Teacher, &a.Group, &a.Title, &a.Folder, &deadline, &created,
		&collected); err != nil {
		return nil, err
	}
	a.Deadline, a.CreatedAt, a.CollectedAt = fromMicros(deadline), fromMicros(created), fromNullMicros(collected)
	return &a, nil
}

// FindAssignment returns an assignment with its pupils.
func (db *DB) FindAssignment(ctx context.Context, id string) (*files.Assignment, error) {
	const op = "store.FindAssignment"
	a, err := scanAssignment(db.r.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM file_assignments
		WHERE id = $1`, id))
	if err != nil {
		return nil, db.classify(op, notFoundIf(op, err, "assignment"))
	}
	rows, err := db.r.QueryContext(ctx, `SELECT ap.person_id, COALESCE(p.login, ''), COALESCE(p.display_name, ''),
		ap.folder_id, ap.status, ap.handed_in_at FROM file_assignment_pupils ap LEFT JOIN people p ON p.id = ap.person_id
		WHERE ap.assignment_id = $1 ORDER BY p.family_name, p.given_name, p.login`, id)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p files.AssignmentPupil
		var at sql.NullInt64
		if err := rows.Scan(&p.PersonID, &p.Login, &p.Name, &p.FolderID, &p.Status, &at); err != nil {
			return nil, db.classify(op, err)
		}
		p.HandedInAt = fromNullMicros(at)
		a.Pupils = append(a.Pupils, p)
	}
	return a, db.classify(op, rows.Err())
}

// FindAssignments lists a teacher's assignments (without pupils).
func (db *DB) FindAssignments(ctx context.Context, teacherID string) ([]*files.Assignment, error) {
	const op = "store.FindAssignments"
	rows, err := db.r.QueryContext(ctx, `SELECT `+assignmentColumns+` FROM file_assignments WHERE teacher_id = $1
		ORDER BY created_at DESC`, teacherID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*files.Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, a)
	}
	return out, db.classify(op, rows.Err())
}

// SetCollected records a collection and each pupil's status.
func (db *DB) SetCollected(ctx context.Context, a *files.Assignment, e journal.Entry) error {
	return db.write(ctx, "store.SetCollected", func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE file_assignments SET collected_at = $1 WHERE id = $2`,
			micros(a.CollectedAt), a.ID); err != nil {
			return err
		}
		for _, p := range a.Pupils {
			if _, err := tx.exec(`UPDATE file_assignment_pupils SET status = $1, handed_in_at = $2
				WHERE assignment_id = $3 AND person_id = $4`, p.Status, nullMicros(p.HandedInAt), a.ID,
				p.PersonID); err != nil {
				return err
			}
		}
		return tx.journal(e)
	})
}

// FindProps returns a node's dead properties ("" when none).
func (db *DB) FindProps(ctx context.Context, nodeID string) (string, error) {
	var body string
	err := db.r.QueryRowContext(ctx, `SELECT body FROM file_props WHERE node_id = $1`, nodeID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return body, db.classify("store.FindProps", err)
}

// FindChildProps returns the dead properties of a folder's children, by node ID.
func (db *DB) FindChildProps(ctx context.Context, spaceID, parentID string) (map[string]string, error) {
	const op = "store.FindChildProps"
	rows, err := db.r.QueryContext(ctx, `SELECT p.node_id, p.body FROM file_props p JOIN file_nodes n ON n.id = p.node_id
		WHERE n.space_id = $1 AND n.parent_id = $2 AND n.trashed_at IS NULL`, spaceID, parentID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, db.classify(op, err)
		}
		out[id] = body
	}
	return out, db.classify(op, rows.Err())
}

// SetProps stores (body "" deletes) a node's dead properties.
func (db *DB) SetProps(ctx context.Context, nodeID, body string) error {
	return db.write(ctx, "store.SetProps", func(tx *Tx) error {
		if body == "" {
			_, err := tx.exec(`DELETE FROM file_props WHERE node_id = $1`, nodeID)
			return err
		}
		_, err := tx.exec(`INSERT INTO file_props (node_id, body) VALUES ($1, $2)
			ON CONFLICT (node_id) DO UPDATE SET body = excluded.body`, nodeID, body)
		return err
	})
}

// FindOrphanSpaces lists personal spaces whose owner was deleted.
func (db *DB) FindOrphanSpaces(ctx context.Context) ([]string, error) {
	const op = "store.FindOrphanSpaces"
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM file_spaces s WHERE s.kind = 'personal'
		AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = s.owner_id)`)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, id)
	}
	return out, db.classify(op, rows.Err())
}

// DeleteSpace deletes a space with all its nodes, versions, ACLs and
// properties, journaled; it returns the blob keys it referenced.
func (db *DB) DeleteSpace(ctx context.Context, spaceID string, e journal.Entry) ([]string, error) {
	const op = "store.DeleteSpace"
	var keys []string
	err := db.write(ctx, op, func(tx *Tx) error {
		keys = nil
		rows, err := tx.query(`SELECT blob_key FROM file_nodes WHERE space_id = $1 AND blob_key <> ''
			UNION ALL SELECT v.blob_key FROM file_versions v JOIN file_nodes n ON n.id = v.node_id WHERE n.space_id = $1`,
			spaceID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := tx.lockInline(keys); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM file_versions WHERE node_id IN (SELECT id FROM file_nodes WHERE space_id = $1)`,
			`DELETE FROM file_acls WHERE node_id IN (SELECT id FROM file_nodes WHERE space_id = $1)`,
			`DELETE FROM file_props WHERE node_id IN (SELECT id FROM file_nodes WHERE space_id = $1)`,
			`DELETE FROM file_nodes WHERE space_id = $1`,
			`DELETE FROM file_spaces WHERE id = $1`,
		} {
			if _, err := tx.exec(q, spaceID); err != nil {
				return err
			}
		}
		if keys, err = tx.dropInline(keys); err != nil {
			return err
		}
		return tx.journal(e)
	})
	return keys, err
}
