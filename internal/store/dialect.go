// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/preau/preau/internal/core"
)

// dialect holds only what differs between SQLite and PostgreSQL. SQL text is
// never rewritten at run time.
type dialect struct {
	name string
	// migrationLock, when not empty, is run first in each migration
	// transaction so that concurrent nodes migrate one at a time.
	migrationLock string
	// classify maps a driver error to a core error kind, or reports false.
	classify func(err error) (core.Kind, string, bool)
	// appendAfterHead, when not empty, moves a chain's head and inserts the
	// journal entry in one statement (one round trip): the parameters of
	// insertJournal, then $17 the head's expected sequence. It inserts
	// nothing when the head moved meanwhile.
	appendAfterHead string
	// pipelinedAppend, when not empty, is appendAfterHead failing with
	// division_by_zero (22012) instead of inserting nothing when the head
	// moved, so that it can be pipelined with COMMIT (see writePipelined).
	pipelinedAppend string
	// insertJournalFull is insertJournal for journalBatchRows rows (set at
	// init; see insertJournalRows).
	insertJournalFull string
	// sessionPerson reads a session, its person, the person's
	// establishments and grants in force in one query.
	sessionPerson string
	// loginPerson reads a person by login with the password hash,
	// establishments and grants in force in one query.
	loginPerson string
	// rotateRefresh, when not empty, marks a refresh token used and inserts
	// its successor in one statement: the insert's eight parameters, then
	// $9 the time of use and $10 the parent. It inserts nothing when the
	// parent was already used.
	rotateRefresh string
}

// personAggregates are the establishments of person p in order and its
// grants in force at $2 — given to the person or to a group they belong
// to — as "right establishment zone" triples, comma-joined; the %s are the
// dialect's string aggregates.
const personAggregates = `COALESCE((SELECT %[1]s FROM person_establishments pe WHERE pe.person_id = p.id), ''),
	COALESCE((SELECT %[2]s FROM (
		SELECT g.right_name, g.establishment_id, g.zone FROM grants g WHERE g.person_id = p.id AND g.revoked_at IS NULL
			AND g.valid_from <= $2 AND (g.valid_until IS NULL OR g.valid_until > $2)
		UNION ALL
		SELECT gg.right_name, gg.establishment_id, gg.zone FROM memberships m JOIN group_grants gg ON gg.group_id = m.group_id
			WHERE m.person_id = p.id AND gg.revoked_at IS NULL
			AND gg.valid_from <= $2 AND (gg.valid_until IS NULL OR gg.valid_until > $2)) g), '')`

// sessionPersonSelect reads a session, its person, the aggregates, the
// password's date and the password-policies setting: what a page hit
// needs, in one round trip.
const sessionPersonSelect = `SELECT s.id, s.person_id, s.created_at, s.last_seen, s.expires_at, s.source,
	s.user_agent, s.auth_level, s.methods, s.auth_time, ` + personColumns + `, ` + personAggregates + `,
	c.changed_at, COALESCE((SELECT value FROM settings WHERE scope = 'auth' AND name = 'password_policies'), '')
	FROM sessions s JOIN people p ON p.id = s.person_id LEFT JOIN credentials c ON c.person_id = p.id WHERE s.id = $1`

// loginPersonSelect reads a person by login, its password hash and date,
// the aggregates and the password-policies setting: everything a login
// needs, in one round trip.
const loginPersonSelect = `SELECT ` + personColumns + `, COALESCE(c.hash, ''), ` + personAggregates + `,
	c.changed_at, COALESCE((SELECT value FROM settings WHERE scope = 'auth' AND name = 'password_policies'), '')
	FROM people p LEFT JOIN credentials c ON c.person_id = p.id WHERE p.login = $1`

const (
	sqliteAggregates   = "group_concat(pe.establishment_id, ',' ORDER BY pe.position)\x00group_concat(g.right_name || ' ' || COALESCE(g.establishment_id, '') || ' ' || g.zone, ',')"
	postgresAggregates = "string_agg(pe.establishment_id, ',' ORDER BY pe.position)\x00string_agg(g.right_name || ' ' || COALESCE(g.establishment_id, '') || ' ' || g.zone, ',')"
)

