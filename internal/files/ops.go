// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Stat returns what a virtual path names.
func (s *Service) Stat(ctx context.Context, vpath string) (*Entry, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, err
	}
	return s.entry(t), nil
}

// List returns the entries of a folder, folders first then by name. Private
// items of others never appear. It reads no file content.
func (s *Service) List(ctx context.Context, vpath string) ([]*Entry, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, c, t)
}

func (s *Service) list(ctx context.Context, c *caller, t *target) ([]*Entry, error) {
	join := func(name string) string {
		if t.vpath == "/" {
			return "/" + name
		}
		return t.vpath + "/" + name
	}
	virtual := func(name string, lvl Level) *Entry {
		return &Entry{Path: join(name), Name: name, Dir: true, Virtual: true, Level: lvl, ETag: `"v-` + name + `"`}
	}
	switch t.virtual {
	case "/":
		return []*Entry{virtual("home", Manage), virtual("groups", Read), virtual("shared", Read)}, nil
	case "/groups":
		var out []*Entry
		seen := map[string]bool{}
		for _, g := range c.groups {
			n := GroupFolderName(g.Group)
			if !seen[n] {
				seen[n] = true
				out = append(out, virtual(n, groupLevel(g.Role, c.p)))
			}
		}
		return out, nil
	case "/shared":
		roots, err := s.sharedRoots(ctx, c)
		if err != nil {
			return nil, err
		}
		var out []*Entry
		for _, r := range roots {
			e := virtual(r.name, r.level)
			if r.node != nil {
				fillEntry(e, r.node)
			}
			e.Virtual = false
			out = append(out, e)
		}
		return out, nil
	}
	if n := t.node(); n != nil && !n.Dir {
		return nil, core.E("files.List", core.Invalid, "%s is a file, not a folder", t.vpath)
	}
	kids, err := s.st.ListChildren(ctx, t.space.ID, t.parentID())
	if err != nil {
		return nil, err
	}
	out := make([]*Entry, 0, len(kids))
	for _, k := range kids {
		priv := t.private || s.isPrivate(k.Name)
		if priv && !t.glass {
			owner := t.owner
			if !t.private {
				owner = k.CreatedBy
				if t.space.Kind == Personal {
					owner = t.space.Owner
				}
			}
			if owner != c.p.PersonID {
				continue
			}
		}
		e := &Entry{Path: join(k.Name), Name: k.Name, Level: t.level, Private: priv}
		if t.glass {
			e.Level = Read
		}
		fillEntry(e, k)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Entry) int {
		if a.Dir != b.Dir {
			if a.Dir {
				return -1
			}
			return 1
		}
		return compareNames(a.Name, b.Name)
	})
	return out, nil
}

func compareNames(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Open returns a reader over a file's content. Reading it whole from the
// start checks its SHA-256 at the end (a mismatch is an error, logged and
// journaled); a reader that seeks is not checked (the scrub is).
func (s *Service) Open(ctx context.Context, vpath string) (io.ReadSeekCloser, *Entry, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, nil, err
	}
	n := t.node()
	if n == nil || n.Dir {
		return nil, nil, core.E("files.Open", core.Invalid, "%s is a folder", t.vpath)
	}
	return s.openNode(ctx, t, n)
}

func (s *Service) openNode(ctx context.Context, t *target, n *Node) (io.ReadSeekCloser, *Entry, error) {
	if n.Size == 0 && n.BlobKey == "" {
		return nopSeekCloser{io.NewSectionReader(eofReaderAt{}, 0, 0)}, s.entry(t), nil
	}
	rc, err := s.openContent(ctx, n.BlobKey)
	if err != nil {
		return nil, nil, err
	}
	return &verifyReader{rc: rc, h: sha256.New(), want: n.SHA256, size: n.Size, onBad: func() {
		s.mismatch(context.WithoutCancel(ctx), t.space, n, "", "read")
	}}, s.entry(t), nil
}

type eofReaderAt struct{}

func (eofReaderAt) ReadAt([]byte, int64) (int, error) { return 0, io.EOF }

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }

