// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package files is the storage service (CARINE UTI-ESF): a personal space
// per person, a space per class or group, an establishment-wide documents
// space, shares and ACLs on folders, quotas, versions and a trash, homework
// distribution and collection, and integrity checks.
//
// # Model
//
// A [Space] holds a tree of [Node]s kept in SQL (internal/store); a file's
// content is one immutable object of the blob store (internal/blob) named
// by a random key, with its SHA-256 kept on the node. An upload streams into
// a new blob, which is synced and committed first; the node then takes the
// new key in one SQL transaction that also checks and moves the space's
// quota. A crash (kill -9) in between leaves only an unreferenced blob,
// never a partial file, and the quota counts only committed nodes; the
// scrub removes such orphans.
//
// Copies (homework distribution, COPY) share the blob: a blob is deleted
// when no node and no version refers to it any more.
//
// # Namespace
//
// Every caller (WebDAV, the web file manager, the CLI) names things by a
// virtual path:
//
//	/home/…                   the caller's personal space
//	/groups/                  one folder per group space the caller belongs to, named after the group code
//	/groups/<code>/…
//	/shared/                  the establishment documents and the folders others share with the caller
//	/shared/<name>/…
//
// # Private content (UTI-ESF-6, UTI-ESF-8)
//
// A path with a component that core.IsPrivate recognises (PERSONNEL, PRIVÉ
// …) is owner-only for its whole subtree: nobody else sees it in a listing,
// opens it, shares it or moves it, whatever their ACL, profile or role. An
// administrator reaches a person's content only through break-glass
// ([Authorizer]), read-only and journaled there. The owner cannot share a
// private folder nor move it into a shared space.
//
// This is a domain package: it imports neither database/sql nor net/http.
package files

import (
	"errors"
	"mime"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// SpaceKind says whose a space is.
type SpaceKind string

// Space kinds. The string values are stored.
const (
	Personal      SpaceKind = "personal"
	GroupSpace    SpaceKind = "group"
	Establishment SpaceKind = "establishment"
)

// Space is one tree of files with its quota.
type Space struct {
	ID            string
	Establishment string
	Kind          SpaceKind
	Owner         string // person, group or establishment ID
	Name          string // login, group code or UAI
	Quota         int64  // an individual override in bytes; 0: the default
	Used          int64  // live files + trash + versions, in bytes
	Warned        int    // last quota warning sent (0, 80, 95)
	CreatedAt     time.Time
}

// Node is a folder or a file.
type Node struct {
	ID        string
	Space     string
	Parent    string // "" at the root of the space
	Name      string
	Dir       bool
	Size      int64
	SHA256    string // hex, files only
	BlobKey   string // files only
	ModTime   time.Time
	ETag      string
	CreatedBy string // person ID
	TrashedAt time.Time
	TrashedBy string
}

// Version is a previous content of a file.
type Version struct {
	ID        string
	Node      string
	Size      int64
	SHA256    string
	BlobKey   string
	ModTime   time.Time
	CreatedAt time.Time
	CreatedBy string
}

// Level is what a person may do in a folder.
type Level int

// Levels, in increasing order.
const (
	None   Level = iota
	Read         // list and read
	Write        // also create, change, delete
	Manage       // also share and change ACLs
)

var levelNames = [...]string{"none", "read", "write", "manage"}

func (l Level) String() string {
	if l >= None && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "none"
}

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if s == n {
			return Level(i), nil
		}
	}
	return None, core.E("files.ParseLevel", core.Invalid, "unknown access level %q (read, write or manage)", s)
}

// Grantee kinds of an ACL.
const (
	GranteePerson = "person"
	GranteeGroup  = "group"
)

// ACL gives a person or a group a level on a folder and its subtree.
type ACL struct {
	Node        string
	GranteeKind string // GranteePerson or GranteeGroup
	GranteeID   string
	Level       Level
	GrantedBy   string
	GrantedAt   time.Time
}

