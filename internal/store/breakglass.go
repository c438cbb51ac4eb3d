// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ breakglass.Store = (*DB)(nil)

const bgColumns = `id, establishment_id, requester_id, requester_login, requester_name, target_id, target_login,
	target_name, scope, object, basis, reference, reason, duration_s, state, created_at, approver_id, approver_login,
	approver_name, decided_at, comment, valid_from, valid_until, ended_at, ended_by_id, ended_by_login, ended_by_name,
	end_comment, uses, last_used_at`

func scanBreakGlass(sc interface{ Scan(...any) error }) (*breakglass.Request, error) {
	var r breakglass.Request
	var dur, created int64
	var decided, from, until, ended, used sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Establishment, &r.Requester.ID, &r.Requester.Login, &r.Requester.Name, &r.Target.ID,
		&r.Target.Login, &r.Target.Name, &r.Scope, &r.Object, &r.Basis, &r.Reference, &r.Reason, &dur, &r.State,
		&created, &r.Approver.ID, &r.Approver.Login, &r.Approver.Name, &decided, &r.Comment, &from, &until, &ended,
		&r.EndedBy.ID, &r.EndedBy.Login, &r.EndedBy.Name, &r.EndComment, &r.Uses, &used); err != nil {
		return nil, err
	}
	r.Duration = time.Duration(dur) * time.Second
	r.CreatedAt, r.DecidedAt = fromMicros(created), fromNullMicros(decided)
	r.From, r.Until, r.EndedAt, r.LastUsedAt = fromNullMicros(from), fromNullMicros(until), fromNullMicros(ended),
		fromNullMicros(used)
	return &r, nil
}

// CreateBreakGlass stores a new request with its first event, its notices
// and its journal entry.
func (db *DB) CreateBreakGlass(ctx context.Context, r *breakglass.Request, ev *breakglass.Event,
	notices []breakglass.Notice, e journal.Entry) error {
	const op = "store.CreateBreakGlass"
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO breakglass_requests (`+bgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7,
			$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28,
			$29, $30)`, bgArgs(r)...); err != nil {
			if core.IsKind(db.classify(op, err), core.Exists) {
				return &core.Error{Op: op, Kind: core.Conflict, Err: breakglass.ErrDuplicate,
					Msg: "you already have an open request for this person and scope: use it or cancel it first"}
			}
			return err
		}
		return tx.breakGlassAfter(ev, notices, e)
	})
}

func bgArgs(r *breakglass.Request) []any {
	return []any{r.ID, r.Establishment, r.Requester.ID, r.Requester.Login, r.Requester.Name, r.Target.ID,
		r.Target.Login, r.Target.Name, string(r.Scope), r.Object, string(r.Basis), r.Reference, r.Reason,
		int64(r.Duration / time.Second), string(r.State), micros(r.CreatedAt), r.Approver.ID, r.Approver.Login,
		r.Approver.Name, nullMicros(r.DecidedAt), r.Comment, nullMicros(r.From), nullMicros(r.Until),
		nullMicros(r.EndedAt), r.EndedBy.ID, r.EndedBy.Login, r.EndedBy.Name, r.EndComment, r.Uses,
		nullMicros(r.LastUsedAt)}
}

// breakGlassAfter writes what follows every change: the timeline event, the
// notices and the journal entry.
func (tx *Tx) breakGlassAfter(ev *breakglass.Event, notices []breakglass.Notice, e journal.Entry) error {
	if ev != nil {
		if _, err := tx.exec(`INSERT INTO breakglass_events (request_id, at, actor_id, actor_login, actor_name,
			action, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`, ev.RequestID, micros(ev.At), ev.Actor.ID,
			ev.Actor.Login, ev.Actor.Name, ev.Action, ev.Detail); err != nil {
			return err
		}
	}
	for _, n := range notices {
		if n.PersonID == "" {
			continue
		}
		if _, err := tx.exec(`INSERT INTO notices (id, person_id, at, subject, body) VALUES ($1, $2, $3, $4, $5)`,
			core.NewID(), n.PersonID, micros(tx.now), n.Subject, n.Body); err != nil {
			return err
		}
	}
	return tx.journal(e)
}

