// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ charter.Store = (*DB)(nil)

const charterColumns = `establishment_id, kind, version, title, body, author_id, author_login, updated_at,
	published_at, publisher_id, publisher_login`

func scanCharter(sc interface{ Scan(...any) error }) (*charter.Version, error) {
	var v charter.Version
	var kind string
	var updated int64
	var published sql.NullInt64
	if err := sc.Scan(&v.Establishment, &kind, &v.Number, &v.Title, &v.Body, &v.AuthorID, &v.AuthorLogin, &updated,
		&published, &v.PublisherID, &v.PublisherName); err != nil {
		return nil, err
	}
	v.Kind, v.UpdatedAt, v.PublishedAt = charter.Kind(kind), fromMicros(updated), fromNullMicros(published)
	return &v, nil
}

func (db *DB) charterRows(ctx context.Context, op, q string, args ...any) ([]*charter.Version, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*charter.Version
	for rows.Next() {
		v, err := scanCharter(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, v)
	}
	return out, db.classify(op, rows.Err())
}

// CharterVersions returns the versions of one document, newest first.
func (db *DB) CharterVersions(ctx context.Context, est string, kind charter.Kind) ([]*charter.Version, error) {
	return db.charterRows(ctx, "store.CharterVersions", `SELECT `+charterColumns+` FROM charter_versions
		WHERE establishment_id = $1 AND kind = $2 ORDER BY version DESC`, est, string(kind))
}

