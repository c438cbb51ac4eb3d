// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
)

// The logical dump (PostgreSQL backups) is JSON lines: a header
// {"preau_dump":1,"schema":N}, then per table {"table":T,"columns":[…]}
// followed by its rows {"r":[[type,value],…]} where type is n (NULL),
// i (integer), f (float), s (text), b (bytes, base64), t (boolean) or
// d (time, RFC 3339). It is read in one REPEATABLE READ transaction, so
// every table is seen at the same instant.
type dumpHeader struct {
	Dump   int `json:"preau_dump"`
	Schema int `json:"schema"`
}

type dumpTable struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

type dumpRow struct {
	R [][2]string `json:"r"`
}

// dumpEnd closes a dump: a dump cut at a line boundary is still refused.
type dumpEnd struct {
	End  bool  `json:"end"`
	Rows int64 `json:"rows"`
}

// userTables lists the tables of the current schema in foreign-key order
// (a table after the tables it references).
func userTables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, dialect string) ([]string, error) {
	var list, deps string
	if dialect == "postgres" {
		list = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
		deps = `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
			JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()`
	} else {
		list = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	}
	rows, err := q.QueryContext(ctx, list)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	after := map[string][]string{}
	if deps != "" {
		rows, err := q.QueryContext(ctx, deps)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, err
			}
			if a != b {
				after[unquote(a)] = append(after[unquote(a)], unquote(b))
			}
		}
		rows.Close()
	}
	var out []string
	done := map[string]bool{}
	var visit func(t string, depth int)
	visit = func(t string, depth int) {
		if done[t] || depth > 100 {
			return
		}
		done[t] = true
		ds := after[t]
		sort.Strings(ds)
		for _, d := range ds {
			visit(d, depth+1)
		}
		out = append(out, t)
	}
	for _, t := range tables {
		visit(t, 0)
	}
	known := map[string]bool{}
	for _, t := range tables {
		known[t] = true
	}
	res := out[:0]
	for _, t := range out {
		if known[t] {
			res = append(res, t)
		}
	}
	return res, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// DumpLogical writes every table of the database to w, as one consistent
