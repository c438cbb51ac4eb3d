// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package backupd is the append-only backup receiver (MCO-SVG-5, -6): a
// Préau at the académie or collectivité accepts schools' encrypted
// repositories over HTTPS, lets each sender add objects but never delete
// or overwrite them, and prunes on its own policy with `preau backup prune`
// on its local folders. Ransomware on a school box thus cannot destroy the
// off-site copy. It also holds the HTTP client Backend a sender uses.
//
// Protocol (docs/backup-format.md §7): every request carries
// "Authorization: Bearer TOKEN" naming the sender, whose repository is the
// folder Root/<sender>.
//
//	GET    /v1/KIND/             list: JSON [{"name":…,"size":…}]
//	GET    /v1/KIND/NAME         read (Range supported); HEAD for the size
//	PUT    /v1/KIND/NAME         create; 201, or 200 when the same bytes are
//	                             there; 409 when other bytes are; 400 when a
//	                             content-addressed name is not the SHA-256
//	                             of the body
//	DELETE /v1/KIND/NAME         405, except for locks/
package backupd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
)

// MaxObject is the largest object a receiver accepts (a pack is ~16 MiB).
const MaxObject = 512 << 20

// Server is the receiver. It copies net/http.Server's surface.
type Server struct {
	Root   string            // one folder per sender below
	Tokens map[string]string // token → sender name ([a-z0-9-]+)
	Log    *slog.Logger
	// RequireCert refuses a sender without a client certificate verified
	// by the TLS layer (see RequireClientCerts); the certificate's common
	// name is the sender. Without it, a token is enough (compatibility).
	RequireCert bool
	// Journal, when set, records every refused delete or overwrite.
	Journal func(ctx context.Context, sender, action, object, result string)

	mu  sync.Mutex
	srv *http.Server
}

// ParseTokens reads "sender token" lines (# comments).
func ParseTokens(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 || !validSender(f[0]) || len(f[1]) < 24 {
			return nil, core.E("backupd.ParseTokens", core.Invalid, "token file: each line is a sender name ([a-z0-9-]) and a token of at least 24 characters")
		}
		out[f[1]] = f[0]
	}
	return out, sc.Err()
}

func validSender(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// sender names who is calling: the common name of a verified client
// certificate, or the owner of the bearer token; when both are given they
// must name the same sender.
func (s *Server) sender(r *http.Request) (string, bool) {
	certName := ""
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		certName = r.TLS.VerifiedChains[0][0].Subject.CommonName
		if !validSender(certName) {
			return "", false
		}
	}
	if s.RequireCert && certName == "" {
		return "", false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return certName, certName != ""
	}
	for t, name := range s.Tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			return name, certName == "" || certName == name
		}
	}
	return "", false
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Server) journal(r *http.Request, sender, action, object, result string) {
	s.log().Info("backup receiver", "sender", sender, "action", action, "object", object, "result", result, "from", r.RemoteAddr)
	if s.Journal != nil {
		s.Journal(r.Context(), sender, action, object, result)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sender, ok := s.sender(r)
	if !ok {
		msg := "unknown or missing token"
		if s.RequireCert {
			msg = "this receiver requires a sender certificate (preau backup receiver-cert) signed by its sender CA"
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	kind, name, _ := strings.Cut(rest, "/")
	be := backup.Local{Root: filepath.Join(s.Root, sender)}
	if name == "" {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		type ent struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		}
		list := []ent{}
		if err := be.List(r.Context(), kind, func(n string, size int64) error {
			list = append(list, ent{n, size})
			return nil
		}); err != nil {
			http.Error(w, "listing failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
		return
	}
	h := backup.Handle{Kind: kind, Name: name}
	if !backup.ValidHandle(h) {
		http.Error(w, "invalid object name", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		rc, err := be.Load(r.Context(), h, 0, 0)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer rc.Close()
		f, ok := rc.(*os.File)
		if !ok {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, f)
	case http.MethodPut:
		s.put(w, r, be, sender, h)
	case http.MethodDelete:
		if kind == backup.KindLock {
			be.Remove(r.Context(), h)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.journal(r, sender, "delete", h.String(), "refused")
		http.Error(w, "this receiver is append-only: senders cannot delete; it prunes on its own policy", http.StatusMethodNotAllowed)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, be backup.Local, sender string, h backup.Handle) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxObject+1))
	if err != nil {
		http.Error(w, "reading the body failed", http.StatusBadRequest)
		return
	}
	if len(body) > MaxObject {
		http.Error(w, "object too large", http.StatusRequestEntityTooLarge)
		return
	}
	// Content-addressed objects must match their name: a sender cannot
	// store anything under a name that a later restore would trust.
	if h.Kind != backup.KindConfig && h.Kind != backup.KindLock {
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != h.Name {
			s.journal(r, sender, "put", h.String(), "refused: content does not match its name")
			http.Error(w, "content does not match its name (SHA-256)", http.StatusBadRequest)
			return
		}
	}
	err = be.Save(r.Context(), h, body)
	if errors.Is(err, backup.ErrExists) {
		old, lerr := be.Load(r.Context(), h, 0, 0)
		if lerr == nil {
			same := false
			if b, err := io.ReadAll(old); err == nil {
				same = bytes.Equal(b, body)
			}
			old.Close()
			if same {
				w.WriteHeader(http.StatusOK) // a resumed upload
				return
			}
		}
		s.journal(r, sender, "overwrite", h.String(), "refused")
		http.Error(w, "this receiver is append-only: the object exists and cannot be overwritten", http.StatusConflict)
		return
	}
	if err != nil {
		http.Error(w, "storing failed", http.StatusInsufficientStorage)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// Serve accepts connections on l (already TLS, or wrapped by the caller).
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	srv := s.srv
	s.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server gracefully.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}
