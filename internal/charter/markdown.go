// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Limits of a document.
const (
	MaxBody  = 64 << 10 // bytes of Markdown
	MaxTitle = 200      // characters
	// MaxLine, MaxIndent and MaxNesting bound what makes Markdown parsers
	// slow (goldmark takes seconds on 64 KB of "> > > …" or "[a](" repeated
	// on one line): no real charter comes near them.
	MaxLine    = 4000 // bytes per line
	MaxIndent  = 32   // columns of leading white space
	MaxNesting = 8    // quote markers at the start of a line
)

// md is CommonMark plus GFM tables and strikethrough, in goldmark's safe
// mode: raw HTML is never passed through (Validate refuses it with a line
// number) and dangerous link targets (javascript:, data:…) are dropped.
// Headings move one level down so that a document's "# Titre" sits under
// the page's own h1.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
	goldmark.WithRendererOptions(html.WithXHTML()),
)

type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
		}
		return ast.WalkContinue, nil
	})
}

// Problem is why a submitted title or body was refused: a stable Code
// (for translation: "charter.problem.<code>"), its arguments, and an
// English message. Validation errors are core.Invalid errors with a
// *Problem as their cause.
type Problem struct {
	Field string // "title" or "body"
	Code  string // empty, too_long, bad_text, raw_html, image, bad_link
	Args  []any  // for the translation: a line number, sizes, a link
	msg   string
}

func (p *Problem) Error() string { return p.msg }

func problem(field, code, msg string, args ...any) error {
	pr := &Problem{Field: field, Code: code, Args: args, msg: fmt.Sprintf(msg, args...)}
	return &core.Error{Op: "charter.Validate", Kind: core.Invalid, Msg: pr.msg, Err: pr}
}

// ValidateTitle checks a document title.
func ValidateTitle(title string) error {
	switch n := utf8.RuneCountInString(title); {
	case strings.TrimSpace(title) == "":
		return problem("title", "empty", "the title is empty")
	case n > MaxTitle:
		return problem("title", "title_too_long", "the title is %d characters long; at most %d are allowed", n, MaxTitle)
	case !utf8.ValidString(title) || strings.ContainsAny(title, "\x00\r\n"):
		return problem("title", "bad_text", "the title must be one line of valid text")
	}
	return nil
}

// ValidateBody checks submitted Markdown: not empty, at most MaxBody bytes
// of valid UTF-8 without NUL, no raw HTML, no images and no link to a
// dangerous scheme. The error (core.Invalid, cause *Problem) names the
// first problem and its line.
func ValidateBody(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return problem("body", "empty", "the text is empty")
	case len(body) > MaxBody:
		return problem("body", "too_long", "the text is %d KB long; at most %d KB are allowed", len(body)>>10, MaxBody>>10)
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		return problem("body", "bad_text", "the text is not valid UTF-8 or contains a NUL character")
	}
	if err := checkShape(body); err != nil {
		return err
	}
	src := []byte(body)
	doc := md.Parser().Parse(text.NewReader(src))
	var err error
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.HTMLBlock:
			err = problem("body", "raw_html", "line %d: raw HTML is not allowed; write Markdown instead", lineOf(src, blockStart(n)))
		case *ast.RawHTML:
			err = problem("body", "raw_html", "line %d: raw HTML is not allowed; write Markdown instead", lineOf(src, segStart(n.Segments)))
		case *ast.Image:
			err = problem("body", "image", "line %d: images are not allowed in a document", lineOf(src, nearestStart(n)))
		case *ast.Link:
			if html.IsDangerousURL(n.Destination) {
				err = problem("body", "bad_link", "line %d: the link to %q is not allowed; use an https: or mailto: address",
					lineOf(src, nearestStart(n)), clip(string(n.Destination)))
			}
		case *ast.AutoLink:
			if html.IsDangerousURL(n.URL(src)) {
				err = problem("body", "bad_link", "line %d: the link to %q is not allowed; use an https: or mailto: address",
					lineOf(src, nearestStart(n)), clip(string(n.URL(src))))
			}
		}
		if err != nil {
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return err
}

// checkShape refuses lines too long, too indented or too deeply quoted.
func checkShape(body string) error {
	for i, line := range strings.Split(body, "\n") {
		if len(line) > MaxLine {
			return problem("body", "line_too_long", "line %d is %d characters long; at most %d are allowed", i+1, len(line), MaxLine)
		}
		indent, quotes := 0, 0
	scan:
		for _, c := range line {
			switch c {
			case ' ':
				if quotes == 0 {
					indent++
				}
			case '\t':
				if quotes == 0 {
					indent += 4
				}
			case '>':
				quotes++
			default:
				break scan
			}
		}
		if indent > MaxIndent {
			return problem("body", "indent", "line %d is indented by %d columns; at most %d are allowed", i+1, indent, MaxIndent)
		}
		if quotes > MaxNesting {
			return problem("body", "nesting", "line %d nests %d quotes; at most %d are allowed", i+1, quotes, MaxNesting)
		}
	}
	return nil
}

// Render returns the HTML of a Markdown body (safe mode: no raw HTML, no
// dangerous links). The caller marks it as trusted HTML for its template.
func Render(body string) string {
	var b bytes.Buffer
	if err := md.Convert([]byte(body), &b); err != nil {
		// goldmark writes to a bytes.Buffer, which does not fail.
		return ""
	}
	return b.String()
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func blockStart(n ast.Node) int {
	if n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	return -1
}

func segStart(s *text.Segments) int {
	if s != nil && s.Len() > 0 {
		return s.At(0).Start
	}
	return -1
}

// nearestStart returns the offset of the first text of an inline node, or
// of its block.
func nearestStart(n ast.Node) int {
	for c := n.FirstChild(); c != nil; c = c.FirstChild() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock {
			return blockStart(p)
		}
	}
	return -1
}

// lineOf returns the 1-based line of byte offset off in src (1 when unknown).
func lineOf(src []byte, off int) int {
	if off < 0 || off > len(src) {
		return 1
	}
	return bytes.Count(src[:off], []byte{'\n'}) + 1
}
