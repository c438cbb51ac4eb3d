// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package filesweb is the web file manager of the portal: browse the
// personal, group and shared spaces, upload (with progress when scripts
// run), download (folders as zip), create folders, rename, move, delete to
// the trash and restore, share a folder, see and restore versions, the
// quota bar with the backup rules (UTI-ESF-7), and the teachers' homework
// pages (distribute, follow, collect, return). Every page works without
// scripts and with the keyboard alone.
package filesweb

import (
	"archive/zip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/bandwidth"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

var pages = []string{"files/browse", "files/share", "files/versions", "files/trash", "files/homework",
	"files/assignment", "files/admin"}

// Paths.
const (
	BrowsePath   = "/files"
	UploadPath   = "/files/upload"
	HomeworkPath = "/files/homework"
	AdminPath    = "/admin/files"
	// MaxUpload bounds one web upload; the quota bounds it first.
	MaxUpload = int64(8) << 30
)

// Tile is the portal tile of the file manager.
var Tile = portal.Tile{Icon: "🗀", Title: "files.tile", Text: "files.tile.text", Href: BrowsePath}

// Deps are the collaborators of the pages.
type Deps struct {
	Files    *files.Service
	Renderer *web.Renderer
	Clock    core.Clock
	Log      *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	svc   *files.Service
	rd    *web.Renderer
	clock core.Clock
	log   *slog.Logger
}

// New returns the handler; it fails when the renderer lacks its pages.
func New(d Deps) (*Handler, error) {
	if err := d.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: d.Files, rd: d.Renderer, clock: d.Clock, log: d.Log}, nil
}

// Routes registers the pages behind requireLogin, and the console's
// storage page behind requireAdmin.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET "+AdminPath, requireAdmin(web.HandlerFunc(h.admin)))
	mux.Handle("POST "+AdminPath, requireAdmin(web.HandlerFunc(h.adminSet)))
	for pattern, fn := range map[string]web.HandlerFunc{
		"GET " + BrowsePath:                    h.browse,
		"GET /files/download":                  h.download,
		"PUT " + UploadPath:                    h.uploadRaw,
		"POST " + UploadPath:                   h.uploadForm,
		"POST /files/mkdir":                    h.mkdir,
		"POST /files/rename":                   h.rename,
		"POST /files/move":                     h.move,
		"POST /files/delete":                   h.remove,
		"GET /files/share":                     h.shareForm,
		"POST /files/share":                    h.share,
		"GET /files/versions":                  h.versions,
		"POST /files/versions":                 h.restoreVersion,
		"GET /files/trash":                     h.trash,
		"POST /files/trash":                    h.trashAct,
		"GET " + HomeworkPath:                  h.homework,
		"POST " + HomeworkPath:                 h.distribute,
		"GET " + HomeworkPath + "/{id}":        h.assignment,
		"POST " + HomeworkPath + "/{id}/{act}": h.assignmentAct,
	} {
		mux.Handle(pattern, requireLogin(fn))
	}
}

// crumb is one step of the breadcrumb.
type crumb struct {
	Name, Path string
}

func crumbs(p string) []crumb {
	out := []crumb{{Name: "/", Path: "/"}}
	acc := ""
	for _, c := range strings.Split(strings.Trim(p, "/"), "/") {
		if c == "" {
			continue
		}
		acc += "/" + c
		out = append(out, crumb{Name: c, Path: acc})
	}
	return out
}

// cleanParam reads a path parameter ("/home" when absent).
func cleanParam(v string) (string, error) {
	if v == "" {
		return "/home", nil
	}
	return files.CleanPath(v)
}

type browseView struct {
	Path     string
	Crumbs   []crumb
	Entries  []*files.Entry
	Level    files.Level
	Quota    *files.Quota
	Percent  int
	Used     string
	Limit    string
	Warn     string // "", "warn" (80%), "full" (95%)
	CanWrite bool
	InSpace  bool
	Message  string
	Error    string
	Sync     syncGuide
}

