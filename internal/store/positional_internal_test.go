// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"reflect"
	"testing"
)

func TestRewritePositional(t *testing.T) {
	cases := []struct {
		in, want string
		order    []int
	}{
		{`SELECT 1`, `SELECT 1`, nil},
		{`UPDATE t SET a = $2 WHERE id = $1 AND b = $2`, `UPDATE t SET a = ? WHERE id = ? AND b = ?`, []int{1, 0, 1}},
		{`SELECT '$1', "$2", x FROM t WHERE y = $10 -- $3
			AND z LIKE $1 ESCAPE '\'`, `SELECT '$1', "$2", x FROM t WHERE y = ? -- $3
			AND z LIKE ? ESCAPE '\'`, []int{9, 0}},
		{`SELECT json_extract(v, '$.a') FROM t WHERE k = $1`, `SELECT json_extract(v, '$.a') FROM t WHERE k = ?`, []int{0}},
		{`SELECT $0, $ 1, a$1`, `SELECT $0, $ 1, a$1`, nil},
	}
	for _, c := range cases {
		p := rewritePositional(c.in)
		if p.text != c.want || !reflect.DeepEqual(p.order, c.order) {
			t.Errorf("rewritePositional(%q) = %q %v, want %q %v", c.in, p.text, p.order, c.want, c.order)
		}
	}
	p := rewritePositional(`SELECT $2, $1, $2`)
	if got := p.args([]any{"a", "b"}); !reflect.DeepEqual(got, []any{"b", "a", "b"}) {
		t.Errorf("args = %v", got)
	}
	if got := p.args([]any{"a"}); len(got) != 1 {
		t.Errorf("a missing argument must stay missing, got %v", got)
	}
}

// The SQLite reader prepares each query once, binds "$N" in any order, and
// reports a query that does not parse instead of caching it.
func TestReaderCachesAndReportsErrors(t *testing.T) {
	db, err := Open(t.Context(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 2 {
		var n int
		if err := db.r.QueryRowContext(t.Context(), `SELECT $2 * 10 + $1`, 1, 2).Scan(&n); err != nil || n != 21 {
			t.Fatalf("SELECT $2 * 10 + $1 = %d, %v; want 21", n, err)
		}
	}
	if c := db.r.count.Load(); c != 1 {
		t.Fatalf("%d statements cached, want 1", c)
	}
	var n int
	if err := db.r.QueryRowContext(t.Context(), `SELEC $1`, 1).Scan(&n); err == nil {
		t.Fatal("a query that does not parse gave no error")
	}
	if c := db.r.count.Load(); c != 1 {
		t.Fatalf("%d statements cached after a bad query, want 1", c)
	}
}