// Membership is a group the person belongs to, as files needs it.
type Membership struct {
	GroupID       string
	Establishment string
	Code          string
	Name          string
	Kind          string
	Role          string // member, owner
}

// Entry is what a caller sees of a folder or file.
type Entry struct {
	Path        string // virtual path, "/home/a/b.txt"
	Name        string
	Dir         bool
	Size        int64
	ModTime     time.Time
	ETag        string
	SHA256      string
	ContentType string
	Level       Level // what the caller may do here
	Private     bool  // under a PERSONNEL/PRIVÉ component
	NodeID      string
	Virtual     bool // a folder of the namespace (/, /groups, /shared), not stored
}

// Quota is a space's usage as a caller sees it.
type Quota struct {
	Used  int64
	Limit int64 // bytes; <= 0 unlimited
}

// Available returns the bytes left, or -1 when unlimited.
func (q Quota) Available() int64 {
	if q.Limit <= 0 {
		return -1
	}
	return max(q.Limit-q.Used, 0)
}

// Percent returns the usage in percent of the limit (0 when unlimited).
func (q Quota) Percent() int {
	if q.Limit <= 0 {
		return 0
	}
	return int(q.Used * 100 / q.Limit)
}

// Errors callers test with errors.Is.
var (
	// ErrQuota: the change would cross the space's quota (WebDAV 507).
	ErrQuota = errors.New("quota exceeded")
	// ErrLocked: a WebDAV lock of someone else stands in the way (423).
	ErrLocked = errors.New("locked")
	// ErrPrivate: the item is private (PERSONNEL/PRIVÉ) and the change would expose it.
	ErrPrivate = errors.New("private item")
	// ErrInfected: the antivirus found malware in an upload.
	ErrInfected = errors.New("infected upload")
)

// Limits on names and paths.
const (
	MaxName  = 255
	MaxDepth = 64
)

// ContentType guesses a file's type from its name (never from its content:
// a listing reads no content).
func ContentType(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ValidName returns nil if name may name a file or folder, or a core.Invalid
// error saying what is wrong.
func ValidName(name string) error {
	const op = "files.ValidName"
	switch {
	case name == "" || name == "." || name == "..":
		return core.E(op, core.Invalid, "a name cannot be empty, '.' or '..'")
	case len(name) > MaxName:
		return core.E(op, core.Invalid, "a name is at most %d bytes long", MaxName)
	case !utf8.ValidString(name):
		return core.E(op, core.Invalid, "a name must be valid UTF-8")
	case strings.ContainsAny(name, "/\\\x00"):
		return core.E(op, core.Invalid, "a name cannot contain '/', '\\' or NUL")
	case strings.TrimSpace(name) != name && strings.TrimSpace(name) == "":
		return core.E(op, core.Invalid, "a name cannot be only spaces")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return core.E(op, core.Invalid, "a name cannot contain control characters")
		}
	}
	return nil
}

// CleanPath turns a client's path into the canonical virtual path: a
// leading slash, no trailing slash (but "/" itself), no empty, "." or ".."
// components escaping the root, every component a valid name. It refuses
// what cannot be cleaned rather than guessing.
func CleanPath(p string) (string, error) {
	const op = "files.CleanPath"
	if !utf8.ValidString(p) {
		return "", core.E(op, core.Invalid, "the path is not valid UTF-8")
	}
	if strings.ContainsRune(p, 0) || strings.ContainsRune(p, '\\') {
		return "", core.E(op, core.Invalid, "the path contains NUL or a backslash")
	}
	var out []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(out) == 0 {
				return "", core.E(op, core.Invalid, "the path climbs above the root")
			}
			out = out[:len(out)-1]
			continue
		}
		if err := ValidName(c); err != nil {
			return "", err
		}
		out = append(out, c)
	}
	if len(out) > MaxDepth {
		return "", core.E(op, core.Invalid, "the path is deeper than %d folders", MaxDepth)
	}
	return "/" + strings.Join(out, "/"), nil
}

// split returns the components of a clean path.
func split(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