// syncGuide tells users how to synchronise with a WebDAV client and when
// the establishment's bandwidth allows it (UTI-ESF-5).
type syncGuide struct {
	URL      string // the WebDAV address of the folder
	Root     string // the WebDAV root, for rclone's remote
	Login    string
	Limited  bool
	Down, Up string // Mbit/s, "" when that direction is not limited
	From, To string // limited hours (weekdays), "" when always
	Zone     string
	Rclone   string // the --bwlimit value
}

func (h *Handler) syncGuide(r *http.Request, p string) syncGuide {
	host := r.Host
	g := syncGuide{Root: "https://" + host + "/dav", Login: core.PrincipalFromContext(r.Context()).Login}
	g.URL = g.Root + strings.TrimSuffix(p, "/") + "/"
	pol, l, zone, err := h.svc.TransferLimits(r.Context())
	if err != nil || l.Off() {
		return g
	}
	g.Limited, g.From, g.To, g.Zone, g.Rclone = true, pol.From, pol.To, zone, pol.Rclone(l)
	mbits := func(v int64) string {
		if web.LangFromContext(r.Context()) == "fr" {
			return strings.ReplaceAll(bandwidth.Mbits(v), ".", ",") // 2,5 Mbit/s
		}
		return bandwidth.Mbits(v)
	}
	if l.Down > 0 {
		g.Down = mbits(l.Down)
	}
	if l.Up > 0 {
		g.Up = mbits(l.Up)
	}
	return g
}