// verifyReader hashes a sequential read from the start and checks it once
// the last byte is read. Seeks are lazy (http.ServeContent seeks to the end
// and back to learn the size): only a read from another position turns the
// check off.
type verifyReader struct {
	rc     io.ReadSeekCloser
	h      hash.Hash
	want   string
	size   int64
	pos    int64 // position of rc
	vpos   int64 // position asked by Seek
	off    bool  // read from elsewhere than the hashed prefix: no check
	onBad  func()
	failed bool
}

// ErrChecksum is returned at the end of a read whose content does not match
// the stored SHA-256.
var ErrChecksum = errors.New("stored file does not match its checksum")

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.vpos != v.pos {
		if _, err := v.rc.Seek(v.vpos, io.SeekStart); err != nil {
			return 0, err
		}
		v.pos, v.off = v.vpos, true
	}
	n, err := v.rc.Read(p)
	if !v.off {
		v.h.Write(p[:n])
	}
	v.pos += int64(n)
	v.vpos = v.pos
	if !v.off && !v.failed && (v.pos == v.size || err == io.EOF || v.pos > v.size) {
		if v.pos != v.size || hex.EncodeToString(v.h.Sum(nil)) != v.want {
			v.failed = true
			v.onBad()
			return n, core.Wrap("files.Read", core.Internal, ErrChecksum)
		}
		v.off = true // checked
	}
	return n, err
}

func (v *verifyReader) Seek(off int64, whence int) (int64, error) {
	var t int64
	switch whence {
	case io.SeekStart:
		t = off
	case io.SeekCurrent:
		t = v.vpos + off
	case io.SeekEnd:
		t = v.size + off
	default:
		return v.vpos, core.E("files.Seek", core.Invalid, "bad whence")
	}
	if t < 0 {
		return v.vpos, core.E("files.Seek", core.Invalid, "negative position")
	}
	v.vpos = t
	return t, nil
}

func (v *verifyReader) Close() error { return v.rc.Close() }

// blobKey names a new content object: files/<space>/<t1>/<t2>/<id>, where
// t1 and t2 are the first 4 and the next 4 hex digits of the time-ordered ID
// (a folder per 50 days, a subfolder per 65 seconds). Uploads arriving
// together land in the same folder and share its sync (fsblob's group
// commit of folder entries), and no folder grows beyond what 65 seconds of
// uploads put in it. No key is a prefix of another: every key has this
// depth, and the folders of the former layout (files/<space>/<2 hex>/<id>)
// have names of another length.
func blobKey(spaceID string) string {
	id := core.NewID()
	return "files/" + spaceID + "/" + id[:4] + "/" + id[4:8] + "/" + id
}

func etag(sum string, size int64, ns int64) string {
	return `"` + sum[:16] + "-" + strconv.FormatInt(size, 36) + "-" + strconv.FormatInt(ns, 36) + `"`
}

// writable resolves the parent of a path to create or replace, checking
// the caller may write there.
func (s *Service) writable(ctx context.Context, op, vpath string) (*caller, *target, string, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	t, name, err := s.resolve(ctx, c, vpath, true)
	if err != nil {
		return nil, nil, "", err
	}
	if t.space == nil || name == "" {
		return nil, nil, "", core.E(op, core.Permission, "nothing can be created in %s", t.vpath)
	}
	if t.glass || t.level < Write {
		return nil, nil, "", core.E(op, core.Permission, "you may not change %s", t.vpath)
	}
	if n := t.node(); n != nil && !n.Dir {
		return nil, nil, "", core.E(op, core.Conflict, "%s is a file, not a folder", t.vpath)
	}
	return c, t, name, nil
}

// PutOptions tune an upload.
type PutOptions struct {
	Size    int64  // announced length, -1 when unknown
	IfMatch string // the ETag the current content must have ("" : any)
	ModTime int64  // Unix seconds to keep as the modification time (0: now)
}

