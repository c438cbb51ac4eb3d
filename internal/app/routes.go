// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/auth/cas"
	"github.com/preau/preau/internal/auth/oidc"
	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/auth/picture/pictureweb"
	"github.com/preau/preau/internal/backup/backupweb"
	"github.com/preau/preau/internal/breakglass/breakglassweb"
	"github.com/preau/preau/internal/charter/charterweb"
	"github.com/preau/preau/internal/compliance/complianceweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirweb"
	"github.com/preau/preau/internal/directory/peopleweb"
	"github.com/preau/preau/internal/directory/serviceweb"
	"github.com/preau/preau/internal/files/filesweb"
	"github.com/preau/preau/internal/filter/filterweb"
	"github.com/preau/preau/internal/logs/logsweb"
	"github.com/preau/preau/internal/monitor/monitorweb"
	"github.com/preau/preau/internal/portal"
	"github.com/preau/preau/internal/privacy/privacyweb"
	"github.com/preau/preau/internal/web"
)

// routes builds the one HTTPS handler: every service's pages and API on one
// mux, behind the shell's security headers, language choice, the principal
// middleware and CSRF checks.
func (a *App) routes() (http.Handler, error) {
	rd, err := web.NewRenderer(web.RendererConfig{Nav: a.nav, Log: a.log,
		Footer: []web.NavItem{{Label: "privacy.footer", Href: "/privacy"}}},
		authweb.Assets(), oidc.Assets(), portal.Assets(), admin.Assets(), dirweb.Assets(), cas.Assets(), pictureweb.Assets(), appAssets(),
		complianceweb.Assets(), breakglassweb.Assets(), charterweb.Assets(), peopleweb.Assets(), serviceweb.Assets(), privacyweb.Assets(),
		filesweb.Assets(), logsweb.Assets(), backupweb.Assets(), monitorweb.Assets(), filterweb.Assets())
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	mux.HandleFunc("GET /healthz", serveHealthz)
	mux.HandleFunc("GET /readyz", a.ready.serveReadyz)
	mux.Handle("GET /readyz/events", web.HandlerFunc(a.readyEvents))
	mux.HandleFunc("GET /progress", func(w http.ResponseWriter, r *http.Request) { a.progressPage(rd, w, r) })
	mux.HandleFunc("GET /ca.crt", a.serveCACert)
	mux.HandleFunc("GET /ca.der", a.serveCACert)

	auth := authweb.New(a.auth, rd, a.log)
	auth.Routes(mux)
	requireAdmin, requireAdminNow, requireConsole := authweb.RequireAdmin, authweb.RequireAdmin, authweb.RequireLogin
	if a.cfg.Auth.Strong("admin") {
		requireConsole = func(h http.Handler) http.Handler { return authweb.RequireLogin(authweb.RequireStrong(h)) }
		recent := auth.RequireRecentProof(a.cfg.Auth.StrongMaxAge)
		requireAdmin = func(h http.Handler) http.Handler { return authweb.RequireAdmin(authweb.RequireStrong(h)) }
		requireAdminNow = func(h http.Handler) http.Handler { return authweb.RequireAdmin(recent(h)) }
	}
	casServer, err := cas.New(cas.Deps{Store: a.db, Auth: a.auth, Renderer: rd, Clock: a.clock,
		Log: a.log.With("svc", "cas"), EndSession: auth.EndSession})
	if err != nil {
		return nil, err
	}
	casServer.Routes(mux)
	auth.OnLogout = a.unbindOnLogout(casServer.SingleLogout)
	mux.Handle("GET /internet", authweb.RequireLogin(a.internetPage(rd))) // the proxy's captive portal (filter.go)
	oidc.New(oidc.Deps{Auth: a.auth, Store: a.db, Clock: a.clock, Log: a.log, Issuer: a.cfg.Web.PublicURL,
		EndSession: auth.EndSession, Renderer: rd}).Routes(mux)
	portal.New(portal.Deps{Directory: a.dir, Groups: a.db, Notices: a.db, CAAvailable: a.pki.CACertPEM() != nil,
		Fingerprint: a.pki.Fingerprint(), Tiles: a.portalTiles, PasswordExpiry: a.passwordExpiry}, rd).Routes(mux, authweb.RequireLogin)
	admin.New(admin.Deps{Directory: a.dir, Journal: a.db, Progress: a.progress, Rights: a.dir, Groups: a.db,
		Stats: a.db, Charts: []admin.ChartSource{a.charterCharts()}, Passwords: a.auth}, rd).Routes(mux, requireAdmin, requireJournal(requireAdmin))
	if err := a.routePrivacy(mux, rd, authweb.RequireLogin, requireAdmin); err != nil {
		return nil, err
	}
	cw, err := complianceweb.New(a.dir, a.complianceDeps(5*time.Minute), rd)
	if err != nil {
		return nil, err
	}
	cw.Routes(mux, requireAdmin)
	dirweb.New(a.dir, a.auth).Routes(mux, authweb.RequireLogin)
	peopleweb.New(peopleweb.Deps{Directory: a.dir, Passwords: a.auth, Factors: a.auth, Reader: a.db, Renderer: rd, Clock: a.clock,
		PublicURL: a.cfg.Web.PublicURL}).Routes(mux, requireConsole)
	a.servicePages(rd).Routes(mux, requireConsole)
	dirweb.NewImportPages(&dirsync.Engine{Store: a.db, Clock: a.clock, Hash: a.auth.Hash}, rd,
		a.cfg.Directory.LeaverGrace).WithSources(a.db).Routes(mux, requireAdminNow)
	pics, err := pictureweb.New(pictureweb.Deps{Renderer: rd, Log: a.log, SetSessionCookie: authweb.SetSessionCookie,
		PublicURL: a.cfg.Web.PublicURL, Pictures: picture.New(picture.Deps{Store: a.db, Sessions: a.auth,
			Clock: a.clock, Log: a.log.With("svc", "picture")})})
	if err != nil {
		return nil, err
	}
	pics.Routes(mux, authweb.RequireLogin)
	bgw, err := breakglassweb.New(breakglassweb.Deps{Service: a.glass, Directory: a.dir, Renderer: rd, Clock: a.clock})
	if err != nil {
		return nil, err
	}
	bgw.Routes(mux, requireAdmin, authweb.RequireLogin)
	charters, err := a.charterPages(rd)
	if err != nil {
		return nil, err
	}
	charters.Routes(mux, authweb.RequireLogin, requireAdmin)
	if err := a.routeFiles(mux, rd, authweb.RequireLogin, requireAdmin); err != nil {
		return nil, err
	}
	if err := a.routeLogs(mux, rd); err != nil {
		return nil, err
	}
	if err := a.routeBackup(mux, rd, requireAdmin); err != nil {
		return nil, err
	}
	if err := a.routeMonitor(mux, rd, a.cfg.Auth.Strong("admin") || a.cfg.Auth.Strong("monitor")); err != nil {
		return nil, err
	}
	fw, err := a.filterPages(rd)
	if err != nil {
		return nil, err
	}
	fw.Routes(mux, authweb.RequireLogin)
	mux.Handle("/", web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return core.E("app", core.NotFound, "")
	}))
	var trusted []netip.Prefix
	for _, c := range a.cfg.Web.TrustedProxies {
		if p, err := netip.ParsePrefix(c); err == nil { // validated when the config was read
			trusted = append(trusted, p.Masked())
		}
	}
	return web.RealIP(trusted, withDAV(a.davHandler(), web.Secure(rd.Wrap(limitBodies(auth.Middleware(charters.Gate(web.CSRF(mux))))), oidc.CrossOriginPaths...))), nil
}

