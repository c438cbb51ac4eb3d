// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin

import (
	"net/http"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// establishmentChoice is the establishment a console page works on, among
// those the principal administers, chosen by the "est" query parameter (an
// ID or a UAI), else the first.
type establishmentChoice struct {
	Current *directory.EstablishmentSummary
	All     []*directory.EstablishmentSummary // for the selector, when more than one
}

func (h *Handler) chooseEstablishment(r *http.Request) (establishmentChoice, error) {
	p := core.PrincipalFromContext(r.Context())
	ests, err := h.deps.Directory.Establishments(r.Context())
	if err != nil {
		return establishmentChoice{}, err
	}
	ests = slices.DeleteFunc(slices.Clone(ests), func(e *directory.EstablishmentSummary) bool { return !p.CanAdminister(e.ID) })
	if len(ests) == 0 {
		return establishmentChoice{}, core.E("admin", core.Permission, "you administer no establishment")
	}
	c := establishmentChoice{Current: ests[0], All: ests}
	if want := r.FormValue("est"); want != "" {
		i := slices.IndexFunc(ests, func(e *directory.EstablishmentSummary) bool { return e.ID == want || e.UAI == want })
		if i < 0 {
			return c, core.E("admin", core.NotFound, "no establishment %q among those you administer", clipText(want))
		}
		c.Current = ests[i]
	}
	return c, nil
}

// clipText bounds echoed input.
func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