// Put stores the content read from r as the file at vpath, creating or
// replacing it. A content of at most Config.InlineMax bytes is written to
// the database in the transaction that publishes the node (its 201 follows
// that durable commit); a larger one streams into a new blob, synced before
// the node takes it; the quota is checked while streaming and again, atomically, in
// the transaction that publishes the node. An error leaves nothing visible
// and the usage unchanged. Errors: ErrQuota (wrapped, kind Conflict) beyond
// the quota, ErrInfected when the antivirus refuses the content.
func (s *Service) Put(ctx context.Context, vpath string, r io.Reader, o PutOptions) (*Entry, error) {
	const op = "files.Put"
	c, t, name, err := s.writable(ctx, op, vpath)
	stopNodeMemo(ctx) // from here on the request writes
	if err != nil {
		return nil, err
	}
	old := t.existing
	if !t.looked {
		if old, err = s.st.FindChild(ctx, t.space.ID, t.parentID(), name); err != nil && !core.IsKind(err, core.NotFound) {
			return nil, err
		}
	}
	if old != nil && old.Dir {
		return nil, core.E(op, core.Conflict, "%s is a folder", name)
	}
	if o.IfMatch != "" && (old == nil || old.ETag != o.IfMatch) {
		return nil, core.E(op, core.Conflict, "the file changed meanwhile (ETag mismatch)")
	}
	limit := s.limit(ctx, t.space)
	room := int64(-1)
	if limit > 0 {
		room = limit - t.space.Used
		if old != nil && s.keepVersions() == 0 {
			room += old.Size
		}
		if o.Size >= 0 && o.Size > room {
			return nil, quotaError(op, limit)
		}
	}
	src := r
	if room >= 0 {
		src = io.LimitReader(r, room+1)
	}
	var (
		key    string
		n      int64
		sum    string
		inline []byte
	)
	// A content that fits InlineMax (announced or not) goes to the
	// database with its node; a larger one streams to the blob store,
	// starting with what was read to find out.
	var head []byte
	if lim := s.inlineMax(); lim >= 0 && o.Size <= lim {
		bp, pooled := getBuf(lim)
		if pooled {
			defer bufPool.Put(bp)
		}
		m, ended, err := readSmall(src, (*bp)[:lim+1])
		if err != nil {
			return nil, core.Wrap(op, core.Invalid, fmt.Errorf("reading the upload: %w", err))
		}
		if room >= 0 && int64(m) > room {
			return nil, quotaError(op, limit)
		}
		if ended {
			inline = (*bp)[:m:m]
			h := sha256.Sum256(inline)
			key, n, sum = inlineKey(), int64(m), hex.EncodeToString(h[:])
			if err := s.scan(ctx, t, name, func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(inline)), nil
			}); err != nil {
				return nil, err
			}
		} else {
			head = (*bp)[:m]
		}
	}
	if inline == nil {
		key = blobKey(t.space.ID)
		w, err := s.blobs.Create(ctx, key)
		if err != nil {
			return nil, err
		}
		defer w.Close()
		h := sha256.New()
		mw := io.MultiWriter(w, h)
		if len(head) > 0 {
			if _, err := mw.Write(head); err != nil {
				return nil, err
			}
		}
		m, err := io.Copy(mw, src)
		if err != nil {
			return nil, core.Wrap(op, core.Invalid, fmt.Errorf("reading the upload: %w", err))
		}
		n = int64(len(head)) + m
		if room >= 0 && n > room {
			return nil, quotaError(op, limit)
		}
		if err := w.Commit(); err != nil {
			return nil, err
		}
		if err := s.scan(ctx, t, name, func() (io.ReadCloser, error) { return s.openContent(ctx, key) }); err != nil {
			s.dropBlob(ctx, key)
			return nil, err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	now := s.clock.Now().UTC()
	mt := now
	if o.ModTime > 0 {
		mt = unixTime(o.ModTime)
	}
	cm := &Commit{Space: t.space.ID, Parent: t.parentID(), Name: name, Limit: limit, KeepVersions: s.keepVersions(),
		IfMatch: o.IfMatch, Inline: inline, Node: Node{ID: core.NewID(), Size: n, SHA256: sum, BlobKey: key, ModTime: mt,
			ETag: etag(sum, n, now.UnixNano()), CreatedBy: c.p.PersonID}}
	node, freed, err := s.st.CommitFile(ctx, cm)
	if core.IsKind(err, core.Exists) {
		// Another upload created the same name meanwhile: replace it.
		node, freed, err = s.st.CommitFile(ctx, cm)
	}
	if err != nil {
		s.dropBlob(ctx, key)
		return nil, err
	}
	s.free(ctx, freed)
	s.warnQuotaAt(ctx, t.space, limit, cm.Used, cm.Warned)
	e := &Entry{Path: joinPath(t.vpath, name), Name: name, Level: t.level, Private: t.private}
	fillEntry(e, node)
	return e, nil
}

func quotaError(op string, limit int64) error {
	return &core.Error{Op: op, Kind: core.Conflict, Err: ErrQuota,
		Msg: fmt.Sprintf("not enough space: this upload would exceed the quota of %s", HumanSize(limit))}
}

// IsQuota reports whether err is a quota refusal.
func IsQuota(err error) bool { return errors.Is(err, ErrQuota) }

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// dropBlob deletes a blob no node took (inline content goes with the
// transaction that drops its last reference, see Store).
func (s *Service) dropBlob(ctx context.Context, key string) {
	if IsInline(key) {
		return
	}
	if err := s.deleteBlob(ctx, key); err != nil {
		s.log.Warn("deleting an unused blob failed", "key", key, "err", err)
	}
}

// deleteBlob deletes a blob-store object, even when ctx is cancelled
// after the change that freed it committed.
func (s *Service) deleteBlob(ctx context.Context, key string) error {
	return s.blobs.Delete(context.WithoutCancel(ctx), key)
}

// dropUnreferenced deletes the blob-store object key if nothing refers to
// it any more (Store.DropUnreferencedBlob) and reports whether it did.
func (s *Service) dropUnreferenced(ctx context.Context, key string) bool {
	dropped, err := s.st.DropUnreferencedBlob(ctx, key, func(ctx context.Context) error { return s.deleteBlob(ctx, key) })
	if err != nil {
		s.log.Warn("deleting an unused blob failed", "key", key, "err", err)
	}
	return dropped
}

// free deletes the blob-store objects among keys that nothing refers to
// any more (inline contents went with the change that freed them).
func (s *Service) free(ctx context.Context, keys []string) {
	for _, k := range keys {
		s.dropUnreferenced(ctx, k)
	}
}

// Mkdir creates a folder.
func (s *Service) Mkdir(ctx context.Context, vpath string) (*Entry, error) {
	const op = "files.Mkdir"
	c, t, name, err := s.writable(ctx, op, vpath)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	n := &Node{ID: core.NewID(), Space: t.space.ID, Parent: t.parentID(), Name: name, Dir: true, ModTime: now,
		ETag: `"d` + strconv.FormatInt(now.UnixNano(), 36) + `"`, CreatedBy: c.p.PersonID}
	if err := s.st.CreateDir(ctx, n); err != nil {
		return nil, err
	}
	e := &Entry{Path: joinPath(t.vpath, name), Name: name, Level: t.level, Private: t.private}
	fillEntry(e, n)
	return e, nil
}

// MkdirAll creates a folder and its missing parents.
func (s *Service) MkdirAll(ctx context.Context, vpath string) error {
	clean, err := CleanPath(vpath)
	if err != nil {
		return err
	}
	comps := split(clean)
	for i := 2; i <= len(comps); i++ {
		p := "/" + joinComps(comps[:i])
		if e, err := s.Stat(ctx, p); err == nil {
			if !e.Dir {
				return core.E("files.MkdirAll", core.Conflict, "%s is a file", p)
			}
			continue
		}
		if _, err := s.Mkdir(ctx, p); err != nil && !core.IsKind(err, core.Exists) {
			return err
		}
	}
	return nil
}

func joinComps(c []string) string {
	out := ""
	for i, x := range c {
		if i > 0 {
			out += "/"
		}
		out += x
	}
	return out
}

// Remove moves a file or folder to its space's trash. Removals outside
// personal spaces are journaled (UTI-ESF-11).
func (s *Service) Remove(ctx context.Context, vpath string) error {
	const op = "files.Remove"
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return err
	}
	n := t.node()
	if n == nil || len(t.chain) <= t.base || t.space == nil {
		return core.E(op, core.Permission, "%s cannot be deleted", t.vpath)
	}
	if t.glass || t.level < Write {
		return core.E(op, core.Permission, "you may not delete %s", t.vpath)
	}
	var e *journal.Entry
	if t.space.Kind != Personal {
		e = &journal.Entry{Chain: t.space.Establishment, Action: "files.remove", TargetType: "file",
			TargetID: n.ID, TargetName: t.space.Name + t.spacePath()}
	}
	return s.st.TrashNode(ctx, n.ID, c.p.PersonID, e)
}