// UpdateBreakGlass stores r's decision, window and end if its stored state
// is still from; core.Conflict otherwise.
func (db *DB) UpdateBreakGlass(ctx context.Context, r *breakglass.Request, from breakglass.State,
	ev *breakglass.Event, notices []breakglass.Notice, e journal.Entry) error {
	const op = "store.UpdateBreakGlass"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE breakglass_requests SET state = $1, approver_id = $2, approver_login = $3,
			approver_name = $4, decided_at = $5, comment = $6, valid_from = $7, valid_until = $8, ended_at = $9,
			ended_by_id = $10, ended_by_login = $11, ended_by_name = $12, end_comment = $13
			WHERE id = $14 AND state = $15`,
			string(r.State), r.Approver.ID, r.Approver.Login, r.Approver.Name, nullMicros(r.DecidedAt), r.Comment,
			nullMicros(r.From), nullMicros(r.Until), nullMicros(r.EndedAt), r.EndedBy.ID, r.EndedBy.Login,
			r.EndedBy.Name, r.EndComment, r.ID, string(from))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.findBreakGlass(r.ID); err != nil {
				return err
			}
			return core.E(op, core.Conflict, "this request changed meanwhile: reload it")
		}
		return tx.breakGlassAfter(ev, notices, e)
	})
}

func (tx *Tx) findBreakGlass(id string) (*breakglass.Request, error) {
	r, err := scanBreakGlass(tx.queryRow(`SELECT `+bgColumns+` FROM breakglass_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindBreakGlass", core.NotFound, "no such break-glass request")
	}
	return r, err
}

// RecordBreakGlassUse counts one use of an access in force at the
// transaction's time, with its event and journal entry.
func (db *DB) RecordBreakGlassUse(ctx context.Context, id string, ev *breakglass.Event, e journal.Entry) error {
	const op = "store.RecordBreakGlassUse"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE breakglass_requests SET uses = uses + 1, last_used_at = $1
			WHERE id = $2 AND state = 'approved' AND valid_from <= $1 AND valid_until > $1`, micros(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.Conflict, "this break-glass access is no longer in force")
		}
		ev.At = tx.now
		return tx.breakGlassAfter(ev, nil, e)
	})
}

// FindBreakGlass returns one request.
func (db *DB) FindBreakGlass(ctx context.Context, id string) (*breakglass.Request, error) {
	r, err := scanBreakGlass(db.r.QueryRowContext(ctx, `SELECT `+bgColumns+` FROM breakglass_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindBreakGlass", core.NotFound, "no such break-glass request")
	}
	return r, db.classify("store.FindBreakGlass", err)
}

// FindBreakGlasses lists requests newest first.
func (db *DB) FindBreakGlasses(ctx context.Context, f breakglass.Filter) ([]*breakglass.Request, error) {
	const op = "store.FindBreakGlasses"
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	in := func(col string, vs []string) string {
		ph := make([]string, len(vs))
		for i, v := range vs {
			ph[i] = arg(v)
		}
		return col + " IN (" + strings.Join(ph, ", ") + ")"
	}
	if f.Establishments != nil {
		if len(f.Establishments) == 0 {
			return nil, nil
		}
		where = append(where, in("establishment_id", f.Establishments))
	}
	if f.Requester != "" {
		where = append(where, "requester_id = "+arg(f.Requester))
	}
	if f.Target != "" {
		where = append(where, "target_id = "+arg(f.Target))
	}
	if f.NotTarget != "" {
		where = append(where, "target_id <> "+arg(f.NotTarget))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		where = append(where, in("state", states))
	}
	if !f.DueBefore.IsZero() {
		where = append(where, "(state = 'approved' AND valid_until <= "+arg(micros(f.DueBefore))+
			" OR state = 'requested' AND created_at <= "+arg(micros(f.DueBefore.Add(-breakglass.PendingLifetime)))+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+bgColumns+` FROM breakglass_requests`+cond+
		` ORDER BY created_at DESC, id DESC LIMIT `+arg(min(limit, 1000)), args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*breakglass.Request
	for rows.Next() {
		r, err := scanBreakGlass(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, r)
	}
	return out, db.classify(op, rows.Err())
}

// FindBreakGlassEvents returns a request's timeline, oldest first.
func (db *DB) FindBreakGlassEvents(ctx context.Context, id string) ([]*breakglass.Event, error) {
	const op = "store.FindBreakGlassEvents"
	rows, err := db.r.QueryContext(ctx, `SELECT request_id, at, actor_id, actor_login, actor_name, action, detail
		FROM breakglass_events WHERE request_id = $1 ORDER BY id LIMIT 2000`, id)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*breakglass.Event
	for rows.Next() {
		var ev breakglass.Event
		var at int64
		if err := rows.Scan(&ev.RequestID, &at, &ev.Actor.ID, &ev.Actor.Login, &ev.Actor.Name, &ev.Action,
			&ev.Detail); err != nil {
			return nil, db.classify(op, err)
		}
		ev.At = fromMicros(at)
		out = append(out, &ev)
	}
	return out, db.classify(op, rows.Err())
}
