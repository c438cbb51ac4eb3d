// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirweb

import (
	"context"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/web"
	"github.com/preau/preau/internal/web/sheet"
)

type previewView struct {
	Token    string
	Files    []string
	Plan     *dirsync.Plan
	Dropped  []droppedCount
	Warnings []string
	Limit    int
	// A rollover's school years ("2026-2027") and the classes whose
	// picture login ends.
	FromName, ToName, Pictures string
}

type droppedCount struct {
	Name  string
	Count int
}

// preview parses the upload, plans the import and shows what would change.
// Nothing is stored but the plan, in memory, for this session.
func (h *ImportPages) preview(w http.ResponseWriter, r *http.Request) error {
	batch, names, err := parseUpload(r)
	if err == nil {
		var plan *dirsync.Plan
		f := web.NewForm(r.Context(), r.MultipartForm.Value)
		plan, err = h.eng.Plan(r.Context(), dirsync.FromBatch(batch), dirsync.Options{
			Mode: dirsync.Mode(f.Value("mode")), ConfirmDisable: f.Checked("confirm_disable"), Rollover: f.Checked("rollover"), Grace: h.grace})
		if err == nil {
			p := core.PrincipalFromContext(r.Context())
			if !p.CanAdminister(plan.Establishment.ID) {
				return core.E("dirweb.import", core.Permission, "dir.import.not_yours")
			}
			token := web.RandomToken()
			h.mu.Lock()
			h.runs[token] = &run{session: p.SessionID, created: time.Now(), files: names, plan: plan,
				warnings: batch.Warnings, state: "preview", updates: make(chan struct{}, 1)}
			h.mu.Unlock()
			v := previewView{Token: token, Files: names, Plan: plan, Warnings: batch.Warnings, Limit: 50}
			if r := plan.Rollover; r != nil {
				v.FromName, v.ToName, v.Pictures = dirsync.YearName(r.From), dirsync.YearName(r.To), strings.Join(r.PictureLogins, ", ")
			}
			for k, n := range batch.Dropped {
				v.Dropped = append(v.Dropped, droppedCount{k, n})
			}
			sort.Slice(v.Dropped, func(i, j int) bool { return v.Dropped[i].Name < v.Dropped[j].Name })
			h.rd.Page(w, r, http.StatusOK, "dir/import_preview", v)
			return nil
		}
	}
	if k := core.KindOf(err); k == core.Invalid || k == core.NotFound || k == core.Conflict || k == core.Permission {
		msg := core.MessageOf(err)
		if strings.HasPrefix(msg, "dir.") { // our own messages are catalog keys
			msg = web.T(r.Context(), msg)
		} else if k == core.Permission && batch != nil && !directory.IsNationalSource(string(batch.Source)) {
			msg = web.T(r.Context(), "dir.sources.undeclared", strings.ToUpper(string(batch.Source)))
		}
		status := http.StatusUnprocessableEntity
		if k == core.Permission { // another establishment's file, or an undeclared generic source
			status = http.StatusForbidden
		}
		return h.renderForm(w, r, status, importForm{Form: web.NewForm(r.Context(), nil), Error: msg})
	}
	return err
}

