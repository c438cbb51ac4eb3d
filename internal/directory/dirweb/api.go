// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package dirweb is the directory's JSON API under /api/v1: establishments,
// people (search, read, create, update) and the caller's own record. Field
// names that denote personal data CARINE forbids (INF-ANN-8) are refused by
// name before decoding.
package dirweb

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// Directory is what the API calls.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
	Establishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	Person(ctx context.Context, idOrLogin string) (*directory.Person, error)
	People(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	CreatePerson(ctx context.Context, p *directory.Person, passwordHash string) error
	UpdatePerson(ctx context.Context, id string, upd directory.PersonUpdate) (*directory.Person, error)
}

// Hasher hashes initial passwords.
type Hasher interface {
	Hash(pw string) string
}

// Handler serves the API.
type Handler struct {
	dir    Directory
	hasher Hasher
}

// New returns the directory API.
func New(dir Directory, h Hasher) *Handler { return &Handler{dir: dir, hasher: h} }

// Routes registers the API, each route wrapped by requireLogin.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin func(http.Handler) http.Handler) {
	handle := func(pattern string, fn web.HandlerFunc) { mux.Handle(pattern, requireLogin(fn)) }
	handle("GET /api/v1/me", h.me)
	handle("GET /api/v1/establishments", h.establishments)
	handle("GET /api/v1/people", h.people)
	handle("GET /api/v1/people/{id}", h.person)
	handle("POST /api/v1/people", h.createPerson)
	handle("PATCH /api/v1/people/{id}", h.updatePerson)
}

// maxBody bounds request bodies.
const maxBody = 64 << 10

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	p, err := h.dir.Person(r.Context(), core.PrincipalFromContext(r.Context()).PersonID)
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, personJSON(p))
}

func (h *Handler) establishments(w http.ResponseWriter, r *http.Request) error {
	es, err := h.dir.Establishments(r.Context())
	if err != nil {
		return err
	}
	out := make([]establishmentJSON, len(es))
	for i, e := range es {
		out[i] = establishmentJSON{ID: e.ID, UAI: e.UAI, Type: string(e.Type), Name: e.Name, Academie: e.Academie,
			Domains: e.Domains, People: e.People, Pupils: e.Pupils, Classes: e.Classes}
	}
	return web.JSON(w, http.StatusOK, map[string]any{"establishments": out})
}

func (h *Handler) people(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := directory.PersonFilter{Profile: q.Get("profile"), State: q.Get("state"), Query: q.Get("q"),
		Group: q.Get("group"), Sort: q.Get("sort")}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	if uai := q.Get("establishment"); uai != "" {
		e, err := h.dir.Establishment(r.Context(), uai)
		if err != nil {
			return err
		}
		f.Establishments = []string{e.ID}
	}
	people, total, err := h.dir.People(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]personOut, len(people))
	for i, p := range people {
		out[i] = personJSON(p)
	}
	return web.JSON(w, http.StatusOK, map[string]any{"total": total, "offset": f.Offset, "people": out})
}

func (h *Handler) person(w http.ResponseWriter, r *http.Request) error {
	p, err := h.dir.Person(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return web.JSON(w, http.StatusOK, personJSON(p))
}

// readBody reads a JSON object, refusing forbidden field names by name
// (INF-ANN-8) before decoding it strictly into v.
func readBody(r *http.Request, v any) error {
	const op = "dirweb.readBody"
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return core.E(op, core.Invalid, "the request body could not be read")
	}
	if len(b) > maxBody {
		return core.E(op, core.Invalid, "the request body is larger than %d bytes", maxBody)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return core.E(op, core.Invalid, "the request body is not a JSON object")
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	if err := directory.CheckFieldNames(names); err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return web.DecodeJSON(r, v, maxBody)
}