// CharterKinds returns the kinds of document that have a version in est.
func (db *DB) CharterKinds(ctx context.Context, est string) ([]charter.Kind, error) {
	const op = "store.CharterKinds"
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT kind FROM charter_versions WHERE establishment_id = $1
		ORDER BY kind`, est)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []charter.Kind
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, charter.Kind(k))
	}
	return out, db.classify(op, rows.Err())
}

// CurrentCharters returns the latest published version of every document
// of the establishments.
func (db *DB) CurrentCharters(ctx context.Context, ests []string) ([]*charter.Version, error) {
	if len(ests) == 0 {
		return nil, nil
	}
	ph := make([]string, len(ests))
	args := make([]any, len(ests))
	for i, e := range ests {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), e
	}
	return db.charterRows(ctx, "store.CurrentCharters", `SELECT `+charterColumns+` FROM charter_versions c
		WHERE c.establishment_id IN (`+strings.Join(ph, ", ")+`) AND c.published_at IS NOT NULL
		AND c.version = (SELECT MAX(l.version) FROM charter_versions l WHERE l.establishment_id = c.establishment_id
			AND l.kind = c.kind AND l.published_at IS NOT NULL)
		ORDER BY c.establishment_id, c.kind`, args...)
}

// SaveCharterDraft creates or replaces the draft of a document, numbered
// after its last published version, and journals it.
func (db *DB) SaveCharterDraft(ctx context.Context, v *charter.Version) error {
	return db.write(ctx, "store.SaveCharterDraft", func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COALESCE(MAX(version), 0) FROM charter_versions
			WHERE establishment_id = $1 AND kind = $2 AND published_at IS NOT NULL`, v.Establishment, string(v.Kind)).Scan(&n); err != nil {
			return err
		}
		n++
		res, err := tx.exec(`UPDATE charter_versions SET title = $1, body = $2, author_id = $3, author_login = $4,
			updated_at = $5 WHERE establishment_id = $6 AND kind = $7 AND version = $8 AND published_at IS NULL`,
			v.Title, v.Body, v.AuthorID, v.AuthorLogin, micros(tx.now), v.Establishment, string(v.Kind), n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			if _, err := tx.exec(`INSERT INTO charter_versions (establishment_id, kind, version, title, body,
				author_id, author_login, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				v.Establishment, string(v.Kind), n, v.Title, v.Body, v.AuthorID, v.AuthorLogin, micros(tx.now)); err != nil {
				return err
			}
		}
		v.Number, v.UpdatedAt = n, tx.now
		return tx.journal(journal.Entry{Chain: v.Establishment, Action: "charter.draft.save", TargetType: "charter",
			TargetID: v.Establishment + "/" + string(v.Kind), TargetName: string(v.Kind) + " v" + strconv.Itoa(n),
			Attributes: []string{"title", "body"}})
	})
}

// PublishCharter publishes the draft numbered n and journals it.
func (db *DB) PublishCharter(ctx context.Context, est string, kind charter.Kind, n int, seen time.Time) (*charter.Version, error) {
	const op = "store.PublishCharter"
	var v *charter.Version
	err := db.write(ctx, op, func(tx *Tx) error {
		var err error
		v, err = scanCharter(tx.queryRow(`SELECT `+charterColumns+` FROM charter_versions
			WHERE establishment_id = $1 AND kind = $2 AND version = $3`, est, string(kind), n))
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "there is no version %d of this document", n)
		}
		if err != nil {
			return err
		}
		if !v.Draft() {
			return core.E(op, core.Conflict, "version %d is already published", n)
		}
		if !seen.IsZero() && micros(seen) != micros(v.UpdatedAt) {
			return core.E(op, core.Conflict, "charter.publish.changed")
		}
		res, err := tx.exec(`UPDATE charter_versions SET published_at = $1, publisher_id = $2, publisher_login = $3
			WHERE establishment_id = $4 AND kind = $5 AND version = $6 AND published_at IS NULL`,
			micros(tx.now), tx.p.PersonID, tx.p.Login, est, string(kind), n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return core.E(op, core.Conflict, "version %d was published meanwhile", n)
		}
		v.PublishedAt, v.PublisherID, v.PublisherName = tx.now, tx.p.PersonID, tx.p.Login
		return tx.journal(journal.Entry{Chain: est, Action: "charter.publish", TargetType: "charter",
			TargetID: est + "/" + string(kind), TargetName: string(kind) + " v" + strconv.Itoa(n)})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// AcceptCharters records the acceptances of the principal's person, one
// journal entry each; a version already accepted is skipped.
func (db *DB) AcceptCharters(ctx context.Context, refs []charter.Ref) error {
	const op = "store.AcceptCharters"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return core.E(op, core.Permission, "only a person may accept a charter")
	}
	return db.write(ctx, op, func(tx *Tx) error {
		for _, r := range refs {
			res, err := tx.exec(`INSERT INTO charter_acceptances (person_id, establishment_id, kind, version,
				accepted_at, channel, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (person_id, establishment_id, kind, version) DO NOTHING`,
				p.PersonID, r.Establishment, string(r.Kind), r.Number, micros(tx.now), string(p.Channel), p.Source)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := tx.journal(journal.Entry{Chain: r.Establishment, Action: "charter.accept", TargetType: "charter",
				TargetID: r.Establishment + "/" + string(r.Kind), TargetName: string(r.Kind) + " v" + strconv.Itoa(r.Number)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// CharterAcceptances returns a person's acceptances, newest first.
func (db *DB) CharterAcceptances(ctx context.Context, personID string) ([]*charter.Acceptance, error) {
	const op = "store.CharterAcceptances"
	rows, err := db.r.QueryContext(ctx, `SELECT person_id, establishment_id, kind, version, accepted_at, channel, source
		FROM charter_acceptances WHERE person_id = $1 ORDER BY accepted_at DESC, kind`, personID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*charter.Acceptance
	for rows.Next() {
		var a charter.Acceptance
		var kind, ch string
		var at int64
		if err := rows.Scan(&a.PersonID, &a.Establishment, &kind, &a.Number, &at, &ch, &a.Source); err != nil {
			return nil, db.classify(op, err)
		}
		a.Kind, a.At, a.Channel = charter.Kind(kind), fromMicros(at), core.Channel(ch)
		out = append(out, &a)
	}
	return out, db.classify(op, rows.Err())
}

// CharterStats counts, per profile, the active interactive people of the
// establishment and those among them who accepted the version.
func (db *DB) CharterStats(ctx context.Context, ref charter.Ref) ([]charter.ProfileStat, error) {
	const op = "store.CharterStats"
	rows, err := db.r.QueryContext(ctx, `SELECT p.profile, COUNT(*), COUNT(a.person_id)
		FROM person_establishments pe JOIN people p ON p.id = pe.person_id
		LEFT JOIN charter_acceptances a ON a.person_id = p.id AND a.establishment_id = $1 AND a.kind = $2 AND a.version = $3
		WHERE pe.establishment_id = $1 AND p.state = 'active' AND p.service = FALSE
		GROUP BY p.profile`, ref.Establishment, string(ref.Kind), ref.Number)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	counts := map[core.Profile]charter.ProfileStat{}
	for rows.Next() {
		var s charter.ProfileStat
		var pr string
		if err := rows.Scan(&pr, &s.People, &s.Accepted); err != nil {
			return nil, db.classify(op, err)
		}
		s.Profile = core.Profile(pr)
		counts[s.Profile] = s
	}
	if err := rows.Err(); err != nil {
		return nil, db.classify(op, err)
	}
	out := make([]charter.ProfileStat, 0, len(core.Profiles))
	for _, pr := range core.Profiles {
		s := counts[pr]
		s.Profile = pr
		out = append(out, s)
	}
	return out, nil
}