func (h *Handler) browse(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := cleanParam(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	e, err := h.svc.Stat(ctx, p)
	if err != nil {
		return err
	}
	if !e.Dir {
		http.Redirect(w, r, "/files/download?path="+url.QueryEscape(p), http.StatusSeeOther)
		return nil
	}
	es, err := h.svc.List(ctx, p)
	if err != nil {
		return err
	}
	v := browseView{Path: p, Crumbs: crumbs(p), Entries: es, Level: e.Level, InSpace: !e.Virtual,
		CanWrite: !e.Virtual && e.Level >= files.Write, Message: msgKey(r.URL.Query().Get("done")),
		Error: r.URL.Query().Get("error"), Sync: h.syncGuide(r, p)}
	if q, err := h.svc.Quota(ctx, p); err == nil && q != nil {
		v.Quota, v.Percent, v.Used, v.Limit = q, min(q.Percent(), 100), files.HumanSize(q.Used), files.HumanSize(q.Limit)
		switch {
		case q.Limit > 0 && q.Percent() >= 95:
			v.Warn = "full"
		case q.Limit > 0 && q.Percent() >= 80:
			v.Warn = "warn"
		}
	}
	h.rd.Page(w, r, http.StatusOK, "files/browse", v)
	return nil
}

// msgKey keeps only known confirmation keys from the query.
func msgKey(k string) string {
	switch k {
	case "uploaded", "created", "renamed", "moved", "deleted", "shared", "restored", "purged":
		return "files.done." + k
	}
	return ""
}

// back redirects to the folder with a confirmation or an error message.
func back(w http.ResponseWriter, r *http.Request, dir, done string, err error) error {
	if err != nil {
		switch core.KindOf(err) {
		case core.Internal, core.Unavailable:
			return err
		}
		if errors.Is(err, files.ErrQuota) {
			done = ""
		}
		msg := core.MessageOf(err)
		if strings.HasPrefix(msg, "web.") || strings.HasPrefix(msg, "files.") {
			msg = web.T(r.Context(), msg)
		}
		http.Redirect(w, r, BrowsePath+"?path="+url.QueryEscape(dir)+"&error="+url.QueryEscape(msg), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, BrowsePath+"?path="+url.QueryEscape(dir)+"&done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := cleanParam(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	e, err := h.svc.Stat(ctx, p)
	if err != nil {
		return err
	}
	if sw, limited := h.svc.ShapeDownload(ctx, w); limited {
		w = shapedResponse{ResponseWriter: w, w: sw} // UTI-ESF-5
	}
	if e.Dir {
		return h.zip(w, r, p, e)
	}
	rc, e, err := h.svc.Open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", e.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.Name}))
	w.Header().Set("ETag", e.ETag)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, e.Name, e.ModTime, rc)
	return nil
}

// zip streams a folder as a zip archive (what the caller may read of it).
func (h *Handler) zip(w http.ResponseWriter, r *http.Request, p string, e *files.Entry) error {
	name := e.Name
	if name == "" {
		name = "preau"
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".zip"}))
	zw := zip.NewWriter(w)
	var walk func(dir, prefix string, depth int) error
	walk = func(dir, prefix string, depth int) error {
		if depth > files.MaxDepth {
			return nil
		}
		es, err := h.svc.List(r.Context(), dir)
		if err != nil {
			return err
		}
		for _, c := range es {
			zp := prefix + c.Name
			if c.Dir {
				if _, err := zw.CreateHeader(&zip.FileHeader{Name: zp + "/", Modified: c.ModTime}); err != nil {
					return err
				}
				if err := walk(c.Path, zp+"/", depth+1); err != nil {
					return err
				}
				continue
			}
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: zp, Modified: c.ModTime, Method: zip.Deflate})
			if err != nil {
				return err
			}
			rc, _, err := h.svc.Open(r.Context(), c.Path)
			if err != nil {
				return err
			}
			_, err = io.Copy(fw, rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(p, "", 0); err != nil {
		h.log.Warn("zip download cut", "err", err)
		return nil // headers are sent: the client sees a truncated archive
	}
	return zw.Close()
}

// uploadRaw receives one file as the raw body of a PUT (the script's
// upload with progress): ?dir=…&name=….
func (h *Handler) uploadRaw(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	dir, err := files.CleanPath(q.Get("dir"))
	if err != nil {
		return err
	}
	if err := files.ValidName(q.Get("name")); err != nil {
		return err
	}
	body := h.svc.ShapeUpload(r.Context(), r.Body) // UTI-ESF-5
	e, err := h.svc.Put(r.Context(), path.Join(dir, q.Get("name")), body, files.PutOptions{Size: r.ContentLength})
	if err != nil {
		if errors.Is(err, files.ErrQuota) {
			http.Error(w, core.MessageOf(err), http.StatusInsufficientStorage)
			return nil
		}
		return err
	}
	return web.JSON(w, http.StatusCreated, map[string]any{"path": e.Path, "size": e.Size, "etag": e.ETag})
}

// uploadForm receives files from the plain form (no script).
func (h *Handler) uploadForm(w http.ResponseWriter, r *http.Request) error {
	dir, err := files.CleanPath(r.FormValue("dir"))
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		return back(w, r, dir, "", core.E("filesweb", core.Invalid, "files.err.nofile"))
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		return back(w, r, dir, "", core.E("filesweb", core.Invalid, "files.err.nofile"))
	}
	for _, fh := range fhs {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		_, err = h.svc.Put(r.Context(), path.Join(dir, path.Base(fh.Filename)), f, files.PutOptions{Size: fh.Size})
		f.Close()
		if err != nil {
			return back(w, r, dir, "", err)
		}
	}
	return back(w, r, dir, "uploaded", nil)
}

func formPath(r *http.Request, name string) (string, error) {
	return files.CleanPath(r.PostFormValue(name))
}

func (h *Handler) mkdir(w http.ResponseWriter, r *http.Request) error {
	dir, err := formPath(r, "dir")
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := files.ValidName(name); err != nil {
		return back(w, r, dir, "", err)
	}
	_, err = h.svc.Mkdir(r.Context(), path.Join(dir, name))
	return back(w, r, dir, "created", err)
}

func (h *Handler) rename(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := files.ValidName(name); err != nil {
		return back(w, r, path.Dir(p), "", err)
	}
	_, err = h.svc.Move(r.Context(), p, path.Join(path.Dir(p), name), false)
	return back(w, r, path.Dir(p), "renamed", err)
}