// subtreePrivate reports whether n or a node below it is private.
func (s *Service) subtreePrivate(ctx context.Context, n *Node) (bool, error) {
	if s.isPrivate(n.Name) {
		return true, nil
	}
	if !n.Dir {
		return false, nil
	}
	kids, err := s.st.FindChildren(ctx, n.Space, n.ID)
	if err != nil {
		return false, err
	}
	for _, k := range kids {
		if p, err := s.subtreePrivate(ctx, k); err != nil || p {
			return p, err
		}
	}
	return false, nil
}

// transfer checks a move or copy and resolves both ends.
func (s *Service) transfer(ctx context.Context, op, from, to string, overwrite bool) (*caller, *target, *target,
	string, *Node, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	src, _, err := s.resolve(ctx, c, from, false)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	n := src.node()
	if n == nil || len(src.chain) <= src.base || src.glass {
		return nil, nil, nil, "", nil, core.E(op, core.Permission, "%s cannot be moved or copied", src.vpath)
	}
	_, dst, name, err := s.writable(ctx, op, to)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	if dst.space.ID == src.space.ID && slices.ContainsFunc(dst.chain, func(x *Node) bool { return x.ID == n.ID }) {
		return nil, nil, nil, "", nil, core.E(op, core.Invalid, "a folder cannot go inside itself")
	}
	// Private content stays in its owner's personal space (UTI-ESF-6).
	if dst.space.Kind != Personal || dst.space.Owner != c.p.PersonID {
		priv := src.private
		if !priv {
			if priv, err = s.subtreePrivate(ctx, n); err != nil {
				return nil, nil, nil, "", nil, err
			}
		}
		if priv || s.isPrivate(name) {
			return nil, nil, nil, "", nil, &core.Error{Op: op, Kind: core.Permission, Err: ErrPrivate,
				Msg: "private (PERSONNEL/PRIVÉ) content cannot be moved or copied out of its owner's personal space"}
		}
	}
	return c, src, dst, name, n, nil
}

