// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"time"

	"github.com/preau/preau/internal/journal"
)

// Store keeps the file tree (internal/store implements it). Every method
// that changes a tree or a quota does it in one transaction; the ones given
// a journal entry write it in that transaction.
type Store interface {
	// EnsureSpace returns the space of (s.Kind, s.Owner), creating it from
	// s when there is none.
	EnsureSpace(ctx context.Context, s *Space) (*Space, error)
	FindSpace(ctx context.Context, id string) (*Space, error)
	// FindSpaceByOwner returns a core.NotFound error when there is none.
	FindSpaceByOwner(ctx context.Context, kind SpaceKind, owner string) (*Space, error)
	// FindSpaces lists an establishment's spaces ("" for every one) with
	// their file counts, never a name inside them.
	FindSpaces(ctx context.Context, establishment string) ([]SpaceStats, error)
	SetSpaceQuota(ctx context.Context, spaceID string, quota int64, e journal.Entry) error
	// SetSpaceWarned brings the quota warning level of a space in line with
	// its usage under limit (WarnLevel), in one transaction that locks the
	// space's row first, and writes the notice of an upward crossing of a
	// personal space (QuotaNotice) in it, returning it (nil: no crossing).
	// Two uploads, even on two nodes, cannot both tell one crossing.
	SetSpaceWarned(ctx context.Context, spaceID string, limit int64) (*Notice, error)

	FindNode(ctx context.Context, id string) (*Node, error)
	// FindChild returns the live child called name, or core.NotFound.
	FindChild(ctx context.Context, spaceID, parentID, name string) (*Node, error)
	FindChildren(ctx context.Context, spaceID, parentID string) ([]*Node, error)
	// ListChildren is FindChildren for listings: ID, name, kind, size,
	// SHA-256, time, ETag and creator only (no blob key, no trash fields).
	ListChildren(ctx context.Context, spaceID, parentID string) ([]*Node, error)
	// CreateDir inserts a folder; core.Exists if the name is taken.
	CreateDir(ctx context.Context, n *Node) error
	// CommitFile makes c the content of a file, creating it or replacing
	// the live one of that name, keeping the former content as a version
	// when c.KeepVersions > 0, within the space's quota. With c.Inline set
	// it stores that content under c.Node.BlobKey (an inline key) in the
	// same transaction. It returns the blob keys no longer referenced.
	//
	// Every method that drops references to content (CommitFile,
	// PruneVersions, PurgeNodes, DeleteSpace) deletes the inline content
	// no longer referenced in its own transaction and returns only the
	// keys of blob-store objects.
	CommitFile(ctx context.Context, c *Commit) (*Node, []string, error)
	// TrashNode moves a live node (and so its subtree) to the trash.
	TrashNode(ctx context.Context, nodeID, by string, e *journal.Entry) error
	// MoveNode renames or moves a node, maybe into another space (quota
	// checked there), replacing a live node at the destination when
	// m.Replace is set (that node is trashed). It returns freed blob keys.
	MoveNode(ctx context.Context, m *Move) error
	// CopyTree copies a node and its subtree (sharing blobs) under a
	// parent, within the destination space's quota.
	CopyTree(ctx context.Context, c *CopyOp) (*Node, error)

	FindACLs(ctx context.Context, nodeIDs []string) ([]ACL, error)
	// SetACL stores a (Level None deletes it) with its journal entry.
	SetACL(ctx context.Context, a ACL, e journal.Entry) error
	// FindShares lists the ACLs given to a person or to one of the groups,
	// with their nodes' spaces, on live nodes.
	FindShares(ctx context.Context, personID string, groupIDs []string) ([]Share, error)

	FindVersions(ctx context.Context, nodeID string) ([]*Version, error)
	// RestoreVersion makes a version the content again (the current one
	// becomes a version).
	RestoreVersion(ctx context.Context, nodeID, versionID, by string, limit int64) error
	// PruneVersions deletes the versions of the space beyond keep per file
	// or older than before; it returns freed blob keys.
	PruneVersions(ctx context.Context, keep int, before time.Time) ([]string, error)

	// FindTrash lists a space's trashed nodes (the tops of trashed subtrees).
	FindTrash(ctx context.Context, spaceID string) ([]*Node, error)
	// RestoreNode takes a node out of the trash under name.
	RestoreNode(ctx context.Context, nodeID, name string) error
	// PurgeNodes deletes trashed nodes and their subtrees and versions;
	// it returns freed blob keys.
	PurgeNodes(ctx context.Context, ids []string, e *journal.Entry) ([]string, error)
	// ExpiredTrash lists trashed nodes trashed before t.
	ExpiredTrash(ctx context.Context, before time.Time) ([]*Node, error)

	// BlobRefs calls fn for every blob referenced by a node or a version.
	BlobRefs(ctx context.Context, fn func(BlobRef) error) error
	// DropUnreferencedBlob calls drop for the blob-store object key when
	// no node or version refers to it, and reports whether it did (never
	// for an inline key or ""); a copy
	// adding a reference at the same time either keeps the object or
	// fails (core.Conflict), never points at a dropped object.
	DropUnreferencedBlob(ctx context.Context, key string, drop func(context.Context) error) (bool, error)
	// ReadInline returns the content stored inline under key (see
	// InlineMax), or a core.NotFound error.
	ReadInline(ctx context.Context, key string) ([]byte, error)
	// DropOrphanInline deletes inline contents nothing refers to and
	// returns how many (the scrub's sweep).
	DropOrphanInline(ctx context.Context) (int, error)

	// GroupMembers lists a group's members and owners.
	GroupMembers(ctx context.Context, groupID string) ([]Member, error)

	CreateAssignment(ctx context.Context, a *Assignment, e journal.Entry) error
	FindAssignment(ctx context.Context, id string) (*Assignment, error)
	FindAssignments(ctx context.Context, teacherID string) ([]*Assignment, error)
	SetCollected(ctx context.Context, a *Assignment, e journal.Entry) error

	// FindOrphanSpaces lists the personal spaces of deleted people.
	FindOrphanSpaces(ctx context.Context) ([]string, error)
	// DeleteSpace deletes a space and everything in it (journaled); it
	// returns the blob keys it referenced.
	DeleteSpace(ctx context.Context, spaceID string, e journal.Entry) ([]string, error)

	// Dead properties (WebDAV PROPPATCH) as an opaque body ("" none).
	FindProps(ctx context.Context, nodeID string) (string, error)
	FindChildProps(ctx context.Context, spaceID, parentID string) (map[string]string, error)
	SetProps(ctx context.Context, nodeID, body string) error

	Journal(ctx context.Context, e journal.Entry) error
}

