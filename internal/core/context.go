// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import "context"

type principalKey struct{}

// ContextWithPrincipal returns a copy of ctx that carries p.
func ContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal in ctx, or the anonymous
// principal if there is none.
func PrincipalFromContext(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}
