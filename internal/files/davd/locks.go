// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// keyedLocks is webdav.LockSystem over the store's locks (files.LockStore),
// as one request sees it: every node behind a load balancer sees the locks
// any node granted (design §5). It also knows shared locks (RFC 4918 §6.2):
// x/net/webdav's LOCK handler knows only exclusive ones, so a shared LOCK is
// handled here (Handler.lockShared) and everything else (refresh, UNLOCK,
// the checks of every write) goes through x/net/webdav to this type.
//
// Paths are what each person sees (/home/… is their own space; /groups and
// /shared names depend on who asks), so locks compare canonical keys — the
// space and the path inside it, from files.Service.LockKey — while each
// lock keeps the root its client named, for the answers.
//
// Costs: a write without an If header makes x/net/webdav take a temporary
// lock for the request's duration; here that is one indexed read of the
// space's locks (no row written), so a PUT or DELETE costs one query for
// locks; a write with an If header also costs one read; a successful DELETE
// or MOVE reads once more for the locks to destroy. GET and PROPFIND
// read no lock (lockdiscovery is not served; clients keep their tokens). The
// price of not writing temporary locks: a LOCK granted on another node
// while a write is already running does not wait for that write to end.
type keyedLocks struct {
	ctx    context.Context
	store  files.LockStore
	owner  string // person ID of the caller
	method string
	key    func(name string) string
}

// tempToken marks the check-only temporary locks of writes without an If header.
const tempToken = "temporary:"

func lockErr(err error) error {
	switch {
	case errors.Is(err, files.ErrLocked):
		return webdav.ErrLocked
	case core.IsKind(err, core.NotFound):
		return webdav.ErrNoSuchLock
	case core.IsKind(err, core.Permission):
		return webdav.ErrForbidden
	}
	return err
}

func expiry(now time.Time, d time.Duration) time.Time {
	if d < 0 || d > files.MaxLockAge {
		return now.Add(files.MaxLockAge)
	}
	return now.Add(d)
}

func (k keyedLocks) add(now time.Time, d webdav.LockDetails, shared bool) (string, error) {
	key := k.key(d.Root)
	if k.method != "LOCK" {
		// x/net/webdav's temporary lock for a write without an If header:
		// check that nothing stands in the way, write nothing.
		ls, err := k.store.FindLocks(k.ctx, files.LockSpace(key), now)
		if err != nil {
			return "", err
		}
		for _, l := range ls {
			if l.Conflicts(key, d.ZeroDepth, shared) {
				return "", webdav.ErrLocked
			}
		}
		return tempToken, nil
	}
	l := &files.DAVLock{Token: "opaquelocktoken:" + core.NewID(), Key: key, Root: path.Clean("/" + d.Root),
		Owner: k.owner, ZeroDepth: d.ZeroDepth, Shared: shared, OwnerXML: d.OwnerXML, Duration: d.Duration,
		Expires: expiry(now, d.Duration)}
	if err := k.store.CreateLock(k.ctx, l, now); err != nil {
		return "", lockErr(err)
	}
	return l.Token, nil
}

// Create makes an exclusive lock.
func (k keyedLocks) Create(now time.Time, d webdav.LockDetails) (string, error) {
	return k.add(now, d, false)
}

// CreateShared makes a shared lock.
func (k keyedLocks) CreateShared(now time.Time, d webdav.LockDetails) (string, error) {
	return k.add(now, d, true)
}

// Confirm checks that every named resource is covered by a lock the caller
// holds among the conditions' tokens (x/net/webdav calls it for a write
// with an If header; without one it takes a temporary lock instead).
func (k keyedLocks) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	bySpace := map[string][]files.DAVLock{}
	for _, name := range []string{name0, name1} {
		if name == "" {
			continue
		}
		key := k.key(name)
		sp := files.LockSpace(key)
		ls, ok := bySpace[sp]
		if !ok {
			var err error
			if ls, err = k.store.FindLocks(k.ctx, sp, now); err != nil {
				return nil, err
			}
			bySpace[sp] = ls
		}
		found := false
		for _, c := range conditions {
			if c.Not || c.Token == "" {
				continue
			}
			for i := range ls {
				if ls[i].Token == c.Token && ls[i].Owner == k.owner && ls[i].Covers(key) {
					found = true
				}
			}
		}
		if !found {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	return func() {}, nil
}

// Refresh extends a lock.
func (k keyedLocks) Refresh(now time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	l, err := k.store.RefreshLock(k.ctx, token, k.owner, d, expiry(now, d), now)
	if err != nil {
		return webdav.LockDetails{}, lockErr(err)
	}
	return webdav.LockDetails{Root: l.Root, Duration: d, OwnerXML: l.OwnerXML, ZeroDepth: l.ZeroDepth}, nil
}

// Unlock removes a lock.
func (k keyedLocks) Unlock(now time.Time, token string) error {
	if token == tempToken {
		return nil
	}
	return lockErr(k.store.DeleteLock(k.ctx, token, k.owner, now))
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
	if errors.Is(err, webdav.ErrLocked) {
		http.Error(w, "Locked", http.StatusLocked)
		return true
	}
	if err != nil {
		writeError(w, err)
		return true
	}
	status := http.StatusOK
	if _, err := fs.Stat(r.Context(), vp); err != nil {
		if !os.IsNotExist(err) {
			_ = locks.Unlock(time.Now(), token)
			writeError(w, err)
			return true
		}
		// RFC 4918 §9.10.4: locking an unmapped URL creates an empty resource.
		f, err := fs.OpenFile(r.Context(), vp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0)
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			_ = locks.Unlock(time.Now(), token)
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
