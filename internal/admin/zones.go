// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

type zonesView struct {
	Est       establishmentChoice
	Zones     []*directory.Zone
	Standard  []string // the usual names, suggested in the form
	Form      *web.Form
	Test      string // the address tested, if any
	TestZone  string // its zone ("" for none)
	TestValid bool
	MyAddress string // the address this request came from, as Préau sees it
	MyZone    string
}

func (h *Handler) zoneRoutes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET /admin/zones", requireAdmin(web.HandlerFunc(h.zonesPage)))
	mux.Handle("POST /admin/zones", requireAdmin(web.HandlerFunc(h.putZone)))
	mux.Handle("POST /admin/zones/{name}/delete", requireAdmin(web.HandlerFunc(h.deleteZone)))
}

func (h *Handler) zonesView(r *http.Request, f *web.Form) (zonesView, error) {
	p := core.PrincipalFromContext(r.Context())
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return zonesView{}, err
	}
	v := zonesView{Est: c, Form: f, Standard: directory.ZoneNames, MyAddress: p.Source}
	if v.Zones, err = h.deps.Rights.Zones(r.Context(), c.Current.ID); err != nil {
		return v, err
	}
	v.MyZone = directory.ZoneOf(v.Zones, p.Source)
	if v.Test = strings.TrimSpace(r.URL.Query().Get("test")); v.Test != "" {
		_, err := netip.ParseAddr(v.Test)
		v.TestValid = err == nil
		v.TestZone = directory.ZoneOf(v.Zones, v.Test)
	}
	return v, nil
}

func (h *Handler) zonesPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.zonesView(r, web.NewForm(r.Context(), nil))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "admin/zones", v)
	return nil
}

// putZone creates or replaces a zone from its name and ranges (one per
// line, or separated by commas or spaces).
func (h *Handler) putZone(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	name := strings.ToLower(f.Required("name", "admin.zones.name"))
	ranges := f.Required("cidrs", "admin.zones.cidrs")
	var cidrs []netip.Prefix
	if ranges != "" {
		cidrs, err = directory.ParseCIDRs(strings.FieldsFunc(ranges, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
		}))
		if err != nil {
			f.Fail("cidrs", "admin.zones.bad_cidrs", core.MessageOf(err))
		}
	}
	if f.Valid() {
		err = h.deps.Rights.PutZone(r.Context(), &directory.Zone{Establishment: c.Current.ID, Name: name, CIDRs: cidrs})
		if core.KindOf(err) == core.Invalid {
			f.Fail("name", "admin.zones.refused", core.MessageOf(err))
		} else if err != nil {
			return err
		}
	}
	if !f.Valid() {
		v, err := h.zonesView(r, f)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "admin/zones", v)
		return nil
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "admin.zones.saved", Args: []string{name}})
	http.Redirect(w, r, "/admin/zones?est="+url.QueryEscape(c.Current.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteZone(w http.ResponseWriter, r *http.Request) error {
	c, err := h.chooseEstablishment(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := h.deps.Rights.DeleteZone(r.Context(), c.Current.ID, name); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "admin.zones.deleted", Args: []string{name}})
	http.Redirect(w, r, "/admin/zones?est="+url.QueryEscape(c.Current.ID), http.StatusSeeOther)
	return nil
}
