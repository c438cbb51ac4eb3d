// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirweb

import (
	"net/http"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

type establishmentJSON struct {
	ID       string   `json:"id"`
	UAI      string   `json:"uai"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Academie string   `json:"academie"`
	Domains  []string `json:"domains"`
	People   int      `json:"people"`
	Pupils   int      `json:"pupils"`
	Classes  int      `json:"classes"`
}

type personOut struct {
	ID             string            `json:"id"`
	Login          string            `json:"login"`
	GivenName      string            `json:"given_name"`
	FamilyName     string            `json:"family_name"`
	DisplayName    string            `json:"display_name"`
	Profile        string            `json:"profile"`
	State          string            `json:"state"`
	Mail           string            `json:"mail,omitempty"`
	Service        bool              `json:"service"`
	MustChange     bool              `json:"must_change_password"`
	Establishments []string          `json:"establishments"`
	ExternalIDs    map[string]string `json:"external_ids,omitempty"`
}

func personJSON(p *directory.Person) personOut {
	return personOut{ID: p.ID, Login: p.Login, GivenName: p.GivenName, FamilyName: p.FamilyName,
		DisplayName: p.DisplayName, Profile: string(p.Profile), State: string(p.State), Mail: p.Mail,
		Service: p.Service, MustChange: p.MustChangePassword, Establishments: p.Establishments, ExternalIDs: p.ExternalIDs}
}

// personIn is the body of POST /api/v1/people. Unknown fields are refused.
type personIn struct {
	Login          string            `json:"login"`
	GivenName      string            `json:"given_name"`
	FamilyName     string            `json:"family_name"`
	DisplayName    string            `json:"display_name"`
	Profile        string            `json:"profile"`
	Mail           string            `json:"mail"`
	Service        bool              `json:"service"`
	Establishments []string          `json:"establishments"` // IDs or UAIs
	ExternalIDs    map[string]string `json:"external_ids"`
	Password       string            `json:"password"` // initial password; hashed at once, never stored
}

func (h *Handler) createPerson(w http.ResponseWriter, r *http.Request) error {
	var in personIn
	if err := readBody(r, &in); err != nil {
		return err
	}
	ests, err := h.resolve(r, in.Establishments)
	if err != nil {
		return err
	}
	p := &directory.Person{Login: in.Login, GivenName: in.GivenName, FamilyName: in.FamilyName,
		DisplayName: in.DisplayName, Profile: core.Profile(in.Profile), Mail: in.Mail, Service: in.Service,
		MustChangePassword: !in.Service, Establishments: ests, ExternalIDs: in.ExternalIDs}
	hash := ""
	if in.Password != "" {
		hash = h.hasher.Hash(in.Password)
	}
	if err := h.dir.CreatePerson(r.Context(), p, hash); err != nil {
		return err
	}
	return web.JSON(w, http.StatusCreated, personJSON(p))
}

// personPatch is the body of PATCH /api/v1/people/{id}; absent fields stay.
type personPatch struct {
	GivenName      *string           `json:"given_name"`
	FamilyName     *string           `json:"family_name"`
	DisplayName    *string           `json:"display_name"`
	Profile        *string           `json:"profile"`
	State          *string           `json:"state"`
	Mail           *string           `json:"mail"`
	Establishments *[]string         `json:"establishments"`
	ExternalIDs    map[string]string `json:"external_ids"`
}

func (h *Handler) updatePerson(w http.ResponseWriter, r *http.Request) error {
	var in personPatch
	if err := readBody(r, &in); err != nil {
		return err
	}
	cur, err := h.dir.Person(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	upd := directory.PersonUpdate{GivenName: in.GivenName, FamilyName: in.FamilyName, DisplayName: in.DisplayName,
		Profile: in.Profile, Mail: in.Mail, ExternalIDs: in.ExternalIDs}
	if in.State != nil {
		st := directory.State(*in.State)
		upd.State = &st
	}
	if in.Establishments != nil {
		ests, err := h.resolve(r, *in.Establishments)
		if err != nil {
			return err
		}
		upd.Establishments = &ests
	}
	p, err := h.dir.UpdatePerson(r.Context(), cur.ID, upd)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, personJSON(p))
}

// resolve turns establishment IDs or UAIs into IDs.
func (h *Handler) resolve(r *http.Request, refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		e, err := h.dir.Establishment(r.Context(), ref)
		if err != nil {
			return nil, err
		}
		out = append(out, e.ID)
	}
	return out, nil
}
