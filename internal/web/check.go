// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"text/template/parse"
)

// checkPage verifies the template set of one page before it is built: the
// page defines "title" and "content" (unless it replaces the layout by
// defining "page"), every {{template "x"}} names a defined template, every
// literal key given to t, plural or .T has French text, and every literal
// name given to static is an embedded file.
func checkPage(name string, set map[string]def, cat *catalog) error {
	var errs []error
	if _, own := set["page"]; !own {
		for _, need := range []string{"title", "content"} {
			if _, ok := set[need]; !ok {
				errs = append(errs, fmt.Errorf("page %q: no {{define %q}}", name, need))
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(set)) {
		d := set[n]
		walk(d.tree.Root, func(node parse.Node) {
			if err := checkNode(node, set, cat); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", location(d.tree, node), err))
			}
		})
	}
	return errors.Join(errs...)
}

// location returns "file:line:col" of node in tree.
func location(t *parse.Tree, n parse.Node) string {
	loc, _ := t.ErrorContext(n)
	return loc
}

// checkNode checks one node; see checkPage.
func checkNode(node parse.Node, set map[string]def, cat *catalog) error {
	switch n := node.(type) {
	case *parse.TemplateNode:
		if _, ok := set[n.Name]; !ok {
			return fmt.Errorf("{{template %q}}: no such template", n.Name)
		}
	case *parse.CommandNode:
		fn, arg := calledWithLiteral(n)
		switch fn {
		case "t", "T":
			if !cat.has(arg) {
				return fmt.Errorf("translation key %q has no French text", arg)
			}
		case "plural":
			for _, form := range []string{".one", ".other"} {
				if !cat.has(arg + form) {
					return fmt.Errorf("translation key %q has no French text", arg+form)
				}
			}
		case "static":
			if StaticURL(arg) == "" {
				return fmt.Errorf("static file %q does not exist", arg)
			}
		}
	}
	return nil
}

// calledWithLiteral returns the function (or final method name, for .T) a
// command calls and its first argument when that argument is a string
// literal; it returns "" otherwise.
func calledWithLiteral(c *parse.CommandNode) (fn, arg string) {
	if len(c.Args) < 2 {
		return "", ""
	}
	s, ok := c.Args[1].(*parse.StringNode)
	if !ok {
		return "", ""
	}
	switch f := c.Args[0].(type) {
	case *parse.IdentifierNode:
		return f.Ident, s.Text
	case *parse.FieldNode:
		return f.Ident[len(f.Ident)-1], s.Text
	case *parse.ChainNode:
		return f.Field[len(f.Field)-1], s.Text
	case *parse.VariableNode:
		return f.Ident[len(f.Ident)-1], s.Text
	}
	return "", ""
}

// walk calls fn on node and every node below it.
func walk(node parse.Node, fn func(parse.Node)) {
	if node == nil {
		return
	}
	fn(node)
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

func walkBranch(b *parse.BranchNode, fn func(parse.Node)) {
	walk(b.Pipe, fn)
	walk(b.List, fn)
	walk(b.ElseList, fn)
}
