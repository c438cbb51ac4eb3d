// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"net/http"
	"strings"

	"github.com/preau/preau/internal/core"
)

// ContentSecurityPolicy is the policy [Secure] sets. It allows no inline
// script or style and no third-party origin: pages load the shell's static
// files only, and scripts attach behaviour through data attributes.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
	"form-action 'self'"

// AllowFormRedirects replaces the page's Content-Security-Policy with one
// without form-action, for pages whose form ends, after redirects, at an
// application of another origin (the login page sending the browser back
// to an SSO client): browsers apply form-action to every redirect of the
// submission.
func AllowFormRedirects(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", strings.TrimSuffix(ContentSecurityPolicy, "; form-action 'self'"))
}

// PermissionsPolicy is the Permissions-Policy [Secure] sets. A page that
// needs a feature (the camera for video chat) sets its own header, which
// replaces this one.
const PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), " +
	"serial=(), bluetooth=(), midi=(), display-capture=()"

// Secure wraps h with the security headers every response carries and with
// cross-origin request protection:
//
//   - Content-Security-Policy, X-Content-Type-Options: nosniff,
//     Referrer-Policy: same-origin, X-Frame-Options: DENY,
//     Cross-Origin-Opener-Policy: same-origin, Permissions-Policy;
//   - Strict-Transport-Security when the request came over TLS;
//   - http.CrossOriginProtection: a POST, PUT, PATCH or DELETE that a browser
//     marks as cross-site (Sec-Fetch-Site, or an Origin whose host differs
//     from Host) is refused with a Permission error through [Error].
//
// Headers are set before h runs, so h may replace them. crossOrigin lists
// ServeMux patterns exempt from the cross-origin protection: endpoints that
// other sites' pages call by design and that never act on the session
// cookie (the OIDC token endpoint, authenticated by client credentials).
func Secure(h http.Handler, crossOrigin ...string) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, p := range crossOrigin {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, core.E("web.Secure", core.Permission, "web.error.crossorigin"))
	}))
	protected := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", PermissionsPolicy)
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		protected.ServeHTTP(w, r)
	})
}
