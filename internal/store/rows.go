// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
	"sync"
)

// rowsPerInsert is how many rows insertRows puts in one statement: a
// statement costs its parse, bind and cursor set-up once for all of them
// (an import creates hundreds of thousands of rows).
const rowsPerInsert = 64

// insertRows inserts rows into table: values holds them one after the
// other, len(cols) values each, and tail ends every statement (e.g. an ON
// CONFLICT clause). It sends at most rowsPerInsert rows per statement; in a
// bulk transaction they are queued behind (see writeBehind), so the caller
// must not change values afterwards.
func (tx *Tx) insertRows(table string, cols []string, tail string, values []any) error {
	return tx.eachInsert(table, cols, tail, values, func(q string, args []any) error {
		if tail == "" && tx.db.d.name == "sqlite" {
			if sq, sargs, ok := sharedInsert(table, cols, args); ok {
				q, args = sq, sargs
			}
		}
		return tx.execBehind(q, args...)
	})
}

// sharedInsert rewrites a many-row INSERT whose rows all have the same
// value in some columns (an import's creation time, state, establishment,
// role…) so that SQLite binds each such value once per statement:
// "INSERT INTO table (cols) SELECT ?, column1, … FROM (VALUES (…), …)",
// the shared values first. It reports false when there is nothing to
// share, or too few rows for it to matter.
func sharedInsert(table string, cols []string, args []any) (string, []any, bool) {
	width := len(cols)
	rows := len(args) / width
	if rows < 8 || width > 64 {
		return "", nil, false
	}
	var mask uint64 // bit c: column c is shared
	for c := range width {
		if !comparableScalar(args[c]) {
			continue
		}
		same := true
		for r := 1; r < rows && same; r++ {
			same = args[r*width+c] == args[c]
		}
		if same {
			mask |= 1 << c
		}
	}
	shared := bits.OnesCount64(mask)
	if shared == 0 || shared == width {
		return "", nil, false
	}
	out := make([]any, 0, shared+rows*(width-shared))
	for c := range width {
		if mask&(1<<c) != 0 {
			out = append(out, args[c])
		}
	}
	for r := range rows {
		for c := range width {
			if mask&(1<<c) == 0 {
				out = append(out, args[r*width+c])
			}
		}
	}
	return sharedInsertSQL(table, cols, mask, rows), out, true
}

// comparableScalar reports whether v can be compared with == (a slice
// cannot) and is worth sharing.
func comparableScalar(v any) bool {
	switch v.(type) {
	case nil, string, int64, int, bool, sql.NullInt64, sql.NullString:
		return true
	}
	return false
}

type sharedKey struct {
	table, cols string
	mask        uint64
	rows        int
}

var sharedTexts sync.Map // sharedKey → string

// sharedInsertSQL is sharedInsert's statement, in anonymous parameters
// (numbered in text order: the shared values come first), built once per
// shape.
func sharedInsertSQL(table string, cols []string, mask uint64, rows int) string {
	key := sharedKey{table, strings.Join(cols, ", "), mask, rows}
	if q, ok := sharedTexts.Load(key); ok {
		return q.(string)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s (%s) SELECT ", table, key.cols)
	own := 0
	for c := range cols {
		if c > 0 {
			sb.WriteString(", ")
		}
		if mask&(1<<c) != 0 {
			sb.WriteByte('?')
		} else {
			own++
			fmt.Fprintf(&sb, "column%d", own)
		}
	}
	sb.WriteString(" FROM (VALUES ")
	writeQuestionRows(&sb, rows, own)
	sb.WriteByte(')')
	q, _ := sharedTexts.LoadOrStore(key, sb.String())
	return q.(string)
}

// writeQuestionRows writes n rows of width anonymous placeholders:
// "(?, ?), (?, ?)" for n = 2, width = 2.
func writeQuestionRows(sb *strings.Builder, n, width int) {
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range width {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('?')
		}
		sb.WriteByte(')')
	}
}

// insertRowsReturning is insertRows with tail ending in a RETURNING clause
// of one text column. It returns, for each statement in order, a function
// giving the values returned by that statement once it has run: in a bulk
// transaction the caller can handle what the first statements returned
// while the next ones run.
func (tx *Tx) insertRowsReturning(table string, cols []string, tail string, values []any) ([]func() ([]string, error), error) {
	var out []func() ([]string, error)
	err := tx.eachInsert(table, cols, tail, values, func(q string, args []any) error {
		out = append(out, tx.collectBehind(q, args))
		return nil
	})
	return out, err
}

// eachInsert runs the statements of insertRows through run.
func (tx *Tx) eachInsert(table string, cols []string, tail string, values []any,
	run func(q string, args []any) error) error {
	width := len(cols)
	if width == 0 || len(values)%width != 0 {
		return fmt.Errorf("inserting into %s: %d values for %d columns", table, len(values), width)
	}
	for len(values) > 0 {
		n := min(len(values)/width, rowsPerInsert)
		if err := run(insertRowsSQL(table, cols, tail, n), values[:n*width:n*width]); err != nil {
			return err
		}
		values = values[n*width:]
	}
	return nil
}

var insertTexts sync.Map // insertKey → string

type insertKey struct {
	table, cols, tail string
	rows              int
}

// insertRowsSQL is "INSERT INTO table (cols) VALUES ($1, …), (…) tail" for
// n rows, built once per shape.
func insertRowsSQL(table string, cols []string, tail string, n int) string {
	key := insertKey{table, strings.Join(cols, ", "), tail, n}
	if q, ok := insertTexts.Load(key); ok {
		return q.(string)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s (%s) VALUES ", table, key.cols)
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", r*len(cols)+c+1)
		}
		sb.WriteByte(')')
	}
	if tail != "" {
		sb.WriteByte(' ')
		sb.WriteString(tail)
	}
	q, _ := insertTexts.LoadOrStore(key, sb.String())
	return q.(string)
}
