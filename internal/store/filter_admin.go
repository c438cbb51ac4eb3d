// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
)

// FilterFetchConfig returns the scheduled download of the lists, or
// core.NotFound when nobody configured it.
func (db *DB) FilterFetchConfig(ctx context.Context) (*filter.FetchConfig, error) {
	const op = "store.FilterFetchConfig"
	var c filter.FetchConfig
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT url, enabled, at_minute, every_hours, updated_at, updated_by
		FROM filter_fetch_config WHERE name = 'lists'`).Scan(&c.URL, &c.Enabled, &c.AtMinute, &c.EveryHours, &at, &c.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "the download of the lists is not configured")
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	c.UpdatedAt = fromMicros(at)
	return &c, nil
}

// PutFilterFetchConfig stores the scheduled download of the lists and
// journals the change with its author (INF-SEC-8, -9).
func (db *DB) PutFilterFetchConfig(ctx context.Context, c *filter.FetchConfig) error {
	const op = "store.PutFilterFetchConfig"
	if err := c.Validate(); err != nil {
		return err
	}
	return db.write(ctx, op, func(tx *Tx) error {
		c.UpdatedAt, c.UpdatedBy = tx.now, tx.p.Login
		if _, err := tx.exec(`INSERT INTO filter_fetch_config (name, url, enabled, at_minute, every_hours, updated_at, updated_by)
			VALUES ('lists', $1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET url = excluded.url, enabled = excluded.enabled,
			at_minute = excluded.at_minute, every_hours = excluded.every_hours, updated_at = excluded.updated_at,
			updated_by = excluded.updated_by`, c.URL, c.Enabled, c.AtMinute, c.EveryHours, micros(tx.now), tx.p.Login); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Action: "filter.fetch.configure", TargetType: "filter_lists", TargetName: c.URL,
			Attributes: []string{fmt.Sprintf("enabled:%t", c.Enabled), fmt.Sprintf("at:%02d:%02d", c.AtMinute/60, c.AtMinute%60),
				fmt.Sprintf("every_hours:%d", c.EveryHours)}})
	})
}

// RecordFilterFetch records a download of the lists and journals it; a
// failure is journaled as failed with its message.
func (db *DB) RecordFilterFetch(ctx context.Context, r *filter.FetchRun) error {
	const op = "store.RecordFilterFetch"
	if r.ID == "" {
		r.ID = core.NewID()
	}
	msg := r.Message
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO filter_fetch_runs (id, started_at, finished_at, url, node, cause, ok, message, import_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, micros(r.Started), micros(r.Finished), r.URL, r.Node, r.Cause,
			r.OK, msg, r.ImportID); err != nil {
			return err
		}
		e := journal.Entry{Action: "filter.lists.fetch", TargetType: "filter_lists", TargetID: r.ImportID, TargetName: r.URL,
			Attributes: []string{"cause:" + r.Cause}}
		if !r.OK {
			e.Result = journal.Failed
			e.Reason = msg
			if len(e.Reason) > 200 {
				e.Reason = e.Reason[:200]
			}
		}
		return tx.journal(e)
	})
}

// FilterFetchRuns returns the latest downloads of the lists, newest first.
func (db *DB) FilterFetchRuns(ctx context.Context, limit int) ([]filter.FetchRun, error) {
	const op = "store.FilterFetchRuns"
	rows, err := db.r.QueryContext(ctx, `SELECT id, started_at, finished_at, url, node, cause, ok, message, import_id
		FROM filter_fetch_runs ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []filter.FetchRun
	for rows.Next() {
		var r filter.FetchRun
		var s, f int64
		if err := rows.Scan(&r.ID, &s, &f, &r.URL, &r.Node, &r.Cause, &r.OK, &r.Message, &r.ImportID); err != nil {
			return nil, db.classify(op, err)
		}
		r.Started, r.Finished = fromMicros(s), fromMicros(f)
		out = append(out, r)
	}
	return out, db.classify(op, rows.Err())
}

// FilterImports returns the latest lists imports, newest first.
func (db *DB) FilterImports(ctx context.Context, limit int) ([]FilterImport, error) {
	const op = "store.FilterImports"
	rows, err := db.r.QueryContext(ctx, `SELECT id, source, sha256, categories, domains, urls, skipped, imported_at, imported_by
		FROM filter_imports ORDER BY imported_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []FilterImport
	for rows.Next() {
		var im FilterImport
		var at int64
		if err := rows.Scan(&im.ID, &im.Source, &im.SHA256, &im.Categories, &im.Domains, &im.URLs, &im.Skipped, &at, &im.By); err != nil {
			return nil, db.classify(op, err)
		}
		im.At = fromMicros(at)
		out = append(out, im)
	}
	return out, db.classify(op, rows.Err())
}

const askCols = `id, establishment_id, person_id, login, display_name, group_codes, site, reason, asked_at, state,
	decided_at, decided_by, target, override_id`

func scanAsk(sc interface{ Scan(...any) error }) (filter.Ask, error) {
	var a filter.Ask
	var groups string
	var at int64
	var dec sql.NullInt64
	if err := sc.Scan(&a.ID, &a.Establishment, &a.PersonID, &a.Login, &a.Name, &groups, &a.Site, &a.Reason, &at, &a.State,
		&dec, &a.DecidedBy, &a.Target, &a.OverrideID); err != nil {
		return a, err
	}
	a.At = fromMicros(at)
	if dec.Valid {
		a.DecidedAt = fromMicros(dec.Int64)
	}
	if err := json.Unmarshal([]byte(groups), &a.Groups); err != nil {
		return a, err
	}
	return a, nil
}

// CreateFilterAsk records a pupil's request to open a site and journals it
// in the pupil's establishment (action filter.ask). a.ID and a.At are set.
func (db *DB) CreateFilterAsk(ctx context.Context, a *filter.Ask) error {
	const op = "store.CreateFilterAsk"
	if a.ID == "" {
		a.ID = core.NewID()
	}
	a.State = filter.AskPending
	groups := jsonList(a.Groups)
	return db.write(ctx, op, func(tx *Tx) error {
		a.At = tx.now
		if _, err := tx.exec(`INSERT INTO filter_asks (id, establishment_id, person_id, login, display_name, group_codes, site,
			reason, asked_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, a.ID, a.Establishment, a.PersonID, a.Login,
			a.Name, groups, a.Site, a.Reason, micros(tx.now), a.State); err != nil {
			return err
		}
		reason := a.Reason
		if len(reason) > 200 {
			reason = reason[:200]
		}
		return tx.journal(journal.Entry{Chain: a.Establishment, Action: "filter.ask", TargetType: "site", TargetID: a.ID,
			TargetName: a.Site, Reason: reason, Attributes: []string{"groups:" + strings.Join(a.Groups, ",")}})
	})
}