func (h *Handler) move(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	to, err := formPath(r, "to")
	if err != nil {
		return back(w, r, path.Dir(p), "", err)
	}
	_, err = h.svc.Move(r.Context(), p, path.Join(to, path.Base(p)), false)
	return back(w, r, path.Dir(p), "moved", err)
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	return back(w, r, path.Dir(p), "deleted", h.svc.Remove(r.Context(), p))
}

type shareView struct {
	Path   string
	Shares []files.ACL
	Error  string
	Levels []files.Level
}

func (h *Handler) shareForm(w http.ResponseWriter, r *http.Request) error {
	p, err := cleanParam(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	acls, err := h.svc.Shares(r.Context(), p)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "files/share", shareView{Path: p, Shares: acls,
		Levels: []files.Level{files.Read, files.Write, files.Manage}, Error: r.URL.Query().Get("error")})
	return nil
}

func (h *Handler) share(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	lvl, err := files.ParseLevel(r.PostFormValue("level"))
	if err != nil {
		return err
	}
	kind := r.PostFormValue("kind")
	err = h.svc.Share(r.Context(), p, kind, strings.TrimSpace(r.PostFormValue("who")), lvl)
	if err != nil && !core.IsKind(err, core.Internal) {
		http.Redirect(w, r, "/files/share?path="+url.QueryEscape(p)+"&error="+url.QueryEscape(core.MessageOf(err)),
			http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/files/share?path="+url.QueryEscape(p), http.StatusSeeOther)
	return nil
}

type versionsView struct {
	Path     string
	Versions []*files.Version
	Policy   files.Config
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request) error {
	p, err := cleanParam(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	vs, err := h.svc.Versions(r.Context(), p)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "files/versions", versionsView{Path: p, Versions: vs, Policy: h.svc.Config()})
	return nil
}

func (h *Handler) restoreVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	return back(w, r, path.Dir(p), "restored", h.svc.RestoreVersion(r.Context(), p, r.PostFormValue("version")))
}

type trashView struct {
	Path  string
	Items []files.TrashItem
	Days  int
}

func (h *Handler) trash(w http.ResponseWriter, r *http.Request) error {
	p, err := cleanParam(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	items, err := h.svc.Trash(r.Context(), p)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "files/trash", trashView{Path: p, Items: items,
		Days: int(h.svc.Config().TrashAge / (24 * time.Hour))})
	return nil
}

func (h *Handler) trashAct(w http.ResponseWriter, r *http.Request) error {
	p, err := formPath(r, "path")
	if err != nil {
		return err
	}
	switch r.PostFormValue("action") {
	case "restore":
		return back(w, r, p, "restored", h.svc.RestoreTrash(r.Context(), p, r.PostFormValue("id")))
	case "purge":
		var ids []string
		if id := r.PostFormValue("id"); id != "" {
			ids = append(ids, id)
		}
		_, err := h.svc.PurgeTrash(r.Context(), p, ids...)
		return back(w, r, p, "purged", err)
	}
	return core.E("filesweb", core.Invalid, "unknown trash action")
}

// homework pages

type groupOption struct{ ID, Label string }

type homeworkView struct {
	Assignments []*files.Assignment
	Groups      []groupOption
	Error       string
	Form        map[string]string
}

func (h *Handler) groupsOf(ctx context.Context) []groupOption {
	var out []groupOption
	for _, g := range h.svc.TeachingGroups(ctx) {
		out = append(out, groupOption{ID: g.ID, Label: g.Code + " — " + g.Name})
	}
	return out
}

func (h *Handler) homework(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	if !p.Profile.Adult() {
		return core.E("filesweb", core.Permission, "files.err.teachers_only")
	}
	as, err := h.svc.Assignments(r.Context())
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "files/homework", homeworkView{Assignments: as, Groups: h.groupsOf(r.Context()),
		Error: r.URL.Query().Get("error")})
	return nil
}

