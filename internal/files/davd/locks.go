// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/preau/preau/internal/core"
)

// lockSystem is webdav.LockSystem with shared locks as well as exclusive
// ones (RFC 4918 §6.2): x/net/webdav's in-memory lock system and LOCK
// handler know only exclusive locks, so a shared LOCK is handled here
// (Handler.lockShared) and everything else (refresh, UNLOCK, the checks of
// every write) goes through x/net/webdav to this type. Locks live in memory:
// a restart releases them, like a server crash would (clients lock again).
//
// Paths are what each person sees (/home/… is their own space; /groups and
// /shared names depend on who asks), so locks compare canonical keys — the
// space and the path inside it, from files.Service.LockKey — while each
// lock keeps the root its client named, for the answers. The methods of
// webdav.LockSystem take keys; keyedLocks adapts them per request.
type lockSystem struct {
	mu    sync.Mutex
	locks map[string]*lock // by token
}

type lock struct {
	d      webdav.LockDetails // Root as the client named it
	key    string             // canonical root: what conflicts are decided on
	shared bool
	expiry time.Time // zero: infinite
	held   bool
}

func newLockSystem() *lockSystem { return &lockSystem{locks: map[string]*lock{}} }

func (s *lockSystem) expire(now time.Time) {
	for t, l := range s.locks {
		if !l.held && !l.expiry.IsZero() && !now.Before(l.expiry) {
			delete(s.locks, t)
		}
	}
}

// covers reports whether a lock rooted at root (zero depth or not) covers name.
func covers(root string, zeroDepth bool, name string) bool {
	if name == root {
		return true
	}
	return !zeroDepth && (root == "/" || strings.HasPrefix(name, root+"/"))
}

func (s *lockSystem) canCreate(key string, zeroDepth, shared bool) bool {
	for _, l := range s.locks {
		if shared && l.shared {
			continue
		}
		if covers(l.key, l.d.ZeroDepth, key) || covers(key, zeroDepth, l.key) {
			return false
		}
	}
	return true
}

func (s *lockSystem) add(now time.Time, d webdav.LockDetails, key string, shared bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	d.Root = path.Clean("/" + d.Root)
	if !s.canCreate(key, d.ZeroDepth, shared) {
		return "", webdav.ErrLocked
	}
	l := &lock{d: d, key: key, shared: shared}
	if d.Duration >= 0 {
		l.expiry = now.Add(d.Duration)
	}
	token := "opaquelocktoken:" + core.NewID()
	s.locks[token] = l
	return token, nil
}

// keyedLocks is the lock system as one request sees it: the paths of
// x/net/webdav become canonical keys through key.
type keyedLocks struct {
	s   *lockSystem
	key func(name string) string
}

// Create makes an exclusive lock.
func (k keyedLocks) Create(now time.Time, d webdav.LockDetails) (string, error) {
	return k.s.add(now, d, k.key(d.Root), false)
}

// CreateShared makes a shared lock.
func (k keyedLocks) CreateShared(now time.Time, d webdav.LockDetails) (string, error) {
	return k.s.add(now, d, k.key(d.Root), true)
}

// Confirm checks that every named resource that is locked is unlocked by a
// token of the conditions, and holds those locks for the request.
func (k keyedLocks) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	if name0 != "" {
		name0 = k.key(name0)
	}
	if name1 != "" {
		name1 = k.key(name1)
	}
	return k.s.confirm(now, name0, name1, conditions...)
}

// Refresh extends a lock.
func (k keyedLocks) Refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	return k.s.Refresh(now, token, d)
}

// Unlock removes a lock.
func (k keyedLocks) Unlock(now time.Time, token string) error { return k.s.Unlock(now, token) }

// confirm is Confirm over keys.
func (s *lockSystem) confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	var held []*lock
	for _, name := range []string{name0, name1} {
		if name == "" {
			continue
		}
		var found *lock
		for _, c := range conditions {
			l := s.locks[c.Token]
			if l == nil || l.held || c.Not {
				continue
			}
			if covers(l.key, l.d.ZeroDepth, name) {
				found = l
				break
			}
		}
		if found == nil {
			for _, l := range held {
				l.held = false
			}
			return nil, webdav.ErrConfirmationFailed
		}
		if !found.held {
			found.held = true
			held = append(held, found)
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, l := range held {
			l.held = false
		}
	}, nil
}

