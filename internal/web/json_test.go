// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type pupil struct {
	Login string `json:"login"`
	Age   int    `json:"age"`
	Class struct {
		Name string `json:"name"`
	} `json:"class"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ctype, body string
		want              string // "" means success; else part of the message
	}{
		{"ok", "application/json", `{"login":"cmartin","age":12}`, ""},
		{"ok without content type", "", `{"login":"cmartin"}`, ""},
		{"ok +json", "application/merge-patch+json; charset=utf-8", `{}`, ""},
		{"unknown field", "application/json", `{"login":"x","favourite":"blue"}`, `unknown field "favourite"`},
		{"unknown nested field", "application/json", `{"class":{"name":"5B","room":"12"}}`, `unknown field "room"`},
		{"wrong type", "application/json", `{"age":"twelve"}`, `field "age": expected int, got string`},
		{"wrong nested type", "application/json", `{"class":{"name":5}}`, `field "class.name": expected string, got number`},
		{"syntax", "application/json", `{"login": }`, `malformed JSON at offset`},
		{"truncated", "application/json", `{"login": "x"`, `ends too early`},
		{"trailing data", "application/json", `{} {}`, `unexpected data after the JSON value`},
		{"empty", "application/json", ` `, `the body is empty`},
		{"too large", "application/json", `{"login":"` + strings.Repeat("x", 100) + `"}`, `larger than 64 bytes`},
		{"form content type", "application/x-www-form-urlencoded", `login=x`, `must be sent as application/json`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/api/pupils", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			var p pupil
			err := web.DecodeJSON(r, &p, 64)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			if !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), tc.want) {
				t.Fatalf("DecodeJSON = %v (message %q), want Invalid with %q", err, core.MessageOf(err), tc.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	if err := web.JSON(w, http.StatusCreated, map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || w.Body.String() != "{\"n\":1}\n" || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("%d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
	w = httptest.NewRecorder()
	if err := web.JSON(w, 200, func() {}); !core.IsKind(err, core.Internal) || w.Body.Len() != 0 {
		t.Errorf("JSON(func) = %v, wrote %q", err, w.Body)
	}
}
