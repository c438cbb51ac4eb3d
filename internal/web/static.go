// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
)

// StaticPrefix is the path under which [Static] must be mounted.
const StaticPrefix = "/static/"

//go:embed static
var staticFS embed.FS

// asset is one embedded static file.
type asset struct {
	hash  string // first 16 hex digits of the SHA-256 of body
	body  []byte
	ctype string
}

// assets maps a file name (relative to static/) to its asset. It is computed
// once from the embedded files and never changes.
var assets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = &asset{
			hash: hex.EncodeToString(sum[:8]), body: b, ctype: contentType(p),
		}
		return nil
	})
	if err != nil {
		panic("web: reading embedded static files: " + err.Error()) // cannot happen: embed.FS
	}
	return m
})

// contentType returns the media type of a static file by extension, without
// consulting the system's MIME tables.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// StaticURL returns the checksum URL of a shell static file, such as
// "/static/3f2a…/preau.css", or "" when there is no such file. Renderer
// construction fails when a template names an unknown file.
func StaticURL(name string) string {
	a, ok := assets()[name]
	if !ok {
		return ""
	}
	return StaticPrefix + a.hash + "/" + name
}

// Static returns the handler of the shell's static files. Mount it at
// "GET /static/". It serves /static/<hash>/<name> with a one-year immutable
// cache; a wrong or stale hash, or an unknown name, is a 404.
func Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, StaticPrefix), "/")
		a, ok := assets()[name]
		if !ok || a.hash != hash {
			Error(w, r, core.E("web.Static", core.NotFound, ""))
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