// Refresh extends a lock.
func (s *lockSystem) Refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	l := s.locks[token]
	if l == nil {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	if l.held {
		return webdav.LockDetails{}, webdav.ErrLocked
	}
	l.d.Duration = d
	l.expiry = time.Time{}
	if d >= 0 {
		l.expiry = now.Add(d)
	}
	return l.d, nil
}

// Unlock removes a lock.
func (s *lockSystem) Unlock(now time.Time, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	l := s.locks[token]
	if l == nil {
		return webdav.ErrNoSuchLock
	}
	if l.held {
		return webdav.ErrLocked
	}
	delete(s.locks, token)
	return nil
}

// lockInfo is a LOCK request body.
type lockInfo struct {
	XMLName   xml.Name  `xml:"DAV: lockinfo"`
	Exclusive *struct{} `xml:"DAV: lockscope>exclusive"`
	Shared    *struct{} `xml:"DAV: lockscope>shared"`
	Write     *struct{} `xml:"DAV: locktype>write"`
	Owner     struct {
		InnerXML string `xml:",innerxml"`
	} `xml:"DAV: owner"`
}

// parseTimeout reads a Timeout header: the first of "Second-N" or
// "Infinite" (-1), capped at a day; default infinite.
func parseTimeout(h string) time.Duration {
	for _, v := range strings.Split(h, ",") {
		v = strings.TrimSpace(v)
		if v == "Infinite" {
			return -1
		}
		if n, err := strconv.ParseUint(strings.TrimPrefix(v, "Second-"), 10, 32); err == nil && strings.HasPrefix(v, "Second-") {
			return min(time.Duration(n)*time.Second, 24*time.Hour)
		}
	}
	return -1
}

// lockShared answers a LOCK asking for a shared write lock; ok is false
// when the body asks something else (left to x/net/webdav).
func (h *Handler) lockShared(w http.ResponseWriter, r *http.Request, body []byte, fs *fileSystem, locks keyedLocks) bool {
	var li lockInfo
	if xml.Unmarshal(body, &li) != nil || li.Shared == nil || li.Exclusive != nil || li.Write == nil {
		return false
	}
	zero := false
	switch r.Header.Get("Depth") {
	case "", "infinity":
	case "0":
		zero = true
	default:
		http.Error(w, "Depth must be 0 or infinity", http.StatusBadRequest)
		return true
	}
	vp := davPath(r.URL.Path)
	d := webdav.LockDetails{Root: vp, Duration: parseTimeout(r.Header.Get("Timeout")), OwnerXML: li.Owner.InnerXML,
		ZeroDepth: zero}
	token, err := locks.CreateShared(time.Now(), d)
	if err != nil {
		http.Error(w, "Locked", http.StatusLocked)
		return true
	}
	status := http.StatusOK
	if _, err := fs.Stat(r.Context(), vp); err != nil {
		if !os.IsNotExist(err) {
			_ = h.locks.Unlock(time.Now(), token)
			writeError(w, err)
			return true
		}
		// RFC 4918 §9.10.4: locking an unmapped URL creates an empty resource.
		f, err := fs.OpenFile(r.Context(), vp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0)
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			_ = h.locks.Unlock(time.Now(), token)
			writeError(w, err)
			return true
		}
		status = http.StatusCreated
	}
	depth, timeout := "infinity", "Infinite"
	if zero {
		depth = "0"
	}
	if d.Duration >= 0 {
		timeout = fmt.Sprintf("Second-%d", d.Duration/time.Second)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>` +
		`<D:locktype><D:write/></D:locktype><D:lockscope><D:shared/></D:lockscope><D:depth>` + depth + `</D:depth>`)
	if d.OwnerXML != "" {
		b.WriteString(`<D:owner>` + d.OwnerXML + `</D:owner>`)
	}
	b.WriteString(`<D:timeout>` + timeout + `</D:timeout><D:locktoken><D:href>`)
	escape(&b, token)
	b.WriteString(`</D:href></D:locktoken><D:lockroot><D:href>`)
	escape(&b, Prefix+vp)
	b.WriteString(`</D:href></D:lockroot></D:activelock></D:lockdiscovery></D:prop>`)
	w.Header().Set("Lock-Token", "<"+token+">")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return true
}
