// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"

	"github.com/preau/preau/internal/compliance"
)

const accountCountsQuery = `SELECT COUNT(*),
	COALESCE(SUM(CASE WHEN p.service THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.must_change AND NOT p.service THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.profile = 'head' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN p.profile = 'admin' THEN 1 ELSE 0 END), 0),
	(SELECT COUNT(*) FROM picture_classes pc JOIN school_groups g ON g.id = pc.group_id WHERE g.establishment_id = $1)
	FROM people p JOIN person_establishments pe ON pe.person_id = p.id
	WHERE pe.establishment_id = $1 AND p.state = 'active'`

// AccountCounts counts the active accounts of an establishment for the
// compliance report: all, service accounts, those whose password must still
// be changed, heads, administrators, and the classes with picture login.
func (db *DB) AccountCounts(ctx context.Context, establishment string) (compliance.AccountCounts, error) {
	var c compliance.AccountCounts
	err := db.readRow(ctx, accountCountsQuery, establishment).Scan(&c.People, &c.Service, &c.MustChange,
		&c.Heads, &c.Admins, &c.PictureClasses)
	return c, db.classify("store.AccountCounts", err)
}
