// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"net/http"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// RequireRight lets through the principals who hold right r in the
// establishment estOf names for the request (administrators of it as
// well when admins is true); others get web.RightRefusal's explanation.
func RequireRight(r core.Right, admins bool, estOf func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			est := estOf(req)
			if admins && core.PrincipalFromContext(req.Context()).CanAdminister(est) {
				next.ServeHTTP(w, req)
				return
			}
			if err := web.RightRefusal(req.Context(), r, est); err != nil {
				web.Error(w, req, err)
				return
			}
			next.ServeHTTP(w, req)
		}))
	}
}
