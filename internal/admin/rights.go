// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// Rights is what the rights and zones pages need of the directory service,
// which checks who may do what and journals every change.
type Rights interface {
	Grant(ctx context.Context, g *directory.Grant) error
	Revoke(ctx context.Context, est, id string) error
	Grants(ctx context.Context, est string) ([]*directory.Grant, error)
	EffectiveRights(ctx context.Context, personID string) ([]directory.RightSource, error)
	Person(ctx context.Context, idOrLogin string) (*directory.Person, error)
	Zones(ctx context.Context, est string) ([]*directory.Zone, error)
	PutZone(ctx context.Context, z *directory.Zone) error
	DeleteZone(ctx context.Context, est, name string) error
}

// Groups lists the groups of an establishment.
type Groups interface {
	FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
}

type rightsView struct {
	Est        establishmentChoice
	CanGrant   bool // the head of the establishment or an operator
	InForce    []*directory.Grant
	Ended      []*directory.Grant
	Rights     []core.Right
	ZoneNames  []string
	Groups     []*directory.Group
	Form       *web.Form
	Person     *directory.Person // the person whose rights are explained, if any
	Effective  []directory.RightSource
	RequiredBy map[core.Right]string // rights bound to a zone by CARINE
}

func (h *Handler) rightsRoutes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET /admin/rights", requireAdmin(web.HandlerFunc(h.rightsPage)))
	mux.Handle("POST /admin/rights/grant", requireAdmin(web.HandlerFunc(h.grant)))
	mux.Handle("POST /admin/rights/{id}/revoke", requireAdmin(web.HandlerFunc(h.revoke)))
}

func (h *Handler) rightsView(r *http.Request, f *web.Form) (rightsView, error) {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return rightsView{}, err
	}
	est := c.Current.ID
	v := rightsView{Est: c, Form: f, CanGrant: p.Operator() || p.Profile == core.ProfileHead && p.AttachedTo(est),
		RequiredBy: map[core.Right]string{}}
	for _, right := range core.KnownRights {
		if right != core.RightOperator || p.Operator() {
			v.Rights = append(v.Rights, right)
		}
		if z := core.RequiredZone(right); z != "" {
			v.RequiredBy[right] = z
		}
	}
	gs, err := h.deps.Rights.Grants(ctx, est)
	if err != nil {
		return v, err
	}
	now := time.Now()
	for _, g := range gs {
		if g.InForce(now) || g.RevokedAt.IsZero() && g.From.After(now) {
			v.InForce = append(v.InForce, g)
		} else {
			v.Ended = append(v.Ended, g)
		}
	}
	zs, err := h.deps.Rights.Zones(ctx, est)
	if err != nil {
		return v, err
	}
	for _, z := range zs {
		v.ZoneNames = append(v.ZoneNames, z.Name)
	}
	if v.Groups, err = h.deps.Groups.FindGroups(ctx, directory.GroupFilter{Establishment: est}); err != nil {
		return v, err
	}
	slices.SortFunc(v.Groups, func(a, b *directory.Group) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	if who := r.FormValue("person"); who != "" {
		if v.Person, err = h.deps.Rights.Person(ctx, who); err != nil {
			return v, err
		}
		if v.Effective, err = h.deps.Rights.EffectiveRights(ctx, v.Person.ID); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (h *Handler) rightsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.rightsView(r, web.NewForm(r.Context(), url.Values{"target": {"person"}}))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "admin/rights", v)
	return nil
}

// grant gives a right from the form: to a person by login or to a group,
// from a date (today by default) until an optional date (inclusive), bound
// to a zone when one is chosen.
func (h *Handler) grant(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	g := &directory.Grant{Establishment: c.Current.ID, Right: core.Right(f.Required("right", "admin.rights.right")),
		Zone: f.Value("zone")}
	if f.Value("target") == "group" {
		g.GroupID = f.Required("group", "admin.rights.group")
	} else if login := f.Required("login", "admin.rights.login"); login != "" {
		person, err := h.deps.Rights.Person(ctx, login)
		if core.KindOf(err) == core.NotFound || core.KindOf(err) == core.Permission {
			f.Fail("login", "admin.rights.no_such_person", login)
		} else if err != nil {
			return err
		} else {
			g.PersonID = person.ID
		}
	}
	g.From = parseDay(f, "from", false)
	g.Until = parseDay(f, "until", true)
	if !g.Until.IsZero() && !g.Until.After(g.From) && (!g.From.IsZero() || !g.Until.After(time.Now())) {
		f.Fail("until", "admin.rights.until_before")
	}
	if f.Valid() {
		err = h.deps.Rights.Grant(ctx, g)
		if k := core.KindOf(err); k == core.Invalid || k == core.NotFound {
			f.Fail("right", "admin.rights.refused", core.MessageOf(err))
		} else if err != nil {
			return err
		}
	}
	if !f.Valid() {
		v, err := h.rightsView(r, f)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "admin/rights", v)
		return nil
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "admin.rights.granted", Args: []string{string(g.Right)}})
	http.Redirect(w, r, "/admin/rights?est="+url.QueryEscape(c.Current.ID), http.StatusSeeOther)
	return nil
}

// parseDay reads a yyyy-mm-dd date field: its start, or with end the start
// of the next day (so that "until" includes the day named). Empty is zero.
func parseDay(f *web.Form, name string, end bool) time.Time {
	v := f.Value(name)
	if v == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		f.Fail(name, "admin.rights.bad_date", clipText(v))
		return time.Time{}
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) error {
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	if err := h.deps.Rights.Revoke(r.Context(), c.Current.ID, r.PathValue("id")); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "admin.rights.revoked"})
	http.Redirect(w, r, "/admin/rights?est="+url.QueryEscape(c.Current.ID), http.StatusSeeOther)
	return nil
}
