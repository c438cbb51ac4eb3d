// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzAuthorizeParams feeds arbitrary query strings to the authorization
// request parser and the protocol checks: they never panic, and an
// accepted request always names a client and a redirect URI and keeps
// every value within bounds.
func FuzzAuthorizeParams(f *testing.F) {
	for _, s := range []string{
		"client_id=c&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=openid&state=x",
		"client_id=c&redirect_uri=https://a&response_type=code&scope=openid+profile&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"client_id=c&redirect_uri=r&prompt=none+login&max_age=-1",
		"client_id=c&client_id=d&redirect_uri=r",
		"client_id=c&redirect_uri=r&acr_values=urn:preau:loa:2+mfa&max_age=99999999999999999999",
		"%zz=1", "", "client_id=&redirect_uri=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		ar, err := parseAuthorize(v)
		if err != nil {
			if ar != nil {
				t.Fatal("an error with a request")
			}
			return
		}
		if ar.ClientID == "" || ar.RedirectURI == "" || ar.MaxAge < -1 || ar.Level < 0 || ar.Level > 2 {
			t.Fatalf("accepted a bad request: %+v", ar)
		}
		if len(ar.State) > 2048 || len(ar.Nonce) > 2048 {
			t.Fatalf("unbounded values accepted")
		}
		if e := ar.protocolError(v); e == nil {
			if v.Get("response_type") != "code" || !strings.Contains(" "+v.Get("scope")+" ", " openid ") {
				t.Fatalf("protocol checks passed a non-code or non-openid request: %q", q)
			}
		}
	})
}

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 challenge: %s", got)
	}
	for v, ok := range map[string]bool{"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk": true, "short": false,
		strings.Repeat("a", 129): false, strings.Repeat("a", 42) + "!": false} {
		if validVerifier(v) != ok {
			t.Errorf("validVerifier(%q) != %v", v, ok)
		}
	}
}