// FilterAsks returns the requests of est in state (all when ""), newest
// first, the ones asked since since.
func (db *DB) FilterAsks(ctx context.Context, est, state string, since time.Time, limit int) ([]filter.Ask, error) {
	const op = "store.FilterAsks"
	rows, err := db.r.QueryContext(ctx, `SELECT `+askCols+` FROM filter_asks WHERE establishment_id = $1
		AND ($2 = '' OR state = $2) AND asked_at >= $3 ORDER BY asked_at DESC, id DESC LIMIT $4`, est, state, micros(since), limit)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []filter.Ask
	for rows.Next() {
		a, err := scanAsk(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, a)
	}
	return out, db.classify(op, rows.Err())
}

// FilterAsk returns one request of est, or core.NotFound.
func (db *DB) FilterAsk(ctx context.Context, est, id string) (*filter.Ask, error) {
	const op = "store.FilterAsk"
	a, err := scanAsk(db.r.QueryRowContext(ctx, `SELECT `+askCols+` FROM filter_asks WHERE id = $1 AND establishment_id = $2`, id, est))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "no such request")
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	return &a, nil
}

// DecideFilterAsk accepts or refuses a pending request of est and journals
// the answer; core.Conflict when someone already answered it, core.NotFound
// when it does not exist.
func (db *DB) DecideFilterAsk(ctx context.Context, est, id, state, target, overrideID string) error {
	const op = "store.DecideFilterAsk"
	if state != filter.AskAccepted && state != filter.AskRefused {
		return core.E(op, core.Invalid, "unknown answer %q", state)
	}
	return db.write(ctx, op, func(tx *Tx) error {
		var site, cur string
		err := tx.queryRow(`SELECT site, state FROM filter_asks WHERE id = $1 AND establishment_id = $2`, id, est).Scan(&site, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "no such request")
		}
		if err != nil {
			return err
		}
		if cur != filter.AskPending {
			return core.E(op, core.Conflict, "this request was already answered (%s)", cur)
		}
		if _, err := tx.exec(`UPDATE filter_asks SET state = $1, decided_at = $2, decided_by = $3, target = $4, override_id = $5
			WHERE id = $6 AND state = 'pending'`, state, micros(tx.now), tx.p.Login, target, overrideID, id); err != nil {
			return err
		}
		verb := "accept"
		if state == filter.AskRefused {
			verb = "refuse"
		}
		attrs := []string{}
		if target != "" {
			attrs = append(attrs, "target:"+target)
		}
		return tx.journal(journal.Entry{Chain: est, Action: "filter.ask." + verb, TargetType: "site", TargetID: id,
			TargetName: site, Attributes: attrs})
	})
}

