// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"context"

	"github.com/preau/preau/internal/core"
)

// RightRefusal returns nil when the principal of ctx holds right r in
// establishment est from the network zone of this request; otherwise a
// Permission error whose message, in the request's language, says what is
// missing: the zone the right holds from and where the request comes from,
// or the right itself. Every page bound to a right answers with it, so that
// a person refused for their zone learns where to go.
func RightRefusal(ctx context.Context, r core.Right, est string) error {
	p := core.PrincipalFromContext(ctx)
	if p.HasRight(r, est) {
		return nil
	}
	right := T(ctx, "right."+string(r))
	if z := p.ZoneRefusal(r, est); z != "" {
		here := p.Zone
		if here == "" {
			here = T(ctx, "web.zone.none")
		}
		return core.E("web.RightRefusal", core.Permission, "%s", T(ctx, "web.zone.refused", right, z, p.Source, here))
	}
	return core.E("web.RightRefusal", core.Permission, "%s", T(ctx, "web.right.missing", right))
}
