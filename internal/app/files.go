// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/clamd"
	"github.com/preau/preau/internal/files/davd"
	"github.com/preau/preau/internal/files/filesweb"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

// filesService builds the storage service over a blob store.
func (b *base) filesService(blobs blob.Store) *files.Service {
	var av files.Scanner
	if b.cfg.Files.Clamd != "" {
		av = clamd.New(b.cfg.Files.Clamd, 30*time.Second)
	}
	return files.New(files.Deps{Store: b.db, Blobs: blobs, People: b.db, Glass: b.glass, Scanner: av, Settings: b.db,
		Mail:  filesMailer{noticeMailer{db: b.db, mailer: b.mailer, log: b.log.With("svc", "notify")}},
		Clock: b.clock, Log: b.log.With("svc", "files"), Config: files.DefaultConfig()})
}

// filesMailer mails the storage notices (quota warnings) the portal already
// shows, as break-glass notices are: when the person has an address and a
// relay is configured, journaled as notify.mail.send.
type filesMailer struct{ m noticeMailer }

func (f filesMailer) MailNotice(ctx context.Context, n files.Notice) {
	f.m.MailNotice(ctx, breakglass.Notice{PersonID: n.PersonID, Subject: n.Subject, Body: n.Body})
}

// davHandler builds the WebDAV endpoint: credentials go through the one
// authentication door, and each verified (not cached) login is journaled;
// cached credentials carry the store's credential stamp (a password change
// ends them at once on every node), locks live in the store, and charters
// left to accept are refused as the portal's gate does.
func (a *App) davHandler() http.Handler {
	var pending func(ctx context.Context) ([]string, error)
	if a.charter != nil {
		pending = func(ctx context.Context) ([]string, error) {
			vs, err := a.charter.Pending(ctx)
			titles := make([]string, len(vs))
			for i, v := range vs {
				titles[i] = v.Title
			}
			return titles, err
		}
	}
	return davd.New(davd.Deps{Files: a.files, Locks: a.db, Stamp: a.db.CredentialStamp, Charters: pending,
		Clock: a.clock, Log: a.log.With("svc", "dav"),
		Auth: func(ctx context.Context, login, password, source string) (core.Principal, error) {
			p, _, err := a.auth.Authenticate(ctx, auth.Attempt{Login: login, Password: password,
				Channel: core.ChannelDAV, Source: source})
			return p, err
		},
		OnLogin: func(ctx context.Context, p core.Principal) {
			chain := journal.DeploymentChain
			if len(p.Establishments) > 0 {
				chain = p.Establishments[0]
			}
			e := journal.Entry{Chain: chain, Action: "auth.login", TargetType: "person", TargetID: p.PersonID,
				TargetName: p.Login, Attributes: []string{"method:pwd"}}
			e.SetActor(p)
			if err := a.db.Journal(ctx, e); err != nil {
				a.log.Error("journaling a WebDAV login failed", "err", err)
			}
		}})
}

// withDAV sends /dav/ to the WebDAV handler, outside the web shell's
// sessions, CSRF checks and body limits (WebDAV authenticates each request
// with Basic credentials and streams its uploads).
func withDAV(dav, shell http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == davd.Prefix || strings.HasPrefix(r.URL.Path, davd.Prefix+"/") {
			dav.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodOptions && r.URL.Path == "/" {
			// Windows' WebDAV client probes the server's root before mapping
			// https://host/dav/home/ as a drive.
			w.Header().Set("DAV", "1, 2")
			w.Header().Set("MS-Author-Via", "DAV")
			w.Header().Set("Allow", "OPTIONS, GET, HEAD")
			w.WriteHeader(http.StatusOK)
			return
		}
		shell.ServeHTTP(w, r)
	})
}

// routeFiles adds the web file manager.
func (a *App) routeFiles(mux *http.ServeMux, rd *web.Renderer, login, admin func(http.Handler) http.Handler) error {
	fw, err := filesweb.New(filesweb.Deps{Files: a.files, Renderer: rd, Clock: a.clock, Log: a.log.With("svc", "filesweb")})
	if err != nil {
		return err
	}
	fw.Routes(mux, login, admin)
	return nil
}

// maintainFiles applies the trash and version retention, at start and then
// hourly.
func (a *App) maintainFiles(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:files", core.ChannelJob))
	for {
		n, err := a.files.Maintain(jctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("files retention failed", "err", err)
		} else if n > 0 {
			a.log.Info("files retention", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// Files returns the storage service (tests drive it directly).
func (a *App) Files() *files.Service { return a.files }
