// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package sso

import (
	"strings"
	"testing"
)

// TestRegistrationRefusesBadClients checks the addresses an admin types
// when registering an application: each bad one is refused with a message
// that names it.
func TestRegistrationRefusesBadClients(t *testing.T) {
	t.Parallel()
	ok := NewClient{Protocol: OIDC, Name: "ENT", URIs: []string{"https://ent.example.fr/cb"}}
	if err := ok.validate(); err != nil {
		t.Fatalf("a good client: %v", err)
	}
	for name, tc := range map[string]struct {
		c   NewClient
		bad string // what the message must name, if anything
	}{
		"protocol":      {NewClient{Protocol: "saml", Name: "x", URIs: []string{"https://a.fr/"}}, "saml"},
		"empty name":    {NewClient{Protocol: OIDC, Name: "  ", URIs: []string{"https://a.fr/"}}, "name"},
		"no uri":        {NewClient{Protocol: OIDC, Name: "x"}, ""},
		"fragment":      {NewClient{Protocol: OIDC, Name: "x", URIs: []string{"https://a.fr/cb#frag"}}, "https://a.fr/cb#frag"},
		"plain http":    {NewClient{Protocol: OIDC, Name: "x", URIs: []string{"http://ent.example.fr/cb"}}, "http://ent.example.fr/cb"},
		"user info":     {NewClient{Protocol: OIDC, Name: "x", URIs: []string{"https://u:p@a.fr/cb"}}, "https://u:p@a.fr/cb"},
		"relative":      {NewClient{Protocol: CAS, Name: "x", URIs: []string{"/cb"}}, "/cb"},
		"oidc wildcard": {NewClient{Protocol: OIDC, Name: "x", URIs: []string{"https://a.fr/*"}}, "https://a.fr/*"},
		"bad logout": {NewClient{Protocol: OIDC, Name: "x", URIs: []string{"https://a.fr/cb"},
			LogoutURIs: []string{"javascript:alert(1)"}}, "javascript:alert(1)"},
		"level 3": {NewClient{Protocol: CAS, Name: "x", URIs: []string{"https://a.fr/*"}, MinLevel: 3}, "level"},
	} {
		err := tc.c.validate()
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("%s: %q does not name %q", name, err, tc.bad)
		}
	}
	local := NewClient{Protocol: OIDC, Name: "dev", URIs: []string{"http://localhost:3000/cb", "http://127.0.0.1/cb"}}
	if err := local.validate(); err != nil {
		t.Fatalf("http on this machine: %v", err)
	}
}
