// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package serviceweb

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/web"
)

// FuzzParseScope feeds the scope form arbitrary checkbox values and typed
// attribute lists: an accepted scope holds only served, canonical,
// non-secret attributes and known profiles, each once; a refused one names
// a field of the form.
// CARINE: INF-ANN-6
func FuzzParseScope(f *testing.F) {
	f.Add("uid", "mail, rfc822Mailbox", "teacher")
	f.Add("userPassword", "", "")
	f.Add("uid", "dateNaissance", "pupil")
	f.Add("ENTPersonJointure", "cn,,sn ,", "parent")
	f.Add("", "USERPASSWORD", "")
	f.Add("uid,userpassword", "sambaNTPassword", "staff")
	f.Add("é", "a\x00b", "TEACHER")
	f.Fuzz(func(t *testing.T, attr, extra, profile string) {
		form := web.NewForm(context.Background(), url.Values{"attr": {attr}, "extra": {extra}, "profile": {profile}})
		sc, ok := parseScope(form)
		if !ok {
			if form.Valid() {
				t.Fatal("refused without naming a field")
			}
			for _, e := range form.Errors() {
				if !slices.Contains([]string{"attrs", "extra", "profiles"}, e.Name) {
					t.Fatalf("error on unknown field %q", e.Name)
				}
			}
			return
		}
		for i, a := range sc.Attrs {
			if c, served := dirldap.CanonicalAttribute(a); !served || c != a || directory.ForbiddenServiceAttr(a) ||
				slices.Contains(sc.Attrs[:i], a) || strings.Contains(a, ",") {
				t.Fatalf("accepted attribute %q in %v", a, sc.Attrs)
			}
		}
		for i, p := range sc.Profiles {
			if !p.Valid() || slices.Contains(sc.Profiles[:i], p) {
				t.Fatalf("accepted profile %q", p)
			}
		}
	})
}
