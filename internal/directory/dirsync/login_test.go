// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirsync_test

import (
	"testing"

	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
)

func TestLoginFor(t *testing.T) {
	cases := []struct{ given, family, want string }{
		{"Zoé", "N'Diaye", "zoe.ndiaye"},
		{"Anne-Marie", "Le Gall", "anne-marie.le-gall"},
		{"  Élise ", "DE LA FONTAINE", "elise.de-la-fontaine"},
		{"Chloë", "Œuvray", "chloe.oeuvray"},
		{"Jean", "", "jean"},
		{"", "", ""},
		{"李", "Wang", "wang"},
	}
	for _, c := range cases {
		got := dirsync.LoginFor(c.given, c.family)
		if got != c.want {
			t.Errorf("LoginFor(%q, %q) = %q, want %q", c.given, c.family, got, c.want)
		}
		if got != "" {
			if _, err := directory.ParseLogin(got); err != nil {
				t.Errorf("%q is not a valid login: %v", got, err)
			}
		}
	}
}