// replaced returns the live node at the destination, refusing it unless
// overwrite.
func (s *Service) replaced(ctx context.Context, op string, dst *target, name string, overwrite bool) (string, error) {
	old, err := s.st.FindChild(ctx, dst.space.ID, dst.parentID(), name)
	if core.IsKind(err, core.NotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !overwrite {
		return "", core.E(op, core.Exists, "%s already exists", joinPath(dst.vpath, name))
	}
	return old.ID, nil
}

// Move renames or moves a file or folder. With overwrite, a file or folder
// already at the destination goes to the trash.
func (s *Service) Move(ctx context.Context, from, to string, overwrite bool) (created bool, err error) {
	const op = "files.Move"
	c, src, dst, name, n, err := s.transfer(ctx, op, from, to, overwrite)
	if err != nil {
		return false, err
	}
	if src.level < Write {
		return false, core.E(op, core.Permission, "you may not move %s", src.vpath)
	}
	repl, err := s.replaced(ctx, op, dst, name, overwrite)
	if err != nil {
		return false, err
	}
	if repl == n.ID {
		return false, nil
	}
	m := &Move{NodeID: n.ID, FromSpace: src.space.ID, ToSpace: dst.space.ID, ToParent: dst.parentID(), ToName: name,
		Replace: repl, By: c.p.PersonID}
	if dst.space.ID != src.space.ID {
		m.Limit = s.limit(ctx, dst.space)
	}
	if err := s.st.MoveNode(ctx, m); err != nil {
		return false, err
	}
	return repl == "", nil
}

// Copy copies a file or folder (with its content unless depth0), sharing
// content blobs.
func (s *Service) Copy(ctx context.Context, from, to string, overwrite, depth0 bool) (created bool, err error) {
	const op = "files.Copy"
	c, _, dst, name, n, err := s.transfer(ctx, op, from, to, overwrite)
	if err != nil {
		return false, err
	}
	repl, err := s.replaced(ctx, op, dst, name, overwrite)
	if err != nil {
		return false, err
	}
	if repl == n.ID {
		return false, nil
	}
	_, err = s.st.CopyTree(ctx, &CopyOp{NodeID: n.ID, ToSpace: dst.space.ID, ToParent: dst.parentID(), ToName: name,
		Replace: repl, Limit: s.limit(ctx, dst.space), By: c.p.PersonID, Depth0: depth0})
	if err != nil {
		return false, err
	}
	return repl == "", nil
}

// Quota returns the quota of the space vpath lies in (nil for a virtual
// folder).
func (s *Service) Quota(ctx context.Context, vpath string) (*Quota, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, err
	}
	if t.space == nil {
		return nil, nil
	}
	sp, err := s.st.FindSpace(ctx, t.space.ID)
	if err != nil {
		return nil, err
	}
	return &Quota{Used: sp.Used, Limit: s.limit(ctx, sp)}, nil
}

