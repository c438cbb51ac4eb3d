// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"net/http"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// Bulk actions on a selection of people. Each goes through a confirmation
// page that lists who is affected; each person's change is its own
// transaction and journal entry through the directory service, and the
// result page reports every person's outcome.

// Actions.
const (
	actDisable = "disable"
	actEnable  = "enable"
	actReset   = "reset" // new passwords → password sheet
	actMove    = "move"  // to a class
)

var actions = []string{actDisable, actEnable, actReset, actMove}

// maxSelection bounds a selection (a class is about 35, a page 200).
const maxSelection = 1000

type selection struct {
	Action  string
	Class   *directory.Group // for actMove
	Group   *directory.Group // when the selection is a group's members
	Filter  *listQuery       // when the selection is whoever the list's filter matches
	People  []*directory.Person
	Classes map[string]string
	Skipped []string // IDs that are nobody the principal may manage
}

// selected resolves the request's selection: the "id" values, or the members
// of the "group". People the principal may not manage are left out and
// counted, never acted upon.
func (h *Handler) selected(r *http.Request, s *scope) (*selection, *web.Form, error) {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return nil, nil, err
	}
	sel := &selection{Action: f.Value("action")}
	if !slices.Contains(actions, sel.Action) {
		return nil, nil, core.E("peopleweb.bulk", core.Invalid, "people.bulk.no_action")
	}
	if sel.Action == actMove {
		g, err := h.Directory.Group(ctx, f.Value("to_class"))
		if err != nil || g.Kind != directory.Class {
			return nil, nil, core.E("peopleweb.bulk", core.Invalid, "people.bulk.no_class")
		}
		sel.Class = g
	}
	var ids []string
	if gid := f.Value("group"); gid != "" {
		g, err := h.Directory.Group(ctx, gid)
		if err != nil {
			return nil, nil, err
		}
		sel.Group = g
		members, _, err := h.Directory.People(ctx, directory.PersonFilter{Establishments: []string{g.Establishment},
			Group: g.ID, Role: directory.RoleMember, Limit: maxSelection})
		if err != nil {
			return nil, nil, err
		}
		for _, m := range members {
			ids = append(ids, m.ID)
		}
	} else if f.Checked("matching") {
		// Everyone the list's filter matches, not only the ticked page.
		q := parseListQuery(r.PostForm)
		sel.Filter = &q
		pf := directory.PersonFilter{Profile: q.Profile, State: q.State, Query: q.Q, Group: q.Class, Sort: q.Sort,
			Limit: maxSelection + 1}
		if s.Est != "" {
			pf.Establishments = []string{s.Est}
		}
		people, total, err := h.Directory.People(ctx, pf)
		if err != nil {
			return nil, nil, err
		}
		if total > maxSelection {
			return nil, nil, core.E("peopleweb.bulk", core.Invalid, "people.bulk.too_many")
		}
		for _, p := range people {
			ids = append(ids, p.ID)
		}
	} else {
		ids = r.PostForm["id"]
	}
	if len(ids) == 0 {
		return nil, nil, core.E("peopleweb.bulk", core.Invalid, "people.bulk.none")
	}
	if len(ids) > maxSelection {
		return nil, nil, core.E("peopleweb.bulk", core.Invalid, "people.bulk.too_many")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !core.ValidID(id) {
			continue
		}
		seen[id] = true
		p, err := h.Directory.Person(ctx, id)
		if core.IsKind(err, core.NotFound) || (err == nil && !manages(ctx, p.Establishments)) {
			sel.Skipped = append(sel.Skipped, id)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		sel.People = append(sel.People, p)
	}
	if sel.Classes, err = h.Reader.PeopleClasses(ctx, ids, core.SchoolYear(h.now())); err != nil {
		return nil, nil, err
	}
	return sel, f, nil
}

type confirmView struct {
	Scope *scope
	Sel   *selection
	Back  string
}

// bulkConfirm lists who the action would affect and asks to confirm.
func (h *Handler) bulkConfirm(w http.ResponseWriter, r *http.Request, s *scope) error {
	sel, f, err := h.selected(r, s)
	if err != nil {
		return err
	}
	h.Renderer.Page(w, r, http.StatusOK, "people/confirm", confirmView{Scope: s, Sel: sel, Back: backURL(f.Value("back"), s)})
	return nil
}

type outcome struct {
	Person *directory.Person
	Class  string
	Error  string // "" when done
}

type resultView struct {
	Scope    *scope
	Action   string
	Class    *directory.Group
	Outcomes []outcome
	Done     int
	Failed   int
	Skipped  int
	Back     string
}

// bulkApply applies a confirmed action to each person of the selection.
func (h *Handler) bulkApply(w http.ResponseWriter, r *http.Request, s *scope) error {
	sel, f, err := h.selected(r, s)
	if err != nil {
		return err
	}
	if sel.Action == actReset {
		return h.sheet(w, r, s, sel)
	}
	ctx := r.Context()
	v := resultView{Scope: s, Action: sel.Action, Class: sel.Class, Skipped: len(sel.Skipped), Back: backURL(f.Value("back"), s)}
	for _, p := range sel.People {
		var err error
		switch sel.Action {
		case actDisable, actEnable:
			st := directory.Disabled
			if sel.Action == actEnable {
				st = directory.Active
			}
			_, err = h.Directory.UpdatePerson(ctx, p.ID, directory.PersonUpdate{State: &st})
		case actMove:
			err = h.Directory.MoveToClass(ctx, p.ID, sel.Class.ID)
		}
		o := outcome{Person: p, Class: sel.Classes[p.ID]}
		if err != nil {
			o.Error = errorText(r, err)
			v.Failed++
		} else {
			v.Done++
		}
		v.Outcomes = append(v.Outcomes, o)
	}
	h.Renderer.Page(w, r, http.StatusOK, "people/result", v)
	return nil
}

// errorText is what a person's failed change shows: the error's safe
// message, translated when it is a catalog key.
func errorText(r *http.Request, err error) string {
	msg := core.MessageOf(err)
	if core.KindOf(err) == core.Internal || msg == "" {
		return web.T(r.Context(), "people.bulk.internal")
	}
	if t := web.T(r.Context(), msg); t != "" {
		return t
	}
	return msg
}

// backURL keeps a same-site return address of the console, else the list.
func backURL(u string, s *scope) string {
	if len(u) > 1 && u[0] == '/' && u[1] != '/' && u[1] != '\\' && len(u) < 2000 &&
		(strings.HasPrefix(u, PeoplePath) || strings.HasPrefix(u, GroupsPath)) {
		return u
	}
	return PeoplePath + "?est=" + s.Param()
}
