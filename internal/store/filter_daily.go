// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/monitor"
)

// FilterDay is one establishment's internet use on one UTC day ("" for
// requests of no establishment).
type FilterDay struct {
	Establishment string
	Day           string // YYYY-MM-DD, UTC
	monitor.InternetUse
}

// AddFilterDays adds counts to the daily totals, in one transaction; several
// nodes add to the same rows.
func (db *DB) AddFilterDays(ctx context.Context, days []FilterDay) error {
	if len(days) == 0 {
		return nil
	}
	return db.write(ctx, "store.AddFilterDays", func(tx *Tx) error {
		for _, d := range days {
			if _, err := tx.exec(`INSERT INTO filter_daily (establishment, day, allowed, blocked, bytes) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (establishment, day) DO UPDATE SET allowed = filter_daily.allowed + excluded.allowed,
				blocked = filter_daily.blocked + excluded.blocked, bytes = filter_daily.bytes + excluded.bytes`,
				d.Establishment, d.Day, d.Allowed, d.Blocked, d.Bytes); err != nil {
				return err
			}
		}
		return nil
	})
}

// InternetUse sums the daily totals of ests (nil: every establishment) from
// the day of since on, by establishment.
func (db *DB) InternetUse(ctx context.Context, ests []string, since time.Time) (map[string]monitor.InternetUse, error) {
	const op = "store.InternetUse"
	args := []any{since.UTC().Format(time.DateOnly)}
	q := `SELECT establishment, SUM(allowed), SUM(blocked), SUM(bytes) FROM filter_daily WHERE day >= $1`
	if ests != nil {
		if len(ests) == 0 {
			return map[string]monitor.InternetUse{}, nil
		}
		ph := make([]string, len(ests))
		for i, e := range ests {
			args = append(args, e)
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		q += ` AND establishment IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := db.r.QueryContext(ctx, q+` GROUP BY establishment`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	out := map[string]monitor.InternetUse{}
	for rows.Next() {
		var est string
		var u monitor.InternetUse
		if err := rows.Scan(&est, &u.Allowed, &u.Blocked, &u.Bytes); err != nil {
			return nil, db.classify(op, err)
		}
		out[est] = u
	}
	return out, db.classify(op, rows.Err())
}
