// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package davd serves the file spaces over WebDAV (RFC 4918 class 1 and 2,
// with LOCK) under /dav/ on the HTTPS port: /dav/home/, /dav/groups/<group>/,
// /dav/shared/ (see package files for the namespace).
//
// It builds on golang.org/x/net/webdav (deps.md: "Use"): its Handler does
// the protocol (PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, DELETE, LOCK,
// UNLOCK, If headers) over a webdav.FileSystem implemented here on
// files.Service, built per request so that it carries the caller and a
// cache of the folder just listed (a depth-1 PROPFIND then costs a few
// queries whatever the number of entries, and never opens a file's
// content). GET and HEAD are served here with http.ServeContent (ranges,
// conditional requests, the stored ETag); a PUT without an If header is
// answered here too (Handler.put), one with an If header through webdav's
// handler; a quota refusal answers 507 Insufficient Storage. Collections carry the RFC 4331 quota-available-bytes and
// quota-used-bytes properties.
//
// Clients send Basic credentials with every request. Verifying an argon2id
// hash each time would cost tens of milliseconds per request, so a
// successful check is cached for CacheTTL under an HMAC of the login and
// password with a per-process random key: the cache never holds a password
// or a reusable hash of one, and a wrong password is never cached. Each
// entry keeps the person's credential stamp (Deps.Stamp: a fingerprint of
// the stored hash, the account state and the must-change flag, read from
// the store by every node with one indexed query per request), so a changed
// or reset password, a disabled account or a forced change stops the cached
// credential at once, on every node.
//
// A person who has not accepted the charters their profile must accept
// (Deps.Charters, as the portal's charter gate) gets 403 with a body naming
// the charters and the portal page where they are accepted.
package davd

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// Prefix is where WebDAV lives on the HTTPS port.
const Prefix = "/dav"

// CacheTTL is how long a verified credential is reused.
const CacheTTL = 2 * time.Minute

// maxCached bounds the credential cache.
const maxCached = 20000

// Authenticate checks a login and password (auth.Service.Authenticate
// behind an adapter) and returns the principal. It journals failures.
type Authenticate func(ctx context.Context, login, password, source string) (core.Principal, error)

// Deps are what the handler needs.
type Deps struct {
	Files *files.Service
	// Locks keeps the WebDAV locks (the store: shared by every node);
	// required.
	Locks files.LockStore
	Auth  Authenticate
	// OnLogin is called after a credential is verified (not on cache
	// hits), to journal the WebDAV login.
	OnLogin func(ctx context.Context, p core.Principal)
	// Stamp returns the credential stamp of a login (store.CredentialStamp);
	// nil: cached credentials live their CacheTTL.
	Stamp func(ctx context.Context, login string) (string, error)
	// Charters returns the titles of the charters the principal in ctx must
	// accept and has not (charter.Service.Pending); nil: none.
	Charters func(ctx context.Context) ([]string, error)
	Clock    core.Clock
	Log      *slog.Logger
}

// Handler is the WebDAV endpoint.
type Handler struct {
	files   *files.Service
	auth    Authenticate
	onLogin func(ctx context.Context, p core.Principal)
	stamp   func(ctx context.Context, login string) (string, error)
	pending func(ctx context.Context) ([]string, error)
	clock   core.Clock
	log     *slog.Logger
	locks   files.LockStore

	key   []byte
	mu    sync.Mutex
	cache map[[32]byte]cached
}

type cached struct {
	p         core.Principal
	stamp     string
	charterOK bool // the charters were all accepted when last checked
	expires   time.Time
}

