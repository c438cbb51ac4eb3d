// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"context"
	"net/http"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// RightRefusal returns nil when the principal of ctx holds right r in
// establishment est from the network zone of this request; otherwise a
// Permission error whose message, in the request's language, says what is
// missing: the zone the right holds from (and the one the request comes
// from), or the right itself. Pages and APIs that CARINE restricts to a
// zone (signage editing, SMS) answer with it.
func RightRefusal(ctx context.Context, r core.Right, est string) error {
	p := core.PrincipalFromContext(ctx)
	if p.HasRight(r, est) {
		return nil
	}
	right := web.T(ctx, "right."+string(r))
	if z := p.ZoneRefusal(r, est); z != "" {
		here := p.Zone
		if here == "" {
			here = web.T(ctx, "auth.zone.none")
		}
		return core.E("authweb.RightRefusal", core.Permission, "%s", web.T(ctx, "auth.zone.refused", right, z, p.Source, here))
	}
	return core.E("authweb.RightRefusal", core.Permission, "%s", web.T(ctx, "auth.right.missing", right))
}

// RequireRight lets through the principals who hold right r in the
// establishment estOf names for the request (administrators of it as
// well when admins is true); others get RightRefusal's explanation.
func RequireRight(r core.Right, admins bool, estOf func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			est := estOf(req)
			if admins && core.PrincipalFromContext(req.Context()).CanAdminister(est) {
				next.ServeHTTP(w, req)
				return
			}
			if err := RightRefusal(req.Context(), r, est); err != nil {
				web.Error(w, req, err)
				return
			}
			next.ServeHTTP(w, req)
		}))
	}
}
