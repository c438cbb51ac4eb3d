// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package pictureweb is the web face of picture login (package picture,
// CARINE INF-AUT-1): the class sign-in board where young pupils tap their
// avatar then their pictures, and the teachers' pages that turn picture
// login on for a class, show its code and QR code, and print the pupils'
// cards.
//
// Every step of the board is a plain form POST that carries the chosen
// avatar and the pictures tapped so far in hidden fields, so that it works
// without JavaScript; the page shows dots for the pictures tapped, never
// the pictures, since the screen may be shared. Buttons are large (at
// least 64 px), labelled, in a grid that Tab and arrow keys walk through.
package pictureweb

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package for the
// renderer.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// pages are the pages this package renders.
var pages = []string{"pic/board", "pic/avatars", "pic/pictures", "pic/classes", "pic/class", "pic/cards"}

// Deps are the collaborators of the handler. PublicURL may be empty (the
// board's address is then taken from the request's host).
type Deps struct {
	Pictures *picture.Service
	Renderer *web.Renderer
	Log      *slog.Logger
	// SetSessionCookie sets the session cookie after a successful sign-in
	// (authweb.SetSessionCookie).
	SetSessionCookie func(w http.ResponseWriter, value string)
	// PublicURL is the deployment's HTTPS address, for the QR codes.
	PublicURL string
}

// Handler serves the picture sign-in board and the teachers' pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// New returns the handler. It fails when the renderer lacks its pages.
func New(deps Deps) (*Handler, error) {
	if err := deps.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	return &Handler{deps: deps, rd: deps.Renderer}, nil
}

// Routes registers the pages on mux. The board is public; requireLogin
// wraps the teachers' pages.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin func(http.Handler) http.Handler) {
	mux.Handle("GET /pictures", web.HandlerFunc(h.boardPage))
	mux.Handle("GET /pictures/c/{code}", web.HandlerFunc(h.avatarsPage))
	mux.Handle("POST /pictures/c/{code}", web.HandlerFunc(h.step))
	mux.Handle("GET /pictures/classes", requireLogin(web.HandlerFunc(h.classesPage)))
	mux.Handle("GET /pictures/classes/{id}", requireLogin(web.HandlerFunc(h.classPage)))
	mux.Handle("POST /pictures/classes/{id}/enable", requireLogin(web.HandlerFunc(h.enable)))
	mux.Handle("POST /pictures/classes/{id}/disable", requireLogin(web.HandlerFunc(h.disable)))
	mux.Handle("POST /pictures/classes/{id}/cards", requireLogin(web.HandlerFunc(h.printCards)))
	mux.Handle("POST /pictures/classes/{id}/pupils/{person}/regenerate", requireLogin(web.HandlerFunc(h.regenerate)))
}

// image is a picture or an avatar as a page shows it: its ID, its name in
// the page's language, and its SVG, inlined and hidden from assistive
// technologies (the name is the button's label).
type image struct {
	ID   string
	Name string
	SVG  template.HTML
}

func pictureImage(id, lang string) image {
	p, _ := picture.PictureByID(id)
	return image{ID: id, Name: p.Name.In(lang), SVG: inline(picture.PictureSVG(id))}
}

func avatarImage(id, lang string) image {
	a, _ := picture.AvatarByID(id)
	return image{ID: id, Name: a.Name.In(lang), SVG: inline(picture.AvatarSVG(id))}
}

// inline marks an SVG document of the catalogue (embedded, checked by the
// picture tests to hold no script or style) for inlining in a page.
func inline(svg string) template.HTML {
	if svg == "" {
		return ""
	}
	return template.HTML(strings.Replace(svg, "<svg ", `<svg aria-hidden="true" focusable="false" class="pic-svg" `, 1))
}

// clientIP returns the address the request came from; the app rewrites
// RemoteAddr for trusted proxies.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// boardURL returns the absolute address of a class board, for its QR code.
func (h *Handler) boardURL(r *http.Request, code string) string {
	base := strings.TrimSuffix(h.deps.PublicURL, "/")
	if base == "" {
		base = "https://" + r.Host
	}
	return base + "/pictures/c/" + code
}