// requireJournal lets administrators through admin (their usual wrapper,
// strong authentication included) and the holders of journal.read (granted
// by the head, perhaps bound to a zone) through a login check; the journal
// pages then show each only the chains they may read.
func requireJournal(admin func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		viaAdmin := admin(next)
		return authweb.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := core.PrincipalFromContext(r.Context())
			if p.IsAdmin() {
				viaAdmin.ServeHTTP(w, r)
				return
			}
			for _, e := range p.Establishments {
				if p.HasRight(core.RightJournalRead, e) {
					next.ServeHTTP(w, r)
					return
				}
			}
			est := ""
			if len(p.Establishments) > 0 {
				est = p.Establishments[0]
			}
			web.Error(w, r, web.RightRefusal(r.Context(), core.RightJournalRead, est))
		}))
	}
}

// maxBody bounds request bodies (forms, JSON); uploads have their own bound.
const maxBody = 1 << 20

// limitBodies refuses bodies larger than the route accepts before anything
// reads them, and caps what is read when the length is not announced.
func limitBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int64(maxBody)
		if r.URL.Path == dirweb.UploadPath {
			n = dirweb.MaxUpload
		}
		if r.URL.Path == filesweb.UploadPath {
			n = filesweb.MaxUpload // streamed to the blob store; the quota bounds it first
		}
		if r.ContentLength > n {
			web.Error(w, r, core.E("app.limitBodies", core.Invalid, "the request is larger than %d MB", n>>20))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// nav is the main navigation for the principal of r.
func (a *App) nav(r *http.Request) []web.NavItem {
	p := core.PrincipalFromContext(r.Context())
	if p.Anonymous() {
		return nil
	}
	items := []web.NavItem{{Label: "app.nav.home", Href: "/"}}
	if p.Profile == core.ProfileTeacher || p.IsAdmin() {
		items = append(items, web.NavItem{Label: "app.nav.resets", Href: "/passwords/reset"},
			web.NavItem{Label: "app.nav.pictures", Href: "/pictures/classes"})
	}
	if p.IsAdmin() || slices.ContainsFunc(p.Grants, func(g core.Grant) bool { return g.Right == core.RightPeopleManage }) {
		items = append(items, web.NavItem{Label: "app.nav.people", Href: peopleweb.PeoplePath})
	}
	if slices.ContainsFunc(p.Establishments, func(e string) bool { return p.HasRight(core.RightFilterDelegate, e) }) {
		items = append(items, web.NavItem{Label: "filter.nav", Href: filterweb.TeacherPath})
	}
	// The console's other sections (import, rights, zones, charters,
	// compliance, break-glass, privacy, journal) are listed on its home
	// page, which keeps this bar on one line.
	if p.IsAdmin() {
		items = append(items, web.NavItem{Label: "app.nav.admin", Href: "/admin/"})
	}
	if monitorReader(p) {
		items = append(items, web.NavItem{Label: "monitor.nav.app", Href: monitorweb.HomePath})
	}
	if p.IsAdmin() || slices.ContainsFunc(p.Grants, func(g core.Grant) bool { return g.Right == core.RightJournalRead }) {
		items = append(items, web.NavItem{Label: "app.nav.journal", Href: "/admin/journal"})
	}
	if a.logs != nil && logsweb.Allowed(p) {
		items = append(items, web.NavItem{Label: "logs.nav", Href: logsweb.SearchPath})
	}
	return items
}

// progress reports the start-up work for the console.
func (a *App) progress() (string, int, int, bool) {
	s := a.ready.status()
	return s.Stage, s.Done, s.Total, !s.Ready && s.Failed == ""
}

func (a *App) progressPage(rd *web.Renderer, w http.ResponseWriter, r *http.Request) {
	s := a.ready.status()
	rd.Page(w, r, http.StatusOK, "progress", web.Progress{Title: "app.progress.title", Message: "app.progress.message",
		Value: int64(s.Done), Max: int64(s.Total), EventsURL: "/readyz/events", Done: s.Ready, DoneURL: "/"})
}

// readyEvents streams start-up progress as Server-Sent Events until ready.
func (a *App) readyEvents(w http.ResponseWriter, r *http.Request) error {
	ch, cancel := a.ready.watch()
	defer cancel()
	return web.StreamProgress(w, r, ch, func() (string, web.ProgressEvent) {
		s := a.ready.status()
		ev := web.ProgressEvent{Value: int64(s.Done), Max: int64(s.Total),
			Message: web.T(r.Context(), "app.progress.count", s.Done, s.Total)}
		switch {
		case s.Ready:
			ev.URL, ev.Message = "/", web.T(r.Context(), "app.progress.ready")
			return web.EventDone, ev
		case s.Failed != "":
			ev.Message = s.Failed
			return web.EventFailed, ev
		}
		return web.EventProgress, ev
	})
}