func (h *Handler) distribute(w http.ResponseWriter, r *http.Request) error {
	src, err := formPath(r, "source")
	if err == nil {
		var deadline time.Time
		deadline, err = time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("deadline"), time.Local)
		if err != nil {
			err = core.E("filesweb", core.Invalid, "%s", web.T(r.Context(), "files.err.deadline"))
		} else {
			var a *files.Assignment
			a, err = h.svc.Distribute(r.Context(), src, r.PostFormValue("group"), r.PostFormValue("title"), deadline)
			if err == nil {
				http.Redirect(w, r, HomeworkPath+"/"+a.ID, http.StatusSeeOther)
				return nil
			}
		}
	}
	if core.IsKind(err, core.Internal) {
		return err
	}
	http.Redirect(w, r, HomeworkPath+"?error="+url.QueryEscape(core.MessageOf(err)), http.StatusSeeOther)
	return nil
}

type assignmentView struct {
	A                     *files.Assignment
	OnTime, Late, Missing int
	Returned              int
	Collection            string
}

func (h *Handler) assignment(w http.ResponseWriter, r *http.Request) error {
	a, err := h.svc.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := assignmentView{A: a, Collection: "/home/" + files.HomeworkFolder + "/" + files.CollectionFolder(a)}
	for _, p := range a.Pupils {
		switch p.Status {
		case files.OnTime:
			v.OnTime++
		case files.Late:
			v.Late++
		case files.Missing:
			v.Missing++
		}
	}
	h.rd.Page(w, r, http.StatusOK, "files/assignment", v)
	return nil
}

