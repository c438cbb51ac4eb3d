// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

func TestForm(t *testing.T) {
	t.Parallel()
	rd := newSampleRenderer(t, nil)
	var f *web.Form
	h := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f = web.NewForm(r.Context(), url.Values{
			"name": {"  Arts  "}, "seats": {"41"}, "bio": {"ééééé"}, "shared": {"1"}, "n": {"7"},
		})
		f.Required("name", "sample.name")
		f.Required("email", "sample.email")
		f.Int("seats", 1, 40)
		f.MaxLen("bio", 5)
		f.Int("n", 1, 40)
		f.Fail("email", "sample.email.invalid") // second failure of a field is ignored
	}))
	do(h, http.MethodGet, "/?lang=en", "")
	if f.Value("name") != "Arts" || !f.Checked("shared") || f.Checked("missing") {
		t.Errorf("Value/Checked wrong: %q", f.Value("name"))
	}
	var got []string
	for _, e := range f.Errors() {
		got = append(got, e.Name+": "+e.Message)
	}
	want := []string{"email: Enter “Contact address”.", "seats: Enter a whole number between 1 and 40."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Errors() = %q, want %q", got, want)
	}
	if f.Valid() || !core.IsKind(f.Err(), core.Invalid) || f.Error("bio") != "" || f.Error("seats") == "" {
		t.Errorf("Valid %v, Err %v", f.Valid(), f.Err())
	}
	var nilForm *web.Form
	if !nilForm.Valid() || nilForm.Err() != nil || nilForm.Value("x") != "" || nilForm.Errors() != nil {
		t.Error("a nil form is not empty and valid")
	}
}
