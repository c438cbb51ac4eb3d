// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

type grantRow struct {
	*directory.Grant
	EstName string
	Zone    string // the zone the grant or the right demands, if any
	InForce bool
}

type personView struct {
	Scope    *scope
	Person   *directory.Person
	EstNames []string
	Groups   []directory.PersonGroup
	Grants   []grantRow
	Sessions []*auth.Session
	Factors  []auth.SecondFactor // shown to those who may remove them: administrators of the person
	Journal  []*journal.Entry
	Classes  []*directory.Group // of the person's main establishment, this year
	Profiles []core.Profile
	Form     *web.Form
	Back     string
}

// personFor returns the person of the request if the principal manages one
// of their establishments; NotFound otherwise, as for a missing person.
func (h *Handler) personFor(r *http.Request) (*directory.Person, error) {
	p, err := h.Directory.Person(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !manages(r.Context(), p.Establishments) {
		return nil, core.E("peopleweb.person", core.NotFound, "no such person")
	}
	return p, nil
}

// personPage shows one person: identity, state, establishments, groups with
// role, grants, live sessions and the last 50 journal entries about them.
func (h *Handler) personPage(w http.ResponseWriter, r *http.Request, s *scope) error {
	p, err := h.personFor(r)
	if err != nil {
		return err
	}
	return h.renderPerson(w, r, s, p, web.NewForm(r.Context(), url.Values{"given": {p.GivenName}, "family": {p.FamilyName},
		"display": {p.DisplayName}, "profile": {string(p.Profile)}}), http.StatusOK)
}

func (h *Handler) renderPerson(w http.ResponseWriter, r *http.Request, s *scope, p *directory.Person, f *web.Form, code int) error {
	ctx := r.Context()
	pr := core.PrincipalFromContext(ctx)
	v := personView{Scope: s, Person: p, Form: f, Profiles: core.Profiles, Back: backURL(r.URL.Query().Get("back"), s)}
	for _, e := range p.Establishments {
		v.EstNames = append(v.EstNames, s.Name(e))
	}
	var err error
	if v.Groups, err = h.Reader.FindMemberships(ctx, p.ID); err != nil {
		return err
	}
	grants, err := h.Reader.FindGrants(ctx, p.ID)
	if err != nil {
		return err
	}
	now := h.now()
	for _, g := range grants {
		if g.Establishment != "" && !directory.MayManage(pr, g.Establishment) {
			continue // a grant of another establishment is that one's business
		}
		zone := g.Zone // the grant's own zone, else the one the right demands
		if zone == "" {
			zone = core.RequiredZone(g.Right)
		}
		v.Grants = append(v.Grants, grantRow{Grant: g, EstName: s.Name(g.Establishment), Zone: zone, InForce: g.InForce(now)})
	}
	if v.Sessions, err = h.Reader.FindSessions(ctx, p.ID); err != nil {
		return err
	}
	if mayResetFactors(pr, p) {
		if v.Factors, err = h.Factors.SecondFactors(ctx, p.ID); err != nil {
			return err
		}
	}
	jf := journal.Filter{TargetID: p.ID, NewFirst: true, Limit: 50} // by ID: indexed, newest first
	if !pr.Operator() {
		// The chains of the establishments the principal manages; never
		// the deployment's, which only operators read.
		jf.Chains = slices.DeleteFunc(slices.Clone(p.Establishments), func(e string) bool { return !directory.MayManage(pr, e) })
	}
	if v.Journal, err = h.Reader.FindJournal(ctx, jf); err != nil {
		return err
	}
	if p.Profile == core.ProfilePupil && p.MainEstablishment() != "" {
		if v.Classes, err = h.Directory.Groups(ctx, directory.GroupFilter{Establishment: p.MainEstablishment(),
			Kind: string(directory.Class), SchoolYear: core.SchoolYear(now)}); err != nil && !core.IsKind(err, core.Permission) {
			return err
		}
	}
	h.Renderer.Page(w, r, code, "people/person", v)
	return nil
}

// personAction applies one action of the person page: state, names and
// profile, class; a password reset goes to a sheet of one card.
func (h *Handler) personAction(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	p, err := h.personFor(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var flash string
	switch f.Value("action") {
	case actDisable, actEnable:
		st, key := directory.Disabled, "people.person.disabled"
		if f.Value("action") == actEnable {
			st, key = directory.Active, "people.person.enabled"
		}
		flash = key
		_, err = h.Directory.UpdatePerson(ctx, p.ID, directory.PersonUpdate{State: &st})
	case actReset:
		sel := &selection{Action: actReset, People: []*directory.Person{p}}
		if sel.Classes, err = h.Reader.PeopleClasses(ctx, []string{p.ID}, core.SchoolYear(h.now())); err != nil {
			return err
		}
		return h.sheet(w, r, s, sel)
	case actMove:
		if err = h.Directory.MoveToClass(ctx, p.ID, f.Value("class")); err == nil {
			flash = "people.person.moved"
		}
	case actRemoveFactor:
		if err = h.Factors.RemoveSecondFactor(ctx, p.Login, f.Value("factor")); err == nil {
			flash = "people.person.factor_removed"
		}
	case "edit":
		given := f.Required("given", "people.person.given")
		family := f.Required("family", "people.person.family")
		display := f.MaxLen("display", 200)
		profile := f.Value("profile")
		if !core.Profile(profile).Valid() {
			f.Fail("profile", "people.person.bad_profile")
		}
		if !f.Valid() {
			return h.renderPerson(w, r, s, p, f, http.StatusUnprocessableEntity)
		}
		upd := directory.PersonUpdate{GivenName: &given, FamilyName: &family, DisplayName: &display}
		if display == "" {
			d := given + " " + family
			upd.DisplayName = &d
		}
		if profile != string(p.Profile) {
			upd.Profile = &profile
		}
		if _, err = h.Directory.UpdatePerson(ctx, p.ID, upd); core.IsKind(err, core.Invalid) {
			f.Fail("given", "people.person.invalid", core.MessageOf(err))
			return h.renderPerson(w, r, s, p, f, http.StatusUnprocessableEntity)
		}
		flash = "people.person.saved"
	default:
		return core.E("peopleweb.person", core.Invalid, "people.bulk.no_action")
	}
	if err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: flash})
	http.Redirect(w, r, PeoplePath+"/"+p.ID+"?est="+url.QueryEscape(s.Param()), http.StatusSeeOther)
	return nil
}

// actRemoveFactor removes one second factor of the person (a lost key).
const actRemoveFactor = "remove-factor"

// mayResetFactors mirrors auth's rule, to show the second factors only to
// those who may remove them: operators and administrators of one of the
// person's establishments, never for themselves.
func mayResetFactors(pr core.Principal, p *directory.Person) bool {
	if pr.Operator() {
		return true
	}
	return p.ID != pr.PersonID && slices.ContainsFunc(p.Establishments, pr.CanAdminister)
}