func (h *Handler) assignmentAct(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("act") {
	case "collect":
		_, err = h.svc.Collect(r.Context(), id)
	case "return":
		_, err = h.svc.Return(r.Context(), id)
	default:
		return core.E("filesweb", core.NotFound, "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("%s/%s", HomeworkPath, id), http.StatusSeeOther)
	return nil
}

type adminRow struct {
	files.SpaceStats
	UsedH, QuotaH string
	Percent       int
}

type adminView struct {
	Rows    []adminRow
	Kinds   []string
	Est     string
	Error   string
	Message string
	BW      bandwidthForm
}

// bandwidthForm is the console's form of the bandwidth limits (UTI-ESF-5),
// rates in Mbit/s as administrators think of their links.
type bandwidthForm struct {
	Down, Up, From, To string
	Zones              []zoneLimits
}

type zoneLimits struct {
	Name, Down, Up string
}

func mbitsOrEmpty(v int64) string {
	if v <= 0 {
		return ""
	}
	return bandwidth.Mbits(v)
}

func (h *Handler) bandwidthForm(ctx context.Context, est string) (bandwidthForm, error) {
	p, err := h.svc.Bandwidth(ctx, est)
	if err != nil {
		return bandwidthForm{}, err
	}
	f := bandwidthForm{Down: mbitsOrEmpty(p.Down), Up: mbitsOrEmpty(p.Up), From: p.From, To: p.To}
	names, err := h.svc.ZoneNames(ctx, est)
	if err != nil {
		return f, err
	}
	for _, z := range p.ZoneNames() { // limits kept for a zone since removed
		if !slices.Contains(names, z) {
			names = append(names, z)
		}
	}
	for _, n := range names {
		l, ok := p.Zones[n]
		zl := zoneLimits{Name: n}
		if ok {
			zl.Down, zl.Up = mbitsOrEmpty(l.Down), mbitsOrEmpty(l.Up)
		}
		f.Zones = append(f.Zones, zl)
	}
	return f, nil
}

// parseBandwidth reads the posted form into a policy: an empty zone field
// follows the establishment's limit for that direction (both empty: the zone
// is not stored); "0" in a zone field means no limit there.
func parseBandwidth(r *http.Request) (bandwidth.Policy, error) {
	var p bandwidth.Policy
	var err error
	if p.Down, err = bandwidth.ParseMbits(r.PostFormValue("down")); err != nil {
		return p, err
	}
	if p.Up, err = bandwidth.ParseMbits(r.PostFormValue("up")); err != nil {
		return p, err
	}
	p.From, p.To = strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to"))
	for _, z := range r.PostForm["zone"] {
		d, u := strings.TrimSpace(r.PostFormValue("zone-down-"+z)), strings.TrimSpace(r.PostFormValue("zone-up-"+z))
		if d == "" && u == "" {
			continue
		}
		// An empty field beside a filled one follows the establishment.
		l := bandwidth.Limits{Down: bandwidth.Inherit, Up: bandwidth.Inherit}
		if d != "" {
			if l.Down, err = bandwidth.ParseMbits(d); err != nil {
				return p, err
			}
		}
		if u != "" {
			if l.Up, err = bandwidth.ParseMbits(u); err != nil {
				return p, err
			}
		}
		if p.Zones == nil {
			p.Zones = map[string]bandwidth.Limits{}
		}
		p.Zones[z] = l
	}
	return p, p.Validate()
}

// admin is the console's storage page: every space of the establishment
// with its usage, quota and counts, never a name inside (UTI-ESF-8).
func (h *Handler) admin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	est := r.URL.Query().Get("est")
	if est == "" && len(p.Establishments) > 0 {
		est = p.Establishments[0]
	}
	st, err := h.svc.AdminSpaces(ctx, est)
	if err != nil {
		return err
	}
	v := adminView{Kinds: files.QuotaKeys, Est: est, Error: r.URL.Query().Get("error")}
	switch r.URL.Query().Get("done") {
	case "":
	case "bandwidth":
		v.Message = "files.admin.bw.saved"
	default:
		v.Message = "files.admin.saved"
	}
	if v.BW, err = h.bandwidthForm(ctx, est); err != nil {
		return err
	}
	for _, s := range st {
		row := adminRow{SpaceStats: s, UsedH: files.HumanSize(s.Used), QuotaH: files.HumanSize(s.Quota)}
		if s.Quota > 0 {
			row.Percent = int(min(s.Used*100/s.Quota, 100))
		}
		v.Rows = append(v.Rows, row)
	}
	h.rd.Page(w, r, http.StatusOK, "files/admin", v)
	return nil
}

func (h *Handler) adminSet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est := r.PostFormValue("est")
	target := AdminPath + "?est=" + url.QueryEscape(est)
	if r.PostFormValue("action") == "bandwidth" {
		p, err := parseBandwidth(r)
		if err == nil {
			err = h.svc.SetBandwidth(ctx, est, p)
		}
		if err != nil {
			if core.IsKind(err, core.Internal) {
				return err
			}
			http.Redirect(w, r, target+"&error="+url.QueryEscape(core.MessageOf(err))+"#bandwidth", http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, target+"&done=bandwidth#bandwidth", http.StatusSeeOther)
		return nil
	}
	n, err := parseSize(r.PostFormValue("size"))
	if err == nil {
		switch r.PostFormValue("action") {
		case "person":
			_, err = h.svc.SetQuota(ctx, files.Personal, strings.TrimSpace(r.PostFormValue("login")), n)
		case "default":
			err = h.svc.SetDefaultQuota(ctx, est, r.PostFormValue("kind"), n)
		default:
			err = core.E("filesweb", core.Invalid, "unknown action")
		}
	}
	if err != nil {
		if core.IsKind(err, core.Internal) {
			return err
		}
		http.Redirect(w, r, target+"&error="+url.QueryEscape(core.MessageOf(err)), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, target+"&done=1", http.StatusSeeOther)
	return nil
}

// parseSize reads "20G", "500M", "0" (in GiB when no unit is given).
func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "O"), "B"), "I")
	mult := float64(files.GiB)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult, s = 1<<10, s[:len(s)-1]
		case 'M':
			mult, s = 1<<20, s[:len(s)-1]
		case 'G':
			mult, s = 1<<30, s[:len(s)-1]
		case 'T':
			mult, s = 1<<40, s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", "."), 64)
	if err != nil || f < 0 || f*mult > 1<<60 {
		return 0, core.E("filesweb", core.Invalid, "%q is not a size (examples: 20G, 500M, 0)", s)
	}
	return int64(f * mult), nil
}

// shapedResponse sends a download at the pace of the bandwidth limit.
type shapedResponse struct {
	http.ResponseWriter
	w io.Writer
}

func (s shapedResponse) Write(b []byte) (int, error) { return s.w.Write(b) }
