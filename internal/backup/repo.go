// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/core"
)

// RepoConfig is the repository's "config" object, written once at creation.
type RepoConfig struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`      // 32 hex digits, random
	Created time.Time `json:"created"` // UTC
	// SecretCheck is HMAC-SHA-256(dedup key, "preau-backup-secret-check"):
	// it tells which dedup key the chunk IDs use, and nothing about it.
	SecretCheck string `json:"secret_check"`
}

// KeyFile is a "keys" object: the dedup secret wrapped for age recipients.
type KeyFile struct {
	Version    int      `json:"version"`
	Recipients []string `json:"recipients"` // public, sorted
	Secret     []byte   `json:"secret"`     // age file of Secret's JSON
}

const maxSmallObject = 1 << 20

func secretCheck(s *Secret) string {
	m := hmac.New(sha256.New, s.IDKey)
	m.Write([]byte("preau-backup-secret-check"))
	return hex.EncodeToString(m.Sum(nil))
}

// ParseRepoConfig decodes and validates a config object.
func ParseRepoConfig(b []byte) (*RepoConfig, error) {
	var c RepoConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, core.E("backup.ParseRepoConfig", core.Invalid, "repository config: %v", err)
	}
	if c.Version != 1 || len(c.ID) != 32 || len(c.SecretCheck) != 64 {
		return nil, core.E("backup.ParseRepoConfig", core.Invalid, "repository config: unknown version or malformed fields")
	}
	return &c, nil
}

// ParseKeyFile decodes a keys object.
func ParseKeyFile(b []byte) (*KeyFile, error) {
	var k KeyFile
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, core.E("backup.ParseKeyFile", core.Invalid, "key file: %v", err)
	}
	if k.Version != 1 || len(k.Secret) == 0 || len(k.Recipients) == 0 {
		return nil, core.E("backup.ParseKeyFile", core.Invalid, "key file: unknown version or empty")
	}
	return &k, nil
}

// Repo is an open repository.
type Repo struct {
	be     Backend
	Config RepoConfig
	secret *Secret
	rs     []age.Recipient
	idx    *Index
	keys   keyCache
}

// Backend returns the repository's storage.
func (r *Repo) Backend() Backend { return r.be }

// Index returns the loaded index.
func (r *Repo) Index() *Index { return r.idx }

// Open opens an existing repository without any key: enough to list,
// check ciphertext integrity and prune.
func Open(ctx context.Context, be Backend) (*Repo, error) {
	b, err := loadAll(ctx, be, Handle{KindConfig, "config"}, maxSmallObject)
	if err != nil {
		if core.KindOf(err) == core.NotFound {
			return nil, core.E("backup.Open", core.NotFound, "no Préau backup repository here (no config object)")
		}
		return nil, err
	}
	c, err := ParseRepoConfig(b)
	if err != nil {
		return nil, err
	}
	r := &Repo{be: be, Config: *c}
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// OpenForBackup opens the repository for writing with the server's dedup
// secret and the recipients packs are wrapped for, creating it when the
// backend is empty. It refuses a repository made with another dedup key.
func OpenForBackup(ctx context.Context, be Backend, s *Secret, rs []age.Recipient, now time.Time) (*Repo, error) {
	const op = "backup.OpenForBackup"
	if len(rs) == 0 {
		return nil, core.E(op, core.Invalid, "no recipient to encrypt backups for: set up the recovery key first")
	}
	r, err := Open(ctx, be)
	if core.KindOf(err) == core.NotFound {
		id := make([]byte, 16)
		rand.Read(id)
		c := RepoConfig{Version: 1, ID: hex.EncodeToString(id), Created: now.UTC(), SecretCheck: secretCheck(s)}
		b, _ := json.Marshal(c)
		if err := be.Save(ctx, Handle{KindConfig, "config"}, b); err != nil && !errors.Is(err, ErrExists) {
			return nil, err
		}
		r, err = Open(ctx, be)
	}
	if err != nil {
		return nil, err
	}
	if r.Config.SecretCheck != secretCheck(s) {
		return nil, core.E(op, core.Conflict, "this repository was made with another deployment's dedup key; use a new repository")
	}
	r.secret, r.rs = s, rs
	if err := r.ensureKeyFile(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func recipientNames(rs []age.Recipient) []string {
	var out []string
	for _, x := range rs {
		if s, ok := x.(fmt.Stringer); ok {
			out = append(out, s.String())
		}
	}
	sort.Strings(out)
	return out
}

// ensureKeyFile stores the dedup secret wrapped for the current recipients,
// unless a key file for exactly these recipients exists.
func (r *Repo) ensureKeyFile(ctx context.Context) error {
	want := strings.Join(recipientNames(r.rs), "\n")
	found := false
	err := r.be.List(ctx, KindKeys, func(name string, _ int64) error {
		b, err := loadAll(ctx, r.be, Handle{KindKeys, name}, maxSmallObject)
		if err != nil {
			return nil
		}
		if k, err := ParseKeyFile(b); err == nil && strings.Join(k.Recipients, "\n") == want {
			found = true
		}
		return nil
	})
	if err != nil || found {
		return err
	}
	w, err := wrap(r.secret.Marshal(), r.rs)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(KeyFile{Version: 1, Recipients: recipientNames(r.rs), Secret: w})
	err = r.be.Save(ctx, Handle{KindKeys, Hash(b).String()}, b)
	if errors.Is(err, ErrExists) {
		return nil
	}
	return err
}

// Unlock recovers the dedup secret with a recovery key, so that restored
// chunks can be checked against their IDs. It fails when no key file opens
// with the identities.
func (r *Repo) Unlock(ctx context.Context, ids []age.Identity) error {
	const op = "backup.Unlock"
	var found *Secret
	err := r.be.List(ctx, KindKeys, func(name string, _ int64) error {
		if found != nil {
			return nil
		}
		b, err := loadAll(ctx, r.be, Handle{KindKeys, name}, maxSmallObject)
		if err != nil {
			return nil
		}
		k, err := ParseKeyFile(b)
		if err != nil {
			return nil
		}
		plain, err := unwrap(k.Secret, ids)
		if err != nil {
			return nil
		}
		if s, err := ParseSecret(plain); err == nil && secretCheck(s) == r.Config.SecretCheck {
			found = s
		}
		return nil
	})
	if err != nil {
		return err
	}
	if found == nil {
		return core.E(op, core.Permission, "the recovery key does not open this repository")
	}
	r.secret = found
	r.keys.ids = ids
	return nil
}

// LoadIndex (re)reads every index object.
func (r *Repo) LoadIndex(ctx context.Context) error {
	x := newIndex()
	err := r.be.List(ctx, KindIndex, func(name string, _ int64) error {
		id, err := ParseID(name)
		if err != nil {
			return nil
		}
		b, err := loadAll(ctx, r.be, Handle{KindIndex, name}, maxIndexFile)
		if err != nil {
			return err
		}
		if Hash(b) != id {
			return core.E("backup.LoadIndex", core.Invalid, "index %s: content does not match its name", id.Short())
		}
		f, err := ParseIndex(b)
		if err != nil {
			return err
		}
		x.addFile(id, f)
		return nil
	})
	if err != nil {
		return err
	}
	r.idx = x
	return nil
}

// SnapshotRef is a stored snapshot and its name.
type SnapshotRef struct {
	ID ID
	*Snapshot
}

// Snapshots lists the repository's snapshots, oldest first. Objects that do
// not parse are returned in bad.
func (r *Repo) Snapshots(ctx context.Context) (snaps []SnapshotRef, bad []string, err error) {
	err = r.be.List(ctx, KindSnapshot, func(name string, _ int64) error {
		id, _ := ParseID(name)
		b, err := loadAll(ctx, r.be, Handle{KindSnapshot, name}, maxSnapshotFile)
		if err != nil {
			bad = append(bad, name+": "+err.Error())
			return nil
		}
		if Hash(b) != id {
			bad = append(bad, name+": content does not match its name")
			return nil
		}
		s, err := ParseSnapshot(b)
		if err != nil {
			bad = append(bad, name+": "+err.Error())
			return nil
		}
		snaps = append(snaps, SnapshotRef{id, s})
		return nil
	})
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Time.Before(snaps[j].Time) })
	return snaps, bad, err
}

// FindSnapshot returns the snapshot whose ID starts with prefix, or the
// latest one when prefix is "" or "latest". at, when not zero, picks the
// latest snapshot taken at or before that time.
func (r *Repo) FindSnapshot(ctx context.Context, prefix string, at time.Time) (SnapshotRef, error) {
	snaps, _, err := r.Snapshots(ctx)
	if err != nil {
		return SnapshotRef{}, err
	}
	var found []SnapshotRef
	for _, s := range snaps {
		switch {
		case prefix == "" || prefix == "latest":
			if at.IsZero() || !s.Time.After(at) {
				found = []SnapshotRef{s}
			}
		case strings.HasPrefix(s.ID.String(), strings.ToLower(prefix)):
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return SnapshotRef{}, core.E("backup.FindSnapshot", core.NotFound, "no snapshot matches %q", prefix)
	}
	if len(found) > 1 {
		return SnapshotRef{}, core.E("backup.FindSnapshot", core.Invalid, "%q matches several snapshots; give more digits", prefix)
	}
	return found[0], nil
}

// packKey returns a pack's data key, unwrapping it with the recovery key.
func (r *Repo) packKey(ctx context.Context, pack ID) ([]byte, error) {
	if k := r.keys.get(pack); k != nil {
		return k, nil
	}
	if len(r.keys.ids) == 0 {
		return nil, core.E("backup.packKey", core.Permission, "reading backup content needs the recovery key")
	}
	h := Handle{KindData, pack.String()}
	rc, err := r.be.Load(ctx, h, 0, int64(len(packMagic))+4)
	if err != nil {
		return nil, err
	}
	head, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	if len(head) < len(packMagic)+4 || string(head[:len(packMagic)]) != packMagic {
		return nil, core.E("backup.packKey", core.Invalid, "pack %s: bad magic", pack.Short())
	}
	n := int64(binary.BigEndian.Uint32(head[len(packMagic):]))
	if n == 0 || n > maxWrappedKey {
		return nil, core.E("backup.packKey", core.Invalid, "pack %s: bad header", pack.Short())
	}
	rc, err = r.be.Load(ctx, h, int64(len(packMagic))+4, n)
	if err != nil {
		return nil, err
	}
	wrapped, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	k, err := unwrap(wrapped, r.keys.ids)
	if err != nil || len(k) != 32 {
		return nil, core.E("backup.packKey", core.Permission, "pack %s: the recovery key does not open its data key", pack.Short())
	}
	r.keys.put(pack, k)
	return k, nil
}

// LoadBlob reads, authenticates, decrypts and checks one blob: its keyed
// hash must equal its ID. It needs Unlock first.
func (r *Repo) LoadBlob(ctx context.Context, id ID) ([]byte, error) {
	const op = "backup.LoadBlob"
	loc, ok := r.idx.Lookup(id)
	if !ok {
		return nil, core.E(op, core.NotFound, "blob %s is in no index", id.Short())
	}
	key, err := r.packKey(ctx, loc.Pack)
	if err != nil {
		return nil, err
	}
	rc, err := r.be.Load(ctx, Handle{KindData, loc.Pack.String()}, int64(loc.Offset), int64(loc.Length))
	if err != nil {
		return nil, err
	}
	stored, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	if len(stored) != int(loc.Length) {
		return nil, core.E(op, core.Invalid, "pack %s is truncated", loc.Pack.Short())
	}
	plain, err := openBlob(key, loc.Type, id, stored, loc.RawLength)
	if err != nil {
		return nil, err
	}
	if r.secret == nil || r.secret.ChunkID(plain) != id {
		return nil, core.E(op, core.Invalid, "blob %s: content does not match its ID", id.Short())
	}
	return plain, nil
}

// Listing decrypts a snapshot's listing of paths.
func (r *Repo) Listing(ctx context.Context, s *Snapshot) ([]Node, error) {
	var buf bytes.Buffer
	for _, id := range s.Tree {
		b, err := r.LoadBlob(ctx, id)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	return ParseListing(buf.Bytes())
}

// ParseListing decodes a snapshot listing: JSON lines of Node, sorted by
// path, with clean relative paths.
func ParseListing(b []byte) ([]Node, error) {
	const op = "backup.ParseListing"
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []Node
	for {
		var n Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, core.E(op, core.Invalid, "listing: %v", err)
		}
		if !validPath(n.Path) || (n.Type != "file" && n.Type != "dir") || n.Size < 0 {
			return nil, core.E(op, core.Invalid, "listing: bad entry %q", n.Path)
		}
		if len(out) > 0 && out[len(out)-1].Path >= n.Path {
			return nil, core.E(op, core.Invalid, "listing: paths not sorted and unique at %q", n.Path)
		}
		out = append(out, n)
	}
	return out, nil
}

func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return false
	}
	for _, s := range strings.Split(p, "/") {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

// lock marks a running writer. A backup or a prune refuses to start while
// another one holds a fresh lock on the repository; the holder refreshes
// its lock every lockRefresh, so a lock older than lockStale was left by a
// process that died (kill -9, power cut). A lock of a process of this host
// that no longer runs is stale at once.
var (
	lockStale   = 30 * time.Minute
	lockRefresh = 5 * time.Minute
)

type lockInfo struct {
	Time time.Time `json:"time"`
	Host string    `json:"host"`
	PID  int       `json:"pid"`
	Op   string    `json:"op"`
	name string
}

// ErrLocked is wrapped by the error of a run refused because another one
// holds the repository.
var ErrLocked = errors.New("the repository is locked by another run")

func lockedErr(op string, l lockInfo) error {
	return core.Wrap(op, core.Conflict, fmt.Errorf("%w: a %s started at %s on %s (pid %d) is running on this repository; "+
		"wait for it to finish (a lock left by a stopped process expires %s after its last refresh)",
		ErrLocked, l.Op, l.Time.UTC().Format(time.RFC3339), l.Host, l.PID, lockStale))
}

func (r *Repo) saveLock(ctx context.Context, op string) (Handle, error) {
	host, _ := os.Hostname()
	nonce := make([]byte, 8)
	rand.Read(nonce)
	b, _ := json.Marshal(struct {
		lockInfo
		Nonce string `json:"nonce"`
	}{lockInfo{Time: time.Now().UTC(), Host: host, PID: os.Getpid(), Op: op}, hex.EncodeToString(nonce)})
	h := Handle{KindLock, Hash(b).String()}
	return h, r.be.Save(ctx, h, b)
}

// lock takes the repository for op (backup, prune): it refuses when
// another backup or prune holds a fresh lock, and when two start at once
// the later lock gives way. The returned function releases it.
func (r *Repo) lock(ctx context.Context, op string, _ time.Time) (func(), error) {
	const errOp = "backup.lock"
	fresh, err := r.freshLocks(ctx, time.Now(), true)
	if err != nil {
		return nil, err
	}
	if len(fresh) > 0 {
		return nil, lockedErr(errOp, fresh[0])
	}
	h, err := r.saveLock(ctx, op)
	if err != nil {
		return nil, err
	}
	// Two runs that checked at the same moment both wrote a lock: the one
	// with the earlier (time, name) keeps the repository.
	fresh, err = r.freshLocks(ctx, time.Now(), false)
	if err != nil {
		_ = r.be.Remove(context.WithoutCancel(ctx), h)
		return nil, err
	}
	var mine lockInfo
	for _, l := range fresh {
		if l.name == h.Name {
			mine = l
		}
	}
	for _, l := range fresh {
		if l.name != h.Name && (l.Time.Before(mine.Time) || (l.Time.Equal(mine.Time) && l.name < h.Name)) {
			_ = r.be.Remove(context.WithoutCancel(ctx), h)
			return nil, lockedErr(errOp, l)
		}
	}
	done := make(chan struct{})
	var mu sync.Mutex
	cur := h
	go func() {
		t := time.NewTicker(lockRefresh)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				nh, err := r.saveLock(context.WithoutCancel(ctx), op)
				if err != nil {
					continue
				}
				mu.Lock()
				old := cur
				cur = nh
				mu.Unlock()
				_ = r.be.Remove(context.WithoutCancel(ctx), old)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			mu.Lock()
			defer mu.Unlock()
			_ = r.be.Remove(context.WithoutCancel(ctx), cur)
		})
	}, nil
}

// freshLocks returns the locks younger than lockStale, removing stale ones
// when clean is set.
func (r *Repo) freshLocks(ctx context.Context, now time.Time, clean bool) ([]lockInfo, error) {
	var fresh []lockInfo
	err := r.be.List(ctx, KindLock, func(name string, _ int64) error {
		b, err := loadAll(ctx, r.be, Handle{KindLock, name}, 4096)
		if err != nil {
			return nil
		}
		var l lockInfo
		if json.Unmarshal(b, &l) != nil || now.Sub(l.Time) > lockStale || deadHere(l) {
			if clean {
				_ = r.be.Remove(ctx, Handle{KindLock, name})
			}
			return nil
		}
		l.name = name
		fresh = append(fresh, l)
		return nil
	})
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].Time.Before(fresh[j].Time) })
	return fresh, err
}

// deadHere reports whether a lock was left by a process of this host that
// no longer runs.
func deadHere(l lockInfo) bool {
	host, _ := os.Hostname()
	if l.Host != host || l.PID <= 0 || l.PID == os.Getpid() {
		return false
	}
	return !processAlive(l.PID)
}
