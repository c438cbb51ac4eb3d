// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"net/http"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// Paths of the session pages (INF-AUT-4).
const (
	SessionsPath = "/account/sessions"
	WhoamiPath   = "/whoami"
)

type sessionRow struct {
	Handle   string
	Device   string
	Zone     string
	Source   string
	Since    time.Time
	LastSeen time.Time
	Current  bool
	Strong   bool
}

func (h *Handler) sessionRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+SessionsPath, RequireLogin(web.HandlerFunc(h.sessionsPage)))
	mux.Handle("POST "+SessionsPath+"/{handle}/end", RequireLogin(web.HandlerFunc(h.endSession)))
	mux.Handle("GET "+WhoamiPath, web.HandlerFunc(h.whoami))
	mux.Handle("GET /api/v1/whoami", web.HandlerFunc(h.whoamiAPI))
}

func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	ss, err := h.auth.Sessions(r.Context())
	if err != nil {
		return err
	}
	zones, err := h.auth.Zones(r.Context(), p.Establishments)
	if err != nil {
		return err
	}
	rows := make([]sessionRow, 0, len(ss))
	for _, s := range ss {
		rows = append(rows, sessionRow{Handle: auth.SessionHandle(s.ID), Device: deviceOf(s.UserAgent),
			Zone: directory.ZoneOf(zones, s.Source), Source: s.Source, Since: s.CreatedAt,
			LastSeen: s.LastSeen, Current: s.ID == p.SessionID, Strong: s.AuthLevel >= 2})
	}
	h.rd.Page(w, r, http.StatusOK, "auth/sessions", rows)
	return nil
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	handle := r.PathValue("handle")
	if handle == auth.SessionHandle(p.SessionID) {
		if err := h.EndSession(w, r); err != nil {
			return err
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	if err := h.auth.EndOwnSession(r.Context(), handle); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.sessions.ended"})
	http.Redirect(w, r, SessionsPath, http.StatusSeeOther)
	return nil
}

// whoamiView is what a shared workstation's desktop banner shows.
type whoamiView struct {
	Anonymous   bool      `json:"anonymous"`
	Login       string    `json:"login,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Profile     string    `json:"profile,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	Methods     []string  `json:"amr,omitempty"`
	Strong      bool      `json:"strong"`
	Address     string    `json:"address,omitempty"` // the source address Préau sees
	Zone        string    `json:"zone,omitempty"`    // its network zone
	// Rights held now, as "right establishment-id"; ZoneBound lists those
	// granted but not usable from this zone, with the zone they need.
	Rights    []string          `json:"rights,omitempty"`
	ZoneBound map[string]string `json:"zone_bound,omitempty"`
}

func (h *Handler) whoamiOf(r *http.Request) (whoamiView, error) {
	p := core.PrincipalFromContext(r.Context())
	if p.PersonID == "" {
		return whoamiView{Anonymous: true}, nil
	}
	person, err := h.auth.CurrentPerson(r.Context())
	if err != nil {
		return whoamiView{}, err
	}
	v := whoamiView{Login: p.Login, DisplayName: person.DisplayName, Profile: string(p.Profile), Since: p.AuthTime,
		Methods: p.AuthMethods, Strong: p.AuthLevel >= 2, Address: p.Source, Zone: p.Zone}
	for _, g := range p.Grants {
		key := string(g.Right) + " " + g.Establishment
		if p.HasRight(g.Right, g.Establishment) {
			v.Rights = append(v.Rights, key)
		} else if z := p.ZoneRefusal(g.Right, g.Establishment); z != "" {
			if v.ZoneBound == nil {
				v.ZoneBound = map[string]string{}
			}
			v.ZoneBound[key] = z
		}
	}
	return v, nil
}

// whoami shows who is logged in on this browser, in large type, for the
// banner of a shared workstation (INF-AUT-4). It refreshes itself.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	v, err := h.whoamiOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Refresh", "60")
	h.rd.Page(w, r, http.StatusOK, "auth/whoami", v)
	return nil
}

func (h *Handler) whoamiAPI(w http.ResponseWriter, r *http.Request) error {
	v, err := h.whoamiOf(r)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, v)
}

// deviceOf names a browser and system from a User-Agent, roughly, for
// people to recognise their own devices.
func deviceOf(ua string) string {
	browser := "?"
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{{"Android", "Android"}, {"iPhone", "iPhone"},
		{"iPad", "iPad"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " — " + system
}
