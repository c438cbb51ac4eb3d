// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"strings"
	"time"
)

// DAVLock is a WebDAV write lock (RFC 4918 §6) as the store keeps it, so
// that every node behind a load balancer sees the locks another node
// granted (design §5: stateless nodes).
//
// Locks are decided on Key, the canonical root (Service.LockKey: the space
// and the path inside it), not on the path the client named (each person's
// /dav/home/ is their own space); Root keeps the client's path for the
// answers.
type DAVLock struct {
	Token     string
	Key       string // canonical root: what conflicts are decided on
	Root      string // the path as the client named it
	Owner     string // person ID of the principal who took it
	ZeroDepth bool
	Shared    bool
	OwnerXML  string        // the client's DAV:owner element content
	Duration  time.Duration // as granted; negative: infinite
	Expires   time.Time     // when the store forgets it
}

// MaxLockAge bounds a lock asked with an infinite timeout: a client that
// crashed while holding one must not block a file for ever once locks
// outlive restarts.
const MaxLockAge = 7 * 24 * time.Hour

// LockSpace is the part of a lock key that locks can conflict within (the
// space, or a person's virtual folders): the store indexes locks by it.
func LockSpace(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}

// Covers reports whether the lock applies to the resource of key name.
func (l *DAVLock) Covers(name string) bool {
	return covers(l.Key, l.ZeroDepth, name)
}

// Conflicts reports whether a new lock (key, zero depth, shared) cannot be
// granted beside l: two shared locks coexist; otherwise locks conflict when
// either covers the other's root.
func (l *DAVLock) Conflicts(key string, zeroDepth, shared bool) bool {
	if shared && l.Shared {
		return false
	}
	return covers(l.Key, l.ZeroDepth, key) || covers(key, zeroDepth, l.Key)
}

func covers(root string, zeroDepth bool, name string) bool {
	if name == root {
		return true
	}
	return !zeroDepth && strings.HasPrefix(name, root+"/")
}

// LockStore keeps WebDAV locks. CreateLock decides conflicts and inserts
// in one transaction, serialised with every other lock creation so that two
// nodes cannot both win; it answers a core.Conflict error wrapping
// ErrLocked when a lock stands in the way. Expired locks are never
// returned, and are purged when locks are created.
type LockStore interface {
	CreateLock(ctx context.Context, l *DAVLock, now time.Time) error
	// FindLocks returns the live locks of a lock space (LockSpace): one
	// indexed query.
	FindLocks(ctx context.Context, space string, now time.Time) ([]DAVLock, error)
	// RefreshLock sets a lock's duration and expiry; a core.NotFound error
	// when there is no such live lock, core.Permission when owner did not
	// take it.
	RefreshLock(ctx context.Context, token, owner string, d time.Duration, expires, now time.Time) (*DAVLock, error)
	// DeleteLock removes a lock, with the same errors as RefreshLock.
	DeleteLock(ctx context.Context, token, owner string, now time.Time) error
	// DeleteLocksUnder removes the locks rooted at key or below it, after
	// the resource was deleted or moved away (RFC 4918 §9.6.1, §9.9.4).
	DeleteLocksUnder(ctx context.Context, key string) error
}
