// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
)

// FilterScopeNational is the settings scope of the locked national layer;
// FilterScopeDefault ("") is the deployment's default profile.
const (
	FilterScopeNational = "national"
	FilterScopeDefault  = ""
)

// FilterVersion returns a number that grows with every filter change.
func (db *DB) FilterVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'filter'`).Scan(&n)
	return n, db.classify("store.FilterVersion", err)
}

func (tx *Tx) filterChanged() error {
	_, err := tx.exec(`UPDATE counters SET value = value + 1 WHERE name = 'filter'`)
	return err
}

// FilterSettings returns every stored settings document by scope.
func (db *DB) FilterSettings(ctx context.Context) (map[string]string, error) {
	const op = "store.FilterSettings"
	rows, err := db.readRows(ctx, `SELECT scope, doc FROM filter_settings`)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var s, d string
		if err := rows.Scan(&s, &d); err != nil {
			return nil, db.classify(op, err)
		}
		out[s] = d
	}
	return out, db.classify(op, rows.Err())
}

// PutFilterSettings stores a settings document (JSON) for a scope and
// journals the change with its author (INF-SEC-7, -9).
func (db *DB) PutFilterSettings(ctx context.Context, scope, doc, reason string) error {
	const op = "store.PutFilterSettings"
	if !json.Valid([]byte(doc)) {
		return core.E(op, core.Invalid, "the filter settings are not valid JSON")
	}
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO filter_settings (scope, doc, updated_at, updated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			scope, doc, micros(tx.now), tx.p.Login); err != nil {
			return err
		}
		chain, name := scope, scope
		if scope == FilterScopeNational || scope == FilterScopeDefault {
			chain = journal.DeploymentChain
			if name == "" {
				name = "default"
			}
		}
		if err := tx.journal(journal.Entry{Chain: chain, Action: "filter.settings.put", TargetType: "filter_settings",
			TargetName: name, Reason: reason}); err != nil {
			return err
		}
		return tx.filterChanged()
	})
}

const overrideCols = `id, establishment_id, kind, target, allow, site, category, sites, starts_at, ends_at,
	author_id, author_login, note, ended_at`

// FilterOverrides returns the overrides that end after since (so the ones
// in force and those to come), oldest first.
func (db *DB) FilterOverrides(ctx context.Context, since time.Time) ([]filter.Override, error) {
	const op = "store.FilterOverrides"
	rows, err := db.readRows(ctx, `SELECT `+overrideCols+` FROM filter_overrides WHERE ends_at > $1 ORDER BY starts_at, id`, micros(since))
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []filter.Override
	for rows.Next() {
		var o filter.Override
		var sites string
		var from, until int64
		var ended sql.NullInt64
		if err := rows.Scan(&o.ID, &o.Establishment, &o.Kind, &o.Target, &o.Allow, &o.Site, &o.Category, &sites,
			&from, &until, &o.AuthorID, &o.AuthorLogin, &o.Note, &ended); err != nil {
			return nil, db.classify(op, err)
		}
		o.From, o.Until, o.Ended = fromMicros(from), fromMicros(until), ended.Valid
		if err := json.Unmarshal([]byte(sites), &o.Sites); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, o)
	}
	return out, db.classify(op, rows.Err())
}

// CreateFilterOverride stores a delegation or a context mode and journals
// it (INF-SEC-6, -9). The author is the principal in ctx; o.ID is set.
func (db *DB) CreateFilterOverride(ctx context.Context, o *filter.Override) error {
	const op = "store.CreateFilterOverride"
	if o.ID == "" {
		o.ID = core.NewID()
	}
	p := core.PrincipalFromContext(ctx)
	o.AuthorID, o.AuthorLogin = p.PersonID, p.Login
	sites, _ := json.Marshal(o.Sites)
	if o.Sites == nil {
		sites = []byte("[]")
	}
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO filter_overrides (id, establishment_id, kind, target, allow, site, category, sites,
			starts_at, ends_at, author_id, author_login, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			o.ID, o.Establishment, string(o.Kind), o.Target, o.Allow, o.Site, o.Category, string(sites),
			micros(o.From), micros(o.Until), o.AuthorID, o.AuthorLogin, o.Note, micros(tx.now)); err != nil {
			return err
		}
		what := o.Site
		if what == "" {
			what = o.Category
		}
		verb := "close"
		if o.Allow {
			verb = "open"
		}
		attrs := []string{"target:" + o.Target, "until:" + o.Until.UTC().Format(time.RFC3339)}
		if o.Kind == filter.KindDelegation {
			attrs = append(attrs, verb+":"+what)
		} else {
			attrs = append(attrs, "sites:"+strconv.Itoa(len(o.Sites)))
		}
		if err := tx.journal(journal.Entry{Chain: o.Establishment, Action: "filter." + string(o.Kind) + ".start",
			TargetType: "filter_override", TargetID: o.ID, TargetName: o.Target, Attributes: attrs, Reason: o.Note}); err != nil {
			return err
		}
		return tx.filterChanged()
	})
}

// EndFilterOverride ends an override before its time, in establishment est
// (core.NotFound when it is not there or already over).
func (db *DB) EndFilterOverride(ctx context.Context, est, id string) error {
	const op = "store.EndFilterOverride"
	return db.write(ctx, op, func(tx *Tx) error {
		var kind, target string
		err := tx.queryRow(`SELECT kind, target FROM filter_overrides WHERE id = $1 AND establishment_id = $2
			AND ended_at IS NULL AND ends_at > $3`, id, est, micros(tx.now)).Scan(&kind, &target)
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "no such rule in force")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE filter_overrides SET ended_at = $1, ended_by = $2 WHERE id = $3`,
			micros(tx.now), tx.p.Login, id); err != nil {
			return err
		}
		if err := tx.journal(journal.Entry{Chain: est, Action: "filter." + kind + ".end", TargetType: "filter_override",
			TargetID: id, TargetName: target}); err != nil {
			return err
		}
		return tx.filterChanged()
	})
}

