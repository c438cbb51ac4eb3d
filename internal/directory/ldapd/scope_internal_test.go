// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import "testing"

// FuzzFastScope checks that the raw-text shortcut of the search loop agrees
// with the comparison of normal forms.
func FuzzFastScope(f *testing.F) {
	for _, s := range [][2]string{
		{"ou=people,dc=x", "uid=a,ou=people,dc=x"}, {"ou=people,dc=x", "uid=a\\,b,ou=people,dc=x"},
		{"ou=people,dc=x", "uid=a,uid=b,ou=people,dc=x"}, {"dc=x", "dc=x"}, {"", "dc=x"},
		{"dc=x", "cn=a;dc=x"}, {"dc=x", "cn=a\\\\,dc=x"}, {"dc=x", "cn=a+sn=b,dc=x"}, {"dc=x", ",dc=x"},
	} {
		for scope := range 4 {
			f.Add(s[0], s[1], scope)
		}
	}
	f.Fuzz(func(t *testing.T, base, dn string, scope int) {
		sc := Scope(scope & 3)
		in, ok := fastScope(base, dn, sc)
		if !ok {
			return
		}
		if _, err := ParseDN(base); err != nil {
			return
		}
		if _, err := ParseDN(dn); err != nil {
			return
		}
		if want := InScope(base, dn, sc, nil); in != want {
			t.Fatalf("fastScope(%q, %q, %s) = %v, normal forms say %v", base, dn, sc, in, want)
		}
	})
}
