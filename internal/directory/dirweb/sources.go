// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirweb

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

// SourceStore keeps the establishments' declarations of generic directory
// sources (INF-ANN-7; *store.DB).
type SourceStore interface {
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	SourceDeclaration(ctx context.Context, estID, source string) (directory.SourceDeclaration, error)
	DeclareSource(ctx context.Context, estID string, d directory.SourceDeclaration) error
}

// WithSources makes the import page list and record the declarations of
// generic sources (CSV, LDIF) of the establishments the admin runs.
func (h *ImportPages) WithSources(s SourceStore) *ImportPages {
	h.sources = s
	return h
}

// sourceRow is one establishment's declaration of one generic source.
type sourceRow struct {
	UAI, Name, Source string
	Declared          *directory.SourceDeclaration
}

// sourceRows lists, for each establishment the principal administers, the
// state of each generic source.
func (h *ImportPages) sourceRows(ctx context.Context) ([]sourceRow, []*directory.Establishment, error) {
	if h.sources == nil {
		return nil, nil, nil
	}
	p := core.PrincipalFromContext(ctx)
	var rows []sourceRow
	var ests []*directory.Establishment
	for _, id := range p.Establishments {
		if !p.CanAdminister(id) {
			continue
		}
		e, err := h.sources.FindEstablishment(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ests = append(ests, e)
		for _, src := range directory.GenericSources {
			row := sourceRow{UAI: e.UAI, Name: e.Name, Source: src}
			d, err := h.sources.SourceDeclaration(ctx, e.ID, src)
			if err == nil {
				row.Declared = &d
			} else if !core.IsKind(err, core.NotFound) {
				return nil, nil, err
			}
			rows = append(rows, row)
		}
	}
	return rows, ests, nil
}

// declare records a declaration posted from the import page.
func (h *ImportPages) declare(w http.ResponseWriter, r *http.Request) error {
	if h.sources == nil {
		return core.E("dirweb.declare", core.NotFound, "")
	}
	if err := r.ParseForm(); err != nil {
		return core.E("dirweb.declare", core.Invalid, "dir.import.bad_upload")
	}
	f := web.NewForm(r.Context(), r.PostForm)
	est, err := h.sources.FindEstablishment(r.Context(), f.Value("establishment"))
	if err != nil {
		return err
	}
	if p := core.PrincipalFromContext(r.Context()); !p.CanAdminister(est.ID) {
		return core.E("dirweb.declare", core.Permission, "dir.import.not_yours")
	}
	d := directory.SourceDeclaration{Source: f.Value("source"), Justification: f.Value("justification"),
		Reference: f.Value("reference")}
	// The fields are checked here to name the faulty one in the page's
	// language; SourceDeclaration.Validate checks them again.
	if !slices.Contains(directory.GenericSources, d.Source) {
		f.Fail("source", "dir.sources.source.invalid")
	}
	if n := len([]rune(strings.TrimSpace(d.Justification))); n < 20 || n > 1000 {
		f.Fail("justification", "dir.sources.justification.invalid")
	}
	if n := len([]rune(strings.TrimSpace(d.Reference))); n < 3 || n > 200 {
		f.Fail("reference", "dir.sources.reference.invalid")
	}
	if f.Valid() {
		err := h.sources.DeclareSource(r.Context(), est.ID, d)
		if core.IsKind(err, core.Invalid) {
			f.Fail("justification", "dir.sources.justification.invalid")
		} else if err != nil {
			return err
		}
	}
	if !f.Valid() {
		return h.renderForm(w, r, http.StatusUnprocessableEntity, importForm{Form: web.NewForm(r.Context(), nil), SourceForm: f})
	}
	http.Redirect(w, r, UploadPath+"?declared="+d.Source+"#sources", http.StatusSeeOther)
	return nil
}