// FilterImport records a lists import.
type FilterImport struct {
	ID, Source, SHA256        string
	Categories, Domains, URLs int
	Skipped                   int
	At                        time.Time
	By                        string
}

// RecordFilterImport records and journals a lists import; running nodes
// reload the lists when they see it.
func (db *DB) RecordFilterImport(ctx context.Context, im *FilterImport) error {
	const op = "store.RecordFilterImport"
	if im.ID == "" {
		im.ID = core.NewID()
	}
	return db.write(ctx, op, func(tx *Tx) error {
		im.At, im.By = tx.now, tx.p.Login
		if _, err := tx.exec(`INSERT INTO filter_imports (id, source, sha256, categories, domains, urls, skipped, imported_at, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, im.ID, im.Source, im.SHA256, im.Categories, im.Domains, im.URLs,
			im.Skipped, micros(tx.now), tx.p.Login); err != nil {
			return err
		}
		if err := tx.journal(journal.Entry{Action: "filter.lists.import", TargetType: "filter_lists", TargetID: im.ID,
			TargetName: im.Source, Attributes: []string{"sha256:" + im.SHA256, "domains:" + strconv.Itoa(im.Domains),
				"urls:" + strconv.Itoa(im.URLs)}}); err != nil {
			return err
		}
		return tx.filterChanged()
	})
}

// LastFilterImport returns the latest lists import, or core.NotFound.
func (db *DB) LastFilterImport(ctx context.Context) (*FilterImport, error) {
	const op = "store.LastFilterImport"
	var im FilterImport
	var at int64
	err := db.readRow(ctx, `SELECT id, source, sha256, categories, domains, urls, skipped, imported_at, imported_by
		FROM filter_imports ORDER BY imported_at DESC, id DESC LIMIT 1`).Scan(&im.ID, &im.Source, &im.SHA256, &im.Categories,
		&im.Domains, &im.URLs, &im.Skipped, &at, &im.By)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "no lists imported yet")
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	im.At = fromMicros(at)
	return &im, nil
}

// FilterGroup is a group a person belongs to, as the filter sees it.
type FilterGroup struct {
	Establishment string
	Code          string
	Name          string
	Role          string
}

// FilterGroupsOf returns the groups of a person in the current school
// year (any year when year is 0), with their role.
func (db *DB) FilterGroupsOf(ctx context.Context, personID string, year int) ([]FilterGroup, error) {
	const op = "store.FilterGroupsOf"
	rows, err := db.readRows(ctx, `SELECT g.establishment_id, g.code, g.name, m.role FROM memberships m
		JOIN school_groups g ON g.id = m.group_id WHERE m.person_id = $1 AND ($2 = 0 OR g.school_year = $2)
		ORDER BY g.code`, personID, year)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []FilterGroup
	for rows.Next() {
		var g FilterGroup
		if err := rows.Scan(&g.Establishment, &g.Code, &g.Name, &g.Role); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, g)
	}
	return out, db.classify(op, rows.Err())
}
