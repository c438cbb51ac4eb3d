// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/preau/preau/internal/core"
)

// CSRFField is the name of the hidden form field that carries the CSRF token;
// CSRFHeader is the header that scripts may use instead.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

type csrfKey struct{}

// ContextWithCSRFToken returns a copy of ctx that carries the CSRF token of
// the session. The auth layer calls it once it knows the session; pages then
// emit the token with {{csrfField}} and [CheckCSRF] expects it back.
func ContextWithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRFTokenFromContext returns the CSRF token carried by ctx, or "".
func CSRFTokenFromContext(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// CheckCSRF verifies that r carries the session's CSRF token, in the header
// X-CSRF-Token or else in the form field "csrf", comparing in constant time.
// It returns nil on a match, and an error of kind core.Permission otherwise,
// including when ctx holds no token (no session). Reading the form field
// parses the request body.
func CheckCSRF(r *http.Request) error {
	want := CSRFTokenFromContext(r.Context())
	if want == "" {
		return core.E("web.CheckCSRF", core.Permission, "web.error.csrf_nosession")
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return core.E("web.CheckCSRF", core.Permission, "web.error.csrf")
	}
	return nil
}

// CSRF wraps h so that every POST, PUT, PATCH and DELETE passes [CheckCSRF]
// when the request has a session token. Requests without a session (a login
// form) rely on [Secure]'s cross-origin protection. Place it inside the auth
// middleware, which sets the token.
func CSRF(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if CSRFTokenFromContext(r.Context()) != "" {
				if err := CheckCSRF(r); err != nil {
					Error(w, r, err)
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// RandomToken returns 32 random bytes encoded as unpadded base64url (43
// characters), for CSRF tokens, session ids and similar secrets.
func RandomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