// FilterPerson is a person the filter may notify.
type FilterPerson struct {
	ID, Login, Name, Mail string
	Profile               core.Profile
}

// FilterGroupStaff returns the teachers and heads belonging to the groups
// of est named by codes in school year year (any year when 0): the people
// who may hold filter.delegate for them.
func (db *DB) FilterGroupStaff(ctx context.Context, est string, codes []string, year int) ([]FilterPerson, error) {
	const op = "store.FilterGroupStaff"
	if len(codes) == 0 {
		return nil, nil
	}
	args := []any{est, year}
	ph := make([]string, len(codes))
	for i, c := range codes {
		args = append(args, c)
		ph[i] = fmt.Sprintf("$%d", i+3)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT p.id, p.login, p.display_name, p.mail, p.profile FROM memberships m
		JOIN school_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.establishment_id = $1 AND ($2 = 0 OR g.school_year = $2) AND p.profile IN ('teacher', 'head')
		AND g.code IN (`+strings.Join(ph, ", ")+`) ORDER BY p.login`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []FilterPerson
	for rows.Next() {
		var p FilterPerson
		var prof string
		if err := rows.Scan(&p.ID, &p.Login, &p.Name, &p.Mail, &prof); err != nil {
			return nil, db.classify(op, err)
		}
		p.Profile = core.Profile(prof)
		out = append(out, p)
	}
	return out, db.classify(op, rows.Err())
}

// FilterGroupMembers returns the logins and names of the pupils of the
// groups of est named by codes, in school year year (any when 0).
func (db *DB) FilterGroupMembers(ctx context.Context, est string, codes []string, year int) (map[string]string, error) {
	const op = "store.FilterGroupMembers"
	out := map[string]string{}
	if len(codes) == 0 {
		return out, nil
	}
	args := []any{est, year}
	ph := make([]string, len(codes))
	for i, c := range codes {
		args = append(args, c)
		ph[i] = fmt.Sprintf("$%d", i+3)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT p.login, p.display_name FROM memberships m
		JOIN school_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.establishment_id = $1 AND ($2 = 0 OR g.school_year = $2) AND p.profile = 'pupil'
		AND g.code IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l, n string
		if err := rows.Scan(&l, &n); err != nil {
			return nil, db.classify(op, err)
		}
		out[l] = n
	}
	return out, db.classify(op, rows.Err())
}