// SpaceStats is what an administrator sees of a space: sizes and counts,
// never the names inside (UTI-ESF-8).
type SpaceStats struct {
	Space
	Files   int64
	Folders int64
}

// Notice is a portal notice written with a change.
type Notice struct {
	PersonID string
	Subject  string
	Body     string
}

// Commit describes a new content for a file.
type Commit struct {
	Space        string
	Parent       string
	Name         string
	Node         Node  // ID (for a new file), Size, SHA256, BlobKey, ModTime, ETag, CreatedBy
	Limit        int64 // the space's quota in bytes; <= 0 unlimited
	KeepVersions int   // keep the former content as a version when > 0, at most this many
	IfMatch      string
	// Inline is the whole content when it is kept in the database
	// (Node.BlobKey is then an inline key); nil for a blob-store object.
	Inline []byte

	// Set by the store when the commit succeeds: the space's usage and
	// quota warning level right after it (so that the warning check needs
	// no read).
	Used   int64
	Warned int
}

// Move describes a rename or move.
type Move struct {
	NodeID    string
	FromSpace string
	ToSpace   string
	ToParent  string
	ToName    string
	Replace   string // live node at the destination to trash first
	Limit     int64  // destination quota when ToSpace differs
	By        string
	Journal   *journal.Entry
}

// CopyOp describes a recursive copy.
type CopyOp struct {
	NodeID   string
	ToSpace  string
	ToParent string
	ToName   string
	Replace  string
	Limit    int64
	By       string
	Depth0   bool // only the node itself (a folder without its content)
}

// Share is an ACL given to someone, with the node and space it opens.
type Share struct {
	ACL   ACL
	Node  *Node
	Space *Space
}

// BlobRef is a blob with the checksum it must have.
type BlobRef struct {
	Key     string
	SHA256  string
	Size    int64
	NodeID  string
	Space   string
	Version string // "" for a node's current content
}

// Member is a member or owner of a group.
type Member struct {
	PersonID      string
	Login         string
	DisplayName   string
	Profile       string
	Role          string
	Establishment string
}