// snapshot (a REPEATABLE READ, read-only transaction).
func (db *DB) DumpLogical(ctx context.Context, w io.Writer) error {
	const op = "store.DumpLogical"
	var opts *sql.TxOptions
	if db.d.name == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	conn := db.r
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return db.classify(op, err)
	}
	defer tx.Rollback()
	ver, err := db.currentVersion(ctx)
	if err != nil {
		return db.classify(op, err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.Encode(dumpHeader{1, ver})
	tables, err := userTables(ctx, tx, db.d.name)
	if err != nil {
		return db.classify(op, err)
	}
	var total int64
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT * FROM "`+t+`"`)
		if err != nil {
			return db.classify(op, fmt.Errorf("dumping %s: %w", t, err))
		}
		cols, _ := rows.Columns()
		enc.Encode(dumpTable{t, cols})
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return db.classify(op, err)
			}
			r := dumpRow{R: make([][2]string, len(cols))}
			for i, v := range vals {
				r.R[i] = encodeValue(v)
			}
			if err := enc.Encode(r); err != nil {
				rows.Close()
				return err
			}
			total++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return db.classify(op, err)
		}
		rows.Close()
	}
	enc.Encode(dumpEnd{true, total})
	return bw.Flush()
}

func encodeValue(v any) [2]string {
	switch x := v.(type) {
	case nil:
		return [2]string{"n", ""}
	case int64:
		return [2]string{"i", strconv.FormatInt(x, 10)}
	case int32:
		return [2]string{"i", strconv.FormatInt(int64(x), 10)}
	case float64:
		return [2]string{"f", strconv.FormatFloat(x, 'g', -1, 64)}
	case bool:
		return [2]string{"t", strconv.FormatBool(x)}
	case []byte:
		return [2]string{"b", base64.StdEncoding.EncodeToString(x)}
	case string:
		return [2]string{"s", x}
	case time.Time:
		return [2]string{"d", x.Format(time.RFC3339Nano)}
	}
	return [2]string{"s", fmt.Sprint(v)}
}

func decodeValue(p [2]string) (any, error) {
	switch p[0] {
	case "n":
		return nil, nil
	case "i":
		return strconv.ParseInt(p[1], 10, 64)
	case "f":
		return strconv.ParseFloat(p[1], 64)
	case "t":
		return strconv.ParseBool(p[1])
	case "b":
		return base64.StdEncoding.DecodeString(p[1])
	case "s":
		return p[1], nil
	case "d":
		return time.Parse(time.RFC3339Nano, p[1])
	}
	return nil, fmt.Errorf("unknown value type %q", p[0])
}

// LoadLogical replaces the content of every table with a dump, in one
// transaction: a failure leaves the database as it was. The database must
// be at the dump's schema version (open it with this binary first).
func (db *DB) LoadLogical(ctx context.Context, r io.Reader) error {
	const op = "store.LoadLogical"
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	var h dumpHeader
	if err := dec.Decode(&h); err != nil || h.Dump != 1 {
		return core.E(op, core.Invalid, "not a Préau logical dump")
	}
	ver, err := db.currentVersion(ctx)
	if err != nil {
		return db.classify(op, err)
	}
	if h.Schema != ver {
		return core.E(op, core.Invalid, "the dump is at schema version %d, the database at %d: restore with the matching Préau version", h.Schema, ver)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(op, err)
	}
	defer tx.Rollback()
	tables, err := userTables(ctx, tx, db.d.name)
	if err != nil {
		return db.classify(op, err)
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM "`+tables[i]+`"`); err != nil {
			return db.classify(op, fmt.Errorf("emptying %s: %w", tables[i], err))
		}
	}
	var cur dumpTable
	var ins *sql.Stmt
	var total int64
	ended := false
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			return core.E(op, core.Invalid, "dump: %v", err)
		}
		if ended {
			return core.E(op, core.Invalid, "dump: data after its end")
		}
		var e dumpEnd
		if json.Unmarshal(raw, &e) == nil && e.End {
			if e.Rows != total {
				return core.E(op, core.Invalid, "dump: %d rows read, its end says %d", total, e.Rows)
			}
			ended = true
			continue
		}
		var t dumpTable
		if json.Unmarshal(raw, &t) == nil && t.Table != "" {
			cur = t
			ph := ""
			cols := ""
			for i, c := range t.Columns {
				if i > 0 {
					ph += ", "
					cols += ", "
				}
				ph += "$" + strconv.Itoa(i+1)
				cols += `"` + c + `"`
			}
			if ins, err = tx.PrepareContext(ctx, `INSERT INTO "`+t.Table+`" (`+cols+`) VALUES (`+ph+`)`); err != nil {
				return db.classify(op, fmt.Errorf("restoring %s: %w", t.Table, err))
			}
			continue
		}
		var row dumpRow
		if err := json.Unmarshal(raw, &row); err != nil || ins == nil || len(row.R) != len(cur.Columns) {
			return core.E(op, core.Invalid, "dump: a row outside a table or with the wrong column count")
		}
		args := make([]any, len(row.R))
		for i, p := range row.R {
			if args[i], err = decodeValue(p); err != nil {
				return core.E(op, core.Invalid, "dump: %s: %v", cur.Table, err)
			}
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return db.classify(op, fmt.Errorf("restoring a row of %s: %w", cur.Table, err))
		}
		total++
	}
	if !ended {
		return core.E(op, core.Invalid, "dump: truncated (no end line)")
	}
	if db.d.name == "postgres" {
		// Serial columns continue after the restored rows.
		rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND (column_default LIKE 'nextval%' OR is_identity = 'YES')`)
		if err != nil {
			return db.classify(op, err)
		}
		var seqs [][2]string
		for rows.Next() {
			var t, c string
			rows.Scan(&t, &c)
			seqs = append(seqs, [2]string{t, c})
		}
		rows.Close()
		for _, s := range seqs {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE(MAX("`+s[1]+`"), 0), 1), MAX("`+s[1]+`") IS NOT NULL) FROM "`+s[0]+`"`,
				`"`+s[0]+`"`, s[1]); err != nil {
				return db.classify(op, fmt.Errorf("resetting the sequence of %s.%s: %w", s[0], s[1], err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return db.classify(op, err)
	}
	db.heads.forget()
	return nil
}