// apply starts applying a previewed plan in the background and shows its
// progress.
func (h *ImportPages) apply(w http.ResponseWriter, r *http.Request) error {
	x, err := h.get(r)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if x.state != "preview" {
		h.mu.Unlock()
		http.Redirect(w, r, "/admin/import/"+r.PathValue("token"), http.StatusSeeOther)
		return nil
	}
	x.state, x.total = "applying", len(x.plan.Credentials)
	h.mu.Unlock()
	// The principal (for the journal) comes along; the request may end first.
	ctx := core.ContextWithPrincipal(context.WithoutCancel(r.Context()), core.PrincipalFromContext(r.Context()))
	go func() {
		err := h.eng.Apply(ctx, x.plan, func(done, total int) {
			h.mu.Lock()
			x.done, x.total = done, total
			h.mu.Unlock()
			notify(x.updates)
		})
		h.mu.Lock()
		x.state = "done"
		if err != nil {
			x.state, x.err = "failed", core.MessageOf(err)
			if x.err == "" {
				x.err = "internal error"
			}
		}
		h.mu.Unlock()
		notify(x.updates)
	}()
	http.Redirect(w, r, "/admin/import/"+r.PathValue("token"), http.StatusSeeOther)
	return nil
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// progress shows the shell's progress page for a run being applied.
func (h *ImportPages) progress(w http.ResponseWriter, r *http.Request) error {
	x, err := h.get(r)
	if err != nil {
		return err
	}
	h.mu.Lock()
	state, done, total, msg := x.state, x.done, x.total, x.err
	h.mu.Unlock()
	if state == "failed" {
		return core.E("dirweb.import", core.Conflict, "%s", msg)
	}
	token := r.PathValue("token")
	h.rd.Page(w, r, http.StatusOK, "progress", web.Progress{Title: "dir.import.applying", Message: "dir.import.hashing",
		Value: int64(done), Max: int64(total), EventsURL: "/admin/import/" + token + "/events",
		Done: state == "done", DoneURL: "/admin/import/" + token + "/passwords"})
	return nil
}

// events streams the progress of a run.
func (h *ImportPages) events(w http.ResponseWriter, r *http.Request) error {
	x, err := h.get(r)
	if err != nil {
		return err
	}
	token := r.PathValue("token")
	return web.StreamProgress(w, r, x.updates, func() (string, web.ProgressEvent) {
		h.mu.Lock()
		state, done, total, msg := x.state, x.done, x.total, x.err
		h.mu.Unlock()
		ev := web.ProgressEvent{Value: int64(done), Max: int64(total)}
		switch state {
		case "done":
			ev.URL, ev.Message = "/admin/import/"+token+"/passwords", web.T(r.Context(), "dir.import.done")
			return web.EventDone, ev
		case "failed":
			ev.Message = msg
			return web.EventFailed, ev
		}
		return web.EventProgress, ev
	})
}

type passwordsView struct {
	Establishment string
	Classes       []classSheet
	PDF           template.URL // every card as one PDF, built in this request
}

type classSheet struct {
	Class string
	Cards []sheet.Card
}

// passwords shows the initial passwords of the created accounts once, as
// printable sheets per class (the shared password-sheet cards, with the same
// cards as a PDF built in this request); they are then wiped from memory
// (INF-AUT-10).
func (h *ImportPages) passwords(w http.ResponseWriter, r *http.Request) error {
	x, err := h.get(r)
	if err != nil {
		return err
	}
	h.mu.Lock()
	if x.state != "done" || x.shown {
		h.mu.Unlock()
		return core.E("dirweb.import", core.NotFound, "dir.import.shown")
	}
	creds := x.plan.Credentials
	x.plan.Credentials, x.shown = nil, true
	h.mu.Unlock()
	est := x.plan.Establishment.Name
	portal := "https://" + r.Host + "/"
	byClass := map[string][]sheet.Card{}
	for _, c := range creds {
		byClass[c.Class] = append(byClass[c.Class], sheet.Card{Establishment: est, Name: c.Name, Class: c.Class,
			Login: c.Login, Password: c.Password, Portal: portal})
	}
	v := passwordsView{Establishment: est}
	for c, list := range byClass {
		v.Classes = append(v.Classes, classSheet{Class: c, Cards: list})
	}
	sort.Slice(v.Classes, func(i, j int) bool { return v.Classes[i].Class < v.Classes[j].Class })
	var all []sheet.Card
	for _, c := range v.Classes {
		all = append(all, c.Cards...)
	}
	if len(all) > 0 {
		pdf, err := sheet.Sheet{Cards: all, At: time.Now(), Labels: sheet.LabelsFor(r.Context(), web.T(r.Context(), "dir.import.passwords_title"))}.DataURL()
		if err != nil {
			return err
		}
		v.PDF = template.URL(pdf) // built here from base64, not from input
	}
	w.Header().Set("Cache-Control", "no-store")
	h.rd.Page(w, r, http.StatusOK, "dir/import_passwords", v)
	return nil
}
