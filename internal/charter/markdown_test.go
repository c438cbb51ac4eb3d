// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
)

func TestValidateBody(t *testing.T) {
	for _, tc := range []struct {
		body, code string
		line       int
	}{
		{"", "empty", 0},
		{"   \n\t", "empty", 0},
		{strings.Repeat("a", charter.MaxBody+1), "too_long", 0},
		{"a\x00b", "bad_text", 0},
		{"\xff\xfe", "bad_text", 0},
		{"Titre\n\n<div>bloc</div>\n", "raw_html", 3},
		{"Un\ndeux <b>gras</b>\n", "raw_html", 2},
		{"Texte\n\n\n![logo](https://exemple.fr/l.png)", "image", 4},
		{"[clic](javascript:alert(1))", "bad_link", 1},
		{"Voir\n[ici](data:text/html;base64,AAAA)", "bad_link", 2},
		{"<javascript:alert(1)>", "bad_link", 1},
		{"ok\n" + strings.Repeat("[a](", 1001), "line_too_long", 2},
		{"ok\n\n" + strings.Repeat(" ", 33) + "code", "indent", 3},
		{strings.Repeat("> ", 9) + "citation", "nesting", 1},
	} {
		err := charter.ValidateBody(tc.body)
		var pr *charter.Problem
		if !core.IsKind(err, core.Invalid) || !errors.As(err, &pr) || pr.Code != tc.code {
			t.Errorf("%.30q: %v, want %s", tc.body, err, tc.code)
			continue
		}
		if tc.line > 0 && (len(pr.Args) == 0 || pr.Args[0] != tc.line) {
			t.Errorf("%.30q: args %v, want line %d", tc.body, pr.Args, tc.line)
		}
	}
	ok := "# Charte\n\n## Règles\n\n- **respect**\n- [site](https://exemple.fr) et <https://exemple.fr>\n- [écrire](mailto:chef@exemple.fr)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~barré~~ &lt;pas du HTML&gt;"
	if err := charter.ValidateBody(ok); err != nil {
		t.Fatalf("valid Markdown refused: %v", err)
	}
	html := charter.Render(ok)
	for _, want := range []string{"<h2>Charte</h2>", "<h3>Règles</h3>", "<strong>respect</strong>", `<a href="https://exemple.fr">site</a>`,
		"<table>", "<del>barré</del>", "&lt;pas du HTML&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("render lacks %q:\n%s", want, html)
		}
	}
	if err := charter.ValidateTitle(strings.Repeat("é", charter.MaxTitle+1)); err == nil {
		t.Error("long title accepted")
	}
	if err := charter.ValidateTitle("Un\nDeux"); err == nil {
		t.Error("two-line title accepted")
	}
}

// TestRenderNeverPassesHTML: whatever was stored (even bypassing
// validation), rendering omits raw HTML and dangerous links.
func TestRenderNeverPassesHTML(t *testing.T) {
	out := charter.Render("<script>alert(1)</script>\n\nx <img src=x onerror=alert(1)> [a](javascript:alert(1))")
	if strings.Contains(out, "<script") || strings.Contains(out, "<img") || strings.Contains(out, "javascript:") {
		t.Fatalf("unsafe output: %s", out)
	}
}

// FuzzValidateAndRender: submitted Markdown never panics, a refusal is a
// core.Invalid with a Problem, and accepted text renders without any raw
// HTML tag of the input or a script URL.
func FuzzValidateAndRender(f *testing.F) {
	for _, s := range []string{"# Titre\n\ntexte", "<div>x</div>", "[a](javascript:x)", "![i](x.png)", "| a |\n|---|\n| b |",
		"* a\n  * b\n\n> citation\n\n```\ncode <b>\n```", "<https://x.fr>", "a\x00b", "\xff", "[x]: javascript:y\n\n[x]",
		"<!-- commentaire -->", "&#60;script&#62;", "`<b>`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := charter.ValidateBody(body)
		if err != nil {
			var pr *charter.Problem
			if !core.IsKind(err, core.Invalid) || !errors.As(err, &pr) || pr.Code == "" {
				t.Fatalf("refusal without a problem: %v", err)
			}
			return
		}
		if !utf8.ValidString(body) {
			t.Fatal("invalid UTF-8 accepted")
		}
		out := strings.ToLower(charter.Render(body))
		for _, bad := range []string{"<script", "<iframe", "<img", "<div", `href="javascript:`, `href="data:`, `href="vbscript:`, "<!--"} {
			if strings.Contains(out, bad) {
				t.Fatalf("accepted body renders %q: %q → %q", bad, body, out)
			}
		}
	})
}