// HumanSize writes a size for people: "1.5 Gio" style units in French
// practice are written here with binary prefixes.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// scan runs the antivirus over a content not yet visible (a committed blob
// or the bytes of an inline one) before its node is committed.
func (s *Service) scan(ctx context.Context, t *target, name string, open func() (io.ReadCloser, error)) error {
	if s.av == nil {
		return nil
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	err = s.av.Scan(ctx, rc)
	if errors.Is(err, ErrInfected) {
		e := journal.Entry{Chain: t.space.Establishment, Action: "files.upload.infected", TargetType: "file",
			TargetName: name, Result: journal.Refused, Reason: core.MessageOf(err)}
		e.SetActor(core.PrincipalFromContext(ctx))
		if jerr := s.st.Journal(ctx, e); jerr != nil {
			s.log.Error("journaling an infected upload failed", "err", jerr)
		}
		return &core.Error{Op: "files.Put", Kind: core.Invalid, Err: err,
			Msg: "the antivirus found malware in this file; it was not stored (" + core.MessageOf(err) + ")"}
	}
	return err
}

var _ = blob.Put

// LockKey returns the canonical name of what vpath names for the caller,
// for WebDAV locks: the space and the path inside it, so that two people's
// /home/notes.txt never conflict while a group's file locked through
// /groups/… or /shared/… does, whoever names it. A path that does not
// exist yet takes its parent's key plus its name; a virtual folder, or a
// path that cannot be resolved, stays the caller's own.
func (s *Service) LockKey(ctx context.Context, vpath string) string {
	c, err := s.caller(ctx)
	if err != nil {
		return "caller:?" + vpath
	}
	key := func(t *target, name string) string {
		if t.space == nil {
			return "person:" + c.p.PersonID + t.vpath
		}
		var b strings.Builder
		b.WriteString("space:" + t.space.ID)
		for _, n := range t.chain {
			b.WriteString("/" + n.Name)
		}
		if name != "" {
			b.WriteString("/" + name)
		}
		return b.String()
	}
	if t, _, err := s.resolve(ctx, c, vpath, false); err == nil {
		return key(t, "")
	}
	if t, name, err := s.resolve(ctx, c, vpath, true); err == nil {
		return key(t, name)
	}
	return "person:" + c.p.PersonID + vpath
}
