// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// PeopleStats counts the people (service accounts aside) of the given
// establishments, or of the whole deployment when ests is nil, grouped by
// profile, state and whether they must change their password. One grouped
// query feeds every chart of the dashboard; a person attached to two of the
// establishments counts once. The people_stats index covers the query.
func (db *DB) PeopleStats(ctx context.Context, ests []string) ([]directory.PeopleCount, error) {
	if ests != nil && len(ests) == 0 {
		return nil, nil
	}
	q := `SELECT profile, state, must_change, COUNT(*) FROM people WHERE service = FALSE
		GROUP BY profile, state, must_change ORDER BY profile, state, must_change`
	var args []any
	if ests != nil {
		ph := make([]string, len(ests))
		for i, id := range ests {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		// A scan of the people_stats index with one probe of the
		// attachments' primary key per person: each person counts once.
		q = `SELECT p.profile, p.state, p.must_change, COUNT(*) FROM people p WHERE p.service = FALSE
			AND EXISTS (SELECT 1 FROM person_establishments pe WHERE pe.person_id = p.id
				AND pe.establishment_id IN (` + strings.Join(ph, ", ") + `))
			GROUP BY p.profile, p.state, p.must_change ORDER BY p.profile, p.state, p.must_change`
	}
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, db.classify("store.PeopleStats", err)
	}
	defer rows.Close()
	var out []directory.PeopleCount
	for rows.Next() {
		var c directory.PeopleCount
		var profile, state string
		if err := rows.Scan(&profile, &state, &c.MustChange, &c.N); err != nil {
			return nil, db.classify("store.PeopleStats", err)
		}
		c.Profile, c.State = core.Profile(profile), directory.State(state)
		out = append(out, c)
	}
	return out, db.classify("store.PeopleStats", rows.Err())
}