// withAggregates fills a query's aggregate placeholders.
func withAggregates(query, aggs string) string {
	ests, grants, _ := strings.Cut(aggs, "\x00")
	return fmt.Sprintf(query, ests, grants)
}

var sqliteDialect = &dialect{
	name:          "sqlite",
	sessionPerson: withAggregates(sessionPersonSelect, sqliteAggregates),
	loginPerson:   withAggregates(loginPersonSelect, sqliteAggregates),
	classify: func(err error) (core.Kind, string, bool) {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return 0, "", false
		}
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return core.Exists, constraintSubject(se.Error()), true
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return core.Conflict, "a referenced object does not exist or is still in use", true
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK:
			return core.Invalid, "a required value is missing or out of range", true
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return core.Unavailable, "the database is busy; try again", true
		}
		return 0, "", false
	},
}

var postgresDialect = &dialect{
	name:          "postgres",
	sessionPerson: withAggregates(sessionPersonSelect, postgresAggregates),
	loginPerson:   withAggregates(loginPersonSelect, postgresAggregates),
	rotateRefresh: `WITH used AS (
		UPDATE oidc_refresh_tokens SET used_at = $9::bigint WHERE id = $10::text AND used_at IS NULL RETURNING id)
		INSERT INTO oidc_refresh_tokens (id, family, client_id, person_id, session_id, data, created_at, expires_at)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bigint FROM used`,
	migrationLock: "SELECT pg_advisory_xact_lock(7261991)",
	appendAfterHead: `WITH moved AS (
		UPDATE journal_heads SET seq = $2::bigint, hash = $16::text WHERE chain = $1::text AND seq = $17::bigint
		RETURNING chain)
		INSERT INTO journal (chain, seq, at, actor_id, actor_login, channel, source, action,
		target_type, target_id, target_name, attributes, result, reason, prev_hash, hash)
		SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
		$10::text, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text FROM moved`,
	pipelinedAppend: `WITH moved AS (
		UPDATE journal_heads SET seq = $2::bigint, hash = $16::text WHERE chain = $1::text AND seq = $17::bigint
		RETURNING chain)
		INSERT INTO journal (chain, seq, at, actor_id, actor_login, channel, source, action,
		target_type, target_id, target_name, attributes, result, reason, prev_hash, hash)
		SELECT $1::text, $2::bigint + 0 / (SELECT count(*) FROM moved), $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
		$10::text, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text`,
	classify: func(err error) (core.Kind, string, bool) {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			return 0, "", false
		}
		switch pe.Code {
		case "23505":
			return core.Exists, constraintSubject(pe.ConstraintName + " " + pe.Detail), true
		case "23503":
			return core.Conflict, "a referenced object does not exist or is still in use", true
		case "23502", "23514":
			return core.Invalid, "a required value is missing or out of range", true
		case "40001", "40P01", "55P03":
			return core.Unavailable, "the database is busy; try again", true
		}
		return 0, "", false
	},
}

// constraintSubject turns a unique-constraint message into user words.
func constraintSubject(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "login"):
		return "this login is already taken"
	case strings.Contains(m, "uai"):
		return "an establishment with this UAI already exists"
	case strings.Contains(m, "person_keys") || strings.Contains(m, "kind"):
		return "this external identifier already belongs to another person"
	case strings.Contains(m, "school_groups") || strings.Contains(m, "code"):
		return "a group with this code already exists this school year"
	case strings.Contains(m, "zones") || strings.Contains(m, "name"):
		return "this name is already used"
	}
	return "this object already exists"
}

// classify wraps a driver error into a *core.Error of the right kind.
func (db *DB) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if kind, msg, ok := db.d.classify(err); ok {
		return &core.Error{Op: op, Kind: kind, Msg: msg, Err: err}
	}
	return &core.Error{Op: op, Kind: core.Internal, Err: err}
}