// New returns the handler.
func New(d Deps) *Handler {
	if d.Clock == nil {
		d.Clock = core.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Locks == nil {
		panic("davd.New: Deps.Locks is required (the store)")
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Handler{files: d.Files, auth: d.Auth, onLogin: d.OnLogin, stamp: d.Stamp, pending: d.Charters,
		clock: d.Clock, log: d.Log,
		locks: d.Locks, key: key, cache: map[[32]byte]cached{}}
}

// ForgetCredentials empties the credential cache (after a password change
// or a disabled account, when the caller knows of one).
func (h *Handler) ForgetCredentials() {
	h.mu.Lock()
	h.cache = map[[32]byte]cached{}
	h.mu.Unlock()
}

func (h *Handler) cacheKey(login, password string) [32]byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(login))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

// sourceOf is the client address of a request, for the journal and the
// login throttling. internal/app serves davd behind web.RealIP, which has
// already replaced RemoteAddr with the address a trusted proxy names in
// X-Forwarded-For (as for the web pages); an untrusted peer's header is
// ignored there.
func sourceOf(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// principal authenticates a request; charterOK tells whether the
// person's charters were all accepted at the last check.
func (h *Handler) principal(r *http.Request) (p core.Principal, k [32]byte, charterOK bool, err error) {
	login, password, ok := r.BasicAuth()
	if !ok || login == "" {
		return core.Principal{}, k, false, core.E("davd", core.Unauthenticated, "credentials required")
	}
	ctx := r.Context()
	src := sourceOf(r)
	k = h.cacheKey(login, password)
	now := h.clock.Now()
	h.mu.Lock()
	c, hit := h.cache[k]
	h.mu.Unlock()
	if hit && now.Before(c.expires) {
		valid := true
		if h.stamp != nil {
			st, err := h.stamp(ctx, c.p.Login)
			valid = err == nil && st == c.stamp
		}
		if valid {
			p := c.p
			p.Source = src
			return p, k, c.charterOK, nil
		}
		h.mu.Lock()
		delete(h.cache, k)
		h.mu.Unlock()
	}
	// The stamp is read before the password is checked: a change between
	// the two leaves an entry whose stamp is already stale.
	stamp, stampErr := "", error(nil)
	if h.stamp != nil {
		stamp, stampErr = h.stamp(ctx, login)
	}
	p, err = h.auth(ctx, login, password, src)
	if err != nil {
		return core.Principal{}, k, false, err
	}
	if p.MustChangePassword {
		return core.Principal{}, k, false, core.E("davd", core.Permission,
			"your password must be changed: log in on the portal first")
	}
	p.Channel, p.Source = core.ChannelDAV, src
	if stampErr == nil {
		h.mu.Lock()
		if len(h.cache) >= maxCached {
			for k, v := range h.cache {
				if !now.Before(v.expires) || len(h.cache) >= maxCached {
					delete(h.cache, k)
				}
			}
		}
		h.cache[k] = cached{p: p, stamp: stamp, expires: now.Add(CacheTTL)}
		h.mu.Unlock()
	}
	if h.onLogin != nil {
		h.onLogin(ctx, p)
	}
	return p, k, false, nil
}

// charters refuses a person who has charters to accept (the portal's
// charter gate, for WebDAV): 403 with a body naming them and the page where
// they are accepted. Once all are accepted the cached entry remembers it
// until it expires, so the check costs nothing on most requests.
func (h *Handler) charters(w http.ResponseWriter, r *http.Request, k [32]byte) bool {
	if h.pending == nil {
		return true
	}
	titles, err := h.pending(r.Context())
	if err != nil {
		h.log.Error("WebDAV charter check failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return false
	}
	if len(titles) == 0 {
		h.mu.Lock()
		if c, ok := h.cache[k]; ok {
			c.charterOK = true
			h.cache[k] = c
		}
		h.mu.Unlock()
		return true
	}
	u := "https://" + r.Host + "/charter/accept"
	quoted := make([]string, len(titles))
	for i, t := range titles {
		quoted[i] = "« " + t + " »"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, "403 Forbidden: charte non acceptée. Avant d'accéder à vos fichiers, lisez et acceptez "+
		strings.Join(quoted, ", ")+" sur le portail : "+u+"\n"+
		"403 Forbidden: charter not accepted. Before reaching your files, read and accept "+
		strings.Join(titles, ", ")+" on the portal: "+u+"\n")
	return false
}

// ServeHTTP serves one WebDAV request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "private, no-cache")
	p, key, charterOK, err := h.principal(r)
	if err != nil {
		switch core.KindOf(err) {
		case core.Unauthenticated:
			w.Header().Set("WWW-Authenticate", `Basic realm="Préau", charset="UTF-8"`)
			http.Error(w, "401 Unauthorized: "+core.MessageOf(err), http.StatusUnauthorized)
		case core.TooMany:
			w.Header().Set("Retry-After", "60")
			http.Error(w, core.MessageOf(err), http.StatusTooManyRequests)
		case core.Permission:
			http.Error(w, core.MessageOf(err), http.StatusForbidden)
		default:
			h.log.Error("WebDAV authentication failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
		return
	}
	ctx := core.ContextWithPrincipal(r.Context(), p)
	if r.Method == http.MethodPut {
		ctx = files.WithUploadMemo(ctx) // a PUT's only write is its Put
	} else {
		ctx = files.WithRequestMemo(ctx)
	}
	r = r.WithContext(ctx)
	if !charterOK && !h.charters(w, r, key) {
		return
	}
	st := &reqState{}
	fs := &fileSystem{files: h.files, st: st, size: -1}
	locks := keyedLocks{ctx: ctx, store: h.locks, owner: p.PersonID, method: r.Method,
		key: func(name string) string { return h.files.LockKey(ctx, name) }}
	if ih := r.Header.Get("If"); ih != "" {
		lists, err := ParseIf(ih)
		if err != nil {
			writeError(w, err)
			return
		}
		if ifFails(lists, func(res string) string { return h.etagOf(r, res) }) {
			http.Error(w, "the If header's conditions do not hold", http.StatusPreconditionFailed)
			return
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.Method == http.MethodGet {
			if sw, limited := h.files.ShapeDownload(ctx, w); limited {
				w = shapedResponse{ResponseWriter: w, w: sw} // UTI-ESF-5
			}
		}
		h.get(w, r)
		return
	case "PROPFIND", "PROPPATCH", "LOCK":
		if err := checkXMLBody(r); err != nil {
			writeError(w, err)
			return
		}
		if r.Method == "PROPFIND" && h.propfind(w, r) {
			return
		}
		if r.Method == "LOCK" && r.ContentLength != 0 {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if len(body) > 0 && h.lockShared(w, r, body, fs, locks) {
				return
			}
		}
	case http.MethodPut:
		r.Body = readCloser{h.files.ShapeUpload(ctx, r.Body), r.Body} // UTI-ESF-5
		fs.size = r.ContentLength
		if err := h.precheckPut(r); err != nil {
			writeError(w, err)
			return
		}
		if r.Header.Get("If") == "" {
			h.put(w, r, locks)
			return
		}
	case "COPY":
		if err := h.precheckCopy(r); err != nil {
			writeError(w, err)
			return
		}
	}
	dh := &webdav.Handler{Prefix: Prefix, FileSystem: fs, LockSystem: locks, Logger: func(r *http.Request, err error) {
		if err != nil && core.KindOf(err) == core.Internal && !errors.Is(err, errNotDir) {
			h.log.Debug("webdav", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}}
	var gone string // the key of a resource deleted or moved away: its locks go with it
	if r.Method == http.MethodDelete || r.Method == "MOVE" {
		gone = h.files.LockKey(ctx, davPath(r.URL.Path))
	}
	sm := &statusMapper{ResponseWriter: w, st: st}
	dh.ServeHTTP(sm, r)
	if gone != "" && sm.code >= 200 && sm.code < 300 {
		if err := h.locks.DeleteLocksUnder(context.WithoutCancel(ctx), gone); err != nil {
			h.log.Warn("removing the locks of a deleted resource failed", "err", err)
		}
	}
}

// etagOf returns the ETag of the request's resource (res "") or of a
// tagged resource, "" when unknown.
func (h *Handler) etagOf(r *http.Request, res string) string {
	p := davPath(r.URL.Path)
	if res != "" {
		u, err := ParseDestination(res, r.Host)
		if err != nil {
			return ""
		}
		p = davPath(u)
	}
	e, err := h.files.Stat(r.Context(), p)
	if err != nil {
		return ""
	}
	if e.Dir {
		return ""
	}
	return e.ETag
}

// davPath turns a request path into a virtual path.
func davPath(p string) string {
	p = strings.TrimPrefix(p, Prefix)
	if p == "" {
		return "/"
	}
	return p
}

// get serves GET and HEAD: files with ranges, folders as a short listing.
func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	vp := davPath(r.URL.Path)
	e, err := h.files.Stat(r.Context(), vp)
	if err != nil {
		writeError(w, err)
		return
	}
	if e.Dir {
		h.listing(w, r, vp)
		return
	}
	rc, e, err := h.files.Open(r.Context(), vp)
	if err != nil {
		writeError(w, err)
		return
	}
	defer rc.Close()
	w.Header().Set("ETag", e.ETag)
	w.Header().Set("Content-Type", e.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, e.Name, e.ModTime, rc)
}

// put answers a PUT without an If header itself, as x/net/webdav's
// handler would, without its file-system round trip (OpenFile's checks,
// a pipe and a goroutine per upload, Stat, then the ETag's lookup): the
// lock check x/net makes (a zero-depth temporary lock on the path: one read
// of the space's locks, see keyedLocks), then files.Service.Put straight
// from the body, answering 201 with the new ETag once the content and its
// node are durably committed. A PUT with an If header (a client holding a
// lock) goes through x/net/webdav, which checks its tokens.
func (h *Handler) put(w http.ResponseWriter, r *http.Request, locks keyedLocks) {
	vp := davPath(r.URL.Path)
	tok, err := locks.Create(time.Now(), webdav.LockDetails{Root: vp, Duration: -1, ZeroDepth: true})
	if err != nil {
		if errors.Is(err, webdav.ErrLocked) {
			http.Error(w, "the resource is locked", http.StatusLocked)
			return
		}
		writeError(w, err)
		return
	}
	defer locks.Unlock(time.Now(), tok)
	e, err := h.files.Put(r.Context(), vp, r.Body, files.PutOptions{Size: r.ContentLength})
	if err != nil {
		if core.IsKind(err, core.NotFound) {
			// RFC 4918 §9.7.1: a missing parent collection is a conflict.
			http.Error(w, core.MessageOf(err), http.StatusConflict)
			return
		}
		writeError(w, err)
		return
	}
	w.Header().Set("ETag", e.ETag)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(http.StatusText(http.StatusCreated)))
}

// precheckLimit is the announced size from which precheckPut reads the
// quota before the body: files.Service.Put refuses any announced size
// beyond the room before storing a byte, so below this only one buffer of
// the body (32 KiB) may be read before the 507; above it, nothing is.
const precheckLimit = 64 << 10

// precheckPut refuses at once an announced upload beyond the quota.
func (h *Handler) precheckPut(r *http.Request) error {
	if r.ContentLength <= precheckLimit {
		return nil
	}
	vp := davPath(r.URL.Path)
	i := strings.LastIndexByte(strings.TrimSuffix(vp, "/"), '/')
	q, err := h.files.Quota(r.Context(), vp[:max(i, 1)])
	if err != nil || q == nil {
		return nil // the handler reports what is wrong
	}
	if av := q.Available(); av >= 0 && r.ContentLength > av {
		return &core.Error{Op: "davd.PUT", Kind: core.Conflict, Err: files.ErrQuota,
			Msg: "not enough space for this file: " + files.HumanSize(r.ContentLength) + " asked, " +
				files.HumanSize(av) + " left"}
	}
	return nil
}

// precheckCopy applies the private-marker rules to a COPY before webdav
// copies file by file.
func (h *Handler) precheckCopy(r *http.Request) error {
	dst, err := destinationPath(r)
	if err != nil {
		return err
	}
	if err := h.files.CheckCopy(r.Context(), davPath(r.URL.Path), dst); err != nil {
		if core.IsKind(err, core.Permission) {
			return err
		}
	}
	return nil
}

// destinationPath extracts the virtual path of a Destination header, which
// must be on this server under Prefix.
func destinationPath(r *http.Request) (string, error) {
	d := r.Header.Get("Destination")
	p, err := ParseDestination(d, r.Host)
	if err != nil {
		return "", err
	}
	return davPath(p), nil
}

// writeError answers a request with the status of err.
func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := core.MessageOf(err)
	if msg == "" {
		msg = http.StatusText(status)
	}
	http.Error(w, msg, status)
}

func statusOf(err error) int {
	if errors.Is(err, files.ErrQuota) {
		return http.StatusInsufficientStorage
	}
	switch core.KindOf(err) {
	case core.Invalid:
		return http.StatusBadRequest
	case core.NotFound:
		return http.StatusNotFound
	case core.Exists:
		return http.StatusMethodNotAllowed
	case core.Conflict:
		return http.StatusConflict
	case core.Permission:
		return http.StatusForbidden
	case core.Unauthenticated:
		return http.StatusUnauthorized
	case core.TooMany:
		return http.StatusTooManyRequests
	case core.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// reqState carries what the file system met that webdav's status codes
// cannot say (a quota refusal, a permission refusal).
type reqState struct {
	mu  sync.Mutex
	err error
}

func (s *reqState) note(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil || errors.Is(err, files.ErrQuota) {
		s.err = err
	}
}

// statusMapper rewrites webdav's generic error statuses when the file
// system recorded a better one: 507 for a quota, 403 for a permission.
type statusMapper struct {
	http.ResponseWriter
	st      *reqState
	written bool
	swallow bool
	code    int // the status written
}

func (m *statusMapper) WriteHeader(code int) {
	if m.written {
		return
	}
	m.written, m.code = true, code
	if code >= 400 {
		m.st.mu.Lock()
		err := m.st.err
		m.st.mu.Unlock()
		if err != nil {
			better := statusOf(err)
			if better == http.StatusInsufficientStorage || better == http.StatusForbidden && code != http.StatusNotFound {
				m.swallow = true
				msg := core.MessageOf(err)
				if msg == "" {
					msg = http.StatusText(better)
				}
				m.ResponseWriter.Header().Set("Content-Type", "text/plain; charset=utf-8")
				m.ResponseWriter.WriteHeader(better)
				_, _ = m.ResponseWriter.Write([]byte(msg + "\n"))
				return
			}
		}
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *statusMapper) Write(b []byte) (int, error) {
	if !m.written {
		m.WriteHeader(http.StatusOK)
	}
	if m.swallow {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

// Flush lets streaming responses through.
func (m *statusMapper) Flush() {
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// shapedResponse sends a download's body at the pace of the bandwidth
// limit (files.Service.ShapeDownload).
type shapedResponse struct {
	http.ResponseWriter
	w io.Writer
}

func (s shapedResponse) Write(b []byte) (int, error) { return s.w.Write(b) }

// readCloser reads an upload's body through a shaper and closes the
// original body.
type readCloser struct {
	io.Reader
	io.Closer
}
