// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

type kindSection struct {
	Kind   directory.GroupKind
	Groups []*directory.Group
}

type groupsView struct {
	Scope    *scope
	Year     int
	YearEnd  int
	Sections []kindSection
	Form     *web.Form
}

// groupsPage lists the groups of the establishment by kind: classes and
// teaching groups of the current school year, then the others.
func (h *Handler) groupsPage(w http.ResponseWriter, r *http.Request, s *scope) error {
	if s.Est == "" && len(s.Choices) > 0 {
		// Groups belong to one establishment: an operator coming from the
		// list of every establishment starts with the first.
		http.Redirect(w, r, GroupsPath+"?est="+url.QueryEscape(s.Choices[0].ID), http.StatusSeeOther)
		return nil
	}
	return h.renderGroups(w, r, s, web.NewForm(r.Context(), nil), http.StatusOK)
}

func (h *Handler) renderGroups(w http.ResponseWriter, r *http.Request, s *scope, f *web.Form, code int) error {
	if s.Est == "" {
		return core.E("peopleweb.groups", core.Invalid, "people.groups.pick_establishment")
	}
	year := core.SchoolYear(h.now())
	gs, err := h.Directory.Groups(r.Context(), directory.GroupFilter{Establishment: s.Est})
	if err != nil {
		return err
	}
	v := groupsView{Scope: s, Year: year, YearEnd: year + 1, Form: f}
	for _, k := range []directory.GroupKind{directory.Class, directory.Teaching, directory.Custom, directory.Discipline, directory.Staff} {
		sec := kindSection{Kind: k}
		for _, g := range gs {
			if g.Kind == k && (g.SchoolYear == 0 || g.SchoolYear == year) {
				sec.Groups = append(sec.Groups, g)
			}
		}
		v.Sections = append(v.Sections, sec)
	}
	h.Renderer.Page(w, r, code, "people/groups", v)
	return nil
}

// createGroup creates a custom group (a club, a project, an ad-hoc set of
// pupils for a teacher).
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, s *scope) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	code := f.Required("code", "people.groups.code")
	name := f.MaxLen("name", 200)
	if s.Est == "" {
		return core.E("peopleweb.groups", core.Invalid, "people.groups.pick_establishment")
	}
	if f.Valid() {
		g := &directory.Group{Establishment: s.Est, Code: code, Name: strings.TrimSpace(name), Kind: directory.Custom}
		err := h.Directory.CreateGroup(r.Context(), g)
		switch core.KindOf(err) {
		case core.Exists:
			f.Fail("code", "people.groups.exists", code)
		case core.Invalid:
			f.Fail("code", "people.person.invalid", core.MessageOf(err))
		default:
			if err != nil {
				return err
			}
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "people.groups.created", Args: []string{g.Code}})
			http.Redirect(w, r, groupURL(g.ID, s), http.StatusSeeOther)
			return nil
		}
	}
	return h.renderGroups(w, r, s, f, http.StatusUnprocessableEntity)
}

type groupView struct {
	Scope   *scope
	Group   *directory.Group
	Members []*directory.Person
	Owners  []*directory.Person
	More    bool // more members than shown
	Find    string
	Found   []*directory.Person
	Form    *web.Form
}

func groupURL(id string, s *scope) string {
	return GroupsPath + "/" + id + "?est=" + url.QueryEscape(s.Param())
}

// groupPage shows a group: members, owners, rename, add by login search,
// the password sheet of its members, and deletion for custom groups.
func (h *Handler) groupPage(w http.ResponseWriter, r *http.Request, s *scope) error {
	return h.renderGroup(w, r, s, web.NewForm(r.Context(), nil), http.StatusOK)
}

func (h *Handler) renderGroup(w http.ResponseWriter, r *http.Request, s *scope, f *web.Form, code int) error {
	ctx := r.Context()
	g, err := h.Directory.Group(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := groupView{Scope: s, Group: g, Form: f, Find: strings.TrimSpace(r.URL.Query().Get("find"))}
	ests := []string{g.Establishment}
	if v.Members, _, err = h.Directory.People(ctx, directory.PersonFilter{Establishments: ests, Group: g.ID,
		Role: directory.RoleMember, Limit: maxSelection}); err != nil {
		return err
	}
	v.More = len(v.Members) == maxSelection
	if v.Owners, _, err = h.Directory.People(ctx, directory.PersonFilter{Establishments: ests, Group: g.ID,
		Role: directory.RoleOwner, Limit: 200}); err != nil {
		return err
	}
	if v.Find != "" {
		if v.Found, _, err = h.Directory.People(ctx, directory.PersonFilter{Establishments: ests, Query: v.Find,
			Limit: 20}); err != nil {
			return err
		}
	}
	h.Renderer.Page(w, r, code, "people/group", v)
	return nil
}

// groupAction renames, adds or removes a member or owner, or deletes.
func (h *Handler) groupAction(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	g, err := h.Directory.Group(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var flash web.Flash
	switch f.Value("action") {
	case "rename":
		name := f.Required("name", "people.groups.name")
		if !f.Valid() {
			return h.renderGroup(w, r, s, f, http.StatusUnprocessableEntity)
		}
		if _, err = h.Directory.UpdateGroup(ctx, g.ID, directory.GroupUpdate{Name: &name}); core.IsKind(err, core.Invalid) {
			f.Fail("name", "people.person.invalid", core.MessageOf(err))
			return h.renderGroup(w, r, s, f, http.StatusUnprocessableEntity)
		}
		flash = web.Flash{Kind: web.FlashSuccess, Key: "people.groups.renamed"}
	case "add", "remove":
		login := f.Required("login", "people.groups.login")
		role := f.Value("role")
		if !f.Valid() {
			return h.renderGroup(w, r, s, f, http.StatusUnprocessableEntity)
		}
		p, perr := h.Directory.Person(ctx, login)
		if perr != nil {
			if core.IsKind(perr, core.NotFound) {
				f.Fail("login", "people.groups.unknown", login)
				return h.renderGroup(w, r, s, f, http.StatusUnprocessableEntity)
			}
			return perr
		}
		m := directory.Membership{GroupID: g.ID, PersonID: p.ID, Role: role}
		key := "people.groups.added"
		if f.Value("action") == "add" {
			err = h.Directory.AddMember(ctx, m)
		} else {
			err, key = h.Directory.RemoveMember(ctx, m), "people.groups.removed"
		}
		if k := core.KindOf(err); err != nil && (k == core.Invalid || k == core.NotFound) {
			f.Fail("login", "people.person.invalid", core.MessageOf(err))
			return h.renderGroup(w, r, s, f, http.StatusUnprocessableEntity)
		}
		flash = web.Flash{Kind: web.FlashSuccess, Key: key, Args: []string{p.Login}}
	case "delete":
		if err = h.Directory.DeleteGroup(ctx, g.ID); err != nil {
			return err
		}
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "people.groups.deleted", Args: []string{g.Code}})
		http.Redirect(w, r, GroupsPath+"?est="+url.QueryEscape(s.Param()), http.StatusSeeOther)
		return nil
	default:
		return core.E("peopleweb.group", core.Invalid, "people.bulk.no_action")
	}
	if err != nil {
		return err
	}
	web.SetFlash(w, flash)
	http.Redirect(w, r, groupURL(g.ID, s), http.StatusSeeOther)
	return nil
}
