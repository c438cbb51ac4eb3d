// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"strconv"
	"sync"
)

// SQLite statements are written with PostgreSQL's "$N" parameters (one SQL
// text for both dialects). The SQLite driver binds a "$N" parameter by
// looking its name up in a list as long as the statement's parameters, for
// every parameter of every execution; anonymous "?" parameters need no
// lookup. positional rewrites a statement once into "?" form with the order
// in which it takes its arguments; bulk transactions (imports) spent a tenth
// of their time in those lookups.
type positionalSQL struct {
	text  string
	order []int // argument index (0-based) of each "?", in text order; nil: unchanged
	same  bool  // order is 0, 1, 2…: the arguments need no reordering
}

var positionalCache sync.Map // string → *positionalSQL

// positional returns q in "?" form. Text inside quotes and comments is left
// alone; a statement with no "$N" parameter is returned unchanged.
func positional(q string) *positionalSQL {
	if v, ok := positionalCache.Load(q); ok {
		return v.(*positionalSQL)
	}
	p := rewritePositional(q)
	positionalCache.Store(q, p)
	return p
}

func rewritePositional(q string) *positionalSQL {
	out := make([]byte, 0, len(q))
	var order []int
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			out = append(out, q[i:min(j+1, len(q))]...)
			i = j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := i
			for j < len(q) && q[j] != '\n' {
				j++
			}
			out = append(out, q[i:j]...)
			i = j
		case c == '$' && i+1 < len(q) && q[i+1] >= '1' && q[i+1] <= '9' && (i == 0 || !identChar(q[i-1])):
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(q[i+1 : j])
			order = append(order, n-1)
			out = append(out, '?')
			i = j
		default:
			out = append(out, c)
			i++
		}
	}
	if order == nil {
		return &positionalSQL{text: q}
	}
	same := true
	for i, k := range order {
		same = same && k == i
	}
	return &positionalSQL{text: string(out), order: order, same: same}
}

// args returns the arguments in the order of the "?" parameters. An index
// beyond args is left out, so that the driver reports the missing argument.
func (p *positionalSQL) args(args []any) []any {
	if p.order == nil || p.same && len(args) == len(p.order) {
		return args
	}
	out := make([]any, 0, len(p.order))
	for _, k := range p.order {
		if k < len(args) {
			out = append(out, args[k])
		}
	}
	return out
}

// forDriver returns query and args as the driver should get them: in "?"
// form on SQLite, unchanged on PostgreSQL.
func (db *DB) forDriver(query string, args []any) (string, []any) {
	if db.d.name != "sqlite" {
		return query, args
	}
	p := positional(query)
	return p.text, p.args(args)
}

func identChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
