// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
)

// LogRetention is one establishment's retention setting for a log class.
type LogRetention struct {
	Establishment string // "" for the deployment stream
	Class         logs.Class
	Days          int
}

// LogRetentions lists the retention overrides (defaults are in logs.Rules).
func (db *DB) LogRetentions(ctx context.Context) ([]LogRetention, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT establishment_id, class, days FROM logs_retention
		ORDER BY establishment_id, class`)
	if err != nil {
		return nil, db.classify("store.LogRetentions", err)
	}
	defer rows.Close()
	var out []LogRetention
	for rows.Next() {
		var r LogRetention
		var c string
		if err := rows.Scan(&r.Establishment, &c, &r.Days); err != nil {
			return nil, db.classify("store.LogRetentions", err)
		}
		r.Class = logs.Class(c)
		out = append(out, r)
	}
	return out, db.classify("store.LogRetentions", rows.Err())
}

// SetLogRetention sets how long an establishment keeps a log class, within
// the class's legal bounds (logs.CheckRetention); days 0 returns to the
// default. The change is journaled in the establishment's chain.
func (db *DB) SetLogRetention(ctx context.Context, est string, class logs.Class, days int) error {
	const op = "store.SetLogRetention"
	if days != 0 {
		if err := logs.CheckRetention(class, days); err != nil {
			return err
		}
	} else if _, ok := logs.RuleOf(class); !ok {
		return core.E(op, core.Invalid, "unknown log class %q", class)
	}
	return db.write(ctx, op, func(tx *Tx) error {
		var err error
		if days == 0 {
			_, err = tx.exec(`DELETE FROM logs_retention WHERE establishment_id = $1 AND class = $2`, est, string(class))
		} else {
			_, err = tx.exec(`INSERT INTO logs_retention (establishment_id, class, days, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (establishment_id, class) DO UPDATE SET days = excluded.days,
				updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				est, string(class), days, micros(tx.now), tx.p.Login)
		}
		if err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: est, Action: "logs.retention.set", TargetType: "log_class",
			TargetName: string(class), Attributes: []string{"days"}, Reason: "days=" + strconv.Itoa(days)})
	})
}

var _ logs.AccessJournal = (*DB)(nil)

// JournalLogAccess journals a consultation (answered or refused). A search
// must not be answered if this fails.
func (db *DB) JournalLogAccess(ctx context.Context, a logs.Access) error {
	return db.write(ctx, "store.JournalLogAccess", func(tx *Tx) error {
		e := journal.Entry{Chain: a.Establishment, Action: "logs." + a.Action, TargetType: "logs",
			TargetName: truncate(a.Query.Summary(), 500), Result: journal.Done}
		reason := a.Justification.String()
		if a.Saved != "" {
			reason = strings.TrimSpace(reason + " query=" + strconv.Quote(a.Saved))
		}
		if a.Format != "" {
			reason += " format=" + a.Format
		}
		reason += fmt.Sprintf(" records=%d", a.Records)
		if a.Refused != "" {
			e.Result, reason = journal.Refused, a.Refused
		}
		e.Reason = truncate(reason, 1000)
		return tx.journal(e)
	})
}

// JournalLogPurge journals the segments a retention purge deleted, one
// entry per stream.
func (db *DB) JournalLogPurge(ctx context.Context, purged []logs.PurgedSegment) error {
	by := map[string][]logs.PurgedSegment{}
	var order []string
	for _, p := range purged {
		if by[p.Stream] == nil {
			order = append(order, p.Stream)
		}
		by[p.Stream] = append(by[p.Stream], p)
	}
	return db.write(ctx, "store.JournalLogPurge", func(tx *Tx) error {
		for _, s := range order {
			ps := by[s]
			n := 0
			for _, p := range ps {
				n += p.Records
			}
			chain := ps[0].Establishment
			if err := tx.journal(journal.Entry{Chain: chain, Action: "logs.purge", TargetType: "log_stream", TargetName: s,
				Reason: fmt.Sprintf("segments %d-%d, %d records, newest %s", ps[0].Seq, ps[len(ps)-1].Seq, n,
					ps[len(ps)-1].Last.UTC().Format("2006-01-02T15:04:05Z"))}); err != nil {
				return err
			}
		}
		return nil
	})
}
