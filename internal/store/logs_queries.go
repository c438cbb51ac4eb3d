// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
)

// Saved log queries, scheduled reports and the scheduled archive
// (MCO-JAL-5, MCO-JAL-3; migration 0025_logs_queries).

var _ logs.ScheduleStore = (*DB)(nil)

const logQueryCols = `id, establishment_id, name, purpose, criteria, audience, justification, schedule, keep_days,
	next_run, not_before, last_run, last_result, last_detail, created_by, created_at, updated_at`

func scanLogQuery(sc interface{ Scan(...any) error }) (*logs.SavedQuery, error) {
	var q logs.SavedQuery
	var crit, aud, just, sched string
	var next, notBefore, last, created, updated int64
	if err := sc.Scan(&q.ID, &q.Establishment, &q.Name, &q.Purpose, &crit, &aud, &just, &sched, &q.KeepDays,
		&next, &notBefore, &last, &q.LastResult, &q.LastDetail, &q.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(crit), &q.Criteria)
	_ = json.Unmarshal([]byte(aud), &q.Audience)
	q.Justification, _ = logs.ParseJustification(just)
	q.Schedule = logs.Cadence(sched)
	q.NextRun, q.NotBefore, q.LastRun = optMicros(next), optMicros(notBefore), optMicros(last)
	q.CreatedAt, q.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &q, nil
}

// optMicros reads a time stored as µs, 0 meaning none.
func optMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func optToMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// LogQueries lists every saved query, by establishment and name. Callers
// filter what a person may see (SavedQuery.MayRun).
func (db *DB) LogQueries(ctx context.Context) ([]*logs.SavedQuery, error) {
	const op = "store.LogQueries"
	rows, err := db.r.QueryContext(ctx, `SELECT `+logQueryCols+` FROM logs_queries ORDER BY establishment_id, name`)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*logs.SavedQuery
	for rows.Next() {
		q, err := scanLogQuery(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, q)
	}
	return out, db.classify(op, rows.Err())
}

// LogQuery returns one saved query (core.NotFound when there is none).
func (db *DB) LogQuery(ctx context.Context, id string) (*logs.SavedQuery, error) {
	q, err := scanLogQuery(db.r.QueryRowContext(ctx, `SELECT `+logQueryCols+` FROM logs_queries WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, core.E("store.LogQuery", core.NotFound, "no saved log query %q", id)
	}
	return q, db.classify("store.LogQuery", err)
}

func queryChain(est string) string {
	if est == logs.DeploymentScope {
		return ""
	}
	return est
}

// describeQuery is a saved query in words for the journal.
func describeQuery(q *logs.SavedQuery) string {
	s := fmt.Sprintf("purpose=%q audience=%q criteria=%q", q.Purpose, q.Audience.String(),
		q.Criteria.Query(nil, time.Time{}, time.Time{}).Summary())
	if q.Criteria.Window != "" {
		s += " window=" + q.Criteria.Window
	}
	if q.Justification.Basis != "" {
		s += " justification=" + q.Justification.String()
	}
	if q.Schedule != logs.Never {
		s += fmt.Sprintf(" schedule=%s keep=%dd", q.Schedule, q.KeepDays)
	}
	return s
}

// SaveLogQuery creates (empty ID) or changes a saved query, journaled
// (logs.query.create, logs.query.update) with its purpose, audience,
// criteria and schedule. q.NextRun is the first due time of a new or
// changed schedule; an unchanged schedule keeps its next run. A name
// already used in the establishment is a core.Conflict.
func (db *DB) SaveLogQuery(ctx context.Context, q *logs.SavedQuery) error {
	const op = "store.SaveLogQuery"
	if err := q.Validate(); err != nil {
		return err
	}
	crit, _ := json.Marshal(q.Criteria)
	aud, _ := json.Marshal(q.Audience)
	if q.Schedule == logs.Never {
		q.NextRun = time.Time{}
	}
	return db.write(ctx, op, func(tx *Tx) error {
		action := "logs.query.update"
		if q.ID == "" {
			q.ID, q.CreatedBy, q.CreatedAt, action = core.NewID(), tx.p.Login, tx.now, "logs.query.create"
		} else {
			var sched, est string
			var next int64
			err := tx.queryRow(`SELECT schedule, next_run, establishment_id FROM logs_queries WHERE id = $1`, q.ID).Scan(&sched, &next, &est)
			if err == sql.ErrNoRows {
				return core.E(op, core.NotFound, "no saved log query %q", q.ID)
			} else if err != nil {
				return err
			}
			if est != q.Establishment {
				return core.E(op, core.Invalid, "a saved query keeps its establishment: save a new one")
			}
			if sched == string(q.Schedule) && next != 0 {
				q.NextRun = fromMicros(next)
			}
		}
		q.UpdatedAt = tx.now
		_, err := tx.exec(`INSERT INTO logs_queries (id, establishment_id, name, purpose, criteria, audience, justification,
			schedule, keep_days, next_run, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, purpose = excluded.purpose, criteria = excluded.criteria,
			audience = excluded.audience, justification = excluded.justification, schedule = excluded.schedule,
			keep_days = excluded.keep_days, next_run = excluded.next_run, not_before = 0, updated_at = excluded.updated_at`,
			q.ID, q.Establishment, q.Name, q.Purpose, string(crit), string(aud), q.Justification.String(), string(q.Schedule),
			q.KeepDays, optToMicros(q.NextRun), q.CreatedBy, micros(q.CreatedAt), micros(tx.now))
		if err != nil {
			if strings.Contains(strings.ToLower(err.Error()), "unique") {
				return core.E(op, core.Conflict, "a saved log query named %q already exists in this establishment", q.Name)
			}
			return err
		}
		return tx.journal(journal.Entry{Chain: queryChain(q.Establishment), Action: action, TargetType: "log_query",
			TargetID: q.ID, TargetName: q.Name, Reason: truncate(describeQuery(q), 1000)})
	})
}

// DeleteLogQuery deletes a saved query and its reports' records, journaled
// (logs.query.delete); it returns the blob keys of the reports' CSVs, for
// the caller to delete.
func (db *DB) DeleteLogQuery(ctx context.Context, id string) ([]string, error) {
	const op = "store.DeleteLogQuery"
	var keys []string
	err := db.write(ctx, op, func(tx *Tx) error {
		var name, est string
		err := tx.queryRow(`SELECT name, establishment_id FROM logs_queries WHERE id = $1`, id).Scan(&name, &est)
		if err == sql.ErrNoRows {
			return core.E(op, core.NotFound, "no saved log query %q", id)
		} else if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT blob_key FROM logs_reports WHERE query_id = $1`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if _, err := tx.exec(`DELETE FROM logs_reports WHERE query_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM logs_queries WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: queryChain(est), Action: "logs.query.delete", TargetType: "log_query",
			TargetID: id, TargetName: name, Reason: fmt.Sprintf("%d reports deleted", len(keys))})
	})
	return keys, err
}

const logReportCols = `id, query_id, query_name, establishment_id, period_start, period_end, created_at, expires_at, blob_key, bytes, summary`

func scanLogReport(sc interface{ Scan(...any) error }) (*logs.QueryReport, error) {
	var r logs.QueryReport
	var since, until, created, expires int64
	var sum string
	if err := sc.Scan(&r.ID, &r.QueryID, &r.QueryName, &r.Establishment, &since, &until, &created, &expires, &r.Key, &r.Bytes, &sum); err != nil {
		return nil, err
	}
	r.Since, r.Until, r.Created, r.Expires = fromMicros(since), fromMicros(until), fromMicros(created), fromMicros(expires)
	_ = json.Unmarshal([]byte(sum), &r.Summary)
	return &r, nil
}

func (db *DB) logReports(ctx context.Context, op, where string, args ...any) ([]*logs.QueryReport, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+logReportCols+` FROM logs_reports `+where, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*logs.QueryReport
	for rows.Next() {
		r, err := scanLogReport(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, r)
	}
	return out, db.classify(op, rows.Err())
}

// LogReports lists a saved query's reports, newest first.
func (db *DB) LogReports(ctx context.Context, queryID string, limit int) ([]*logs.QueryReport, error) {
	if limit <= 0 {
		limit = 100
	}
	return db.logReports(ctx, "store.LogReports", `WHERE query_id = $1 ORDER BY created_at DESC, id LIMIT $2`, queryID, limit)
}

// LogReport returns one report (core.NotFound when there is none).
func (db *DB) LogReport(ctx context.Context, id string) (*logs.QueryReport, error) {
	rs, err := db.logReports(ctx, "store.LogReport", `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, core.E("store.LogReport", core.NotFound, "no log report %q", id)
	}
	return rs[0], nil
}

// ExpiredLogReports lists the reports past their retention.
func (db *DB) ExpiredLogReports(ctx context.Context, now time.Time) ([]*logs.QueryReport, error) {
	return db.logReports(ctx, "store.ExpiredLogReports", `WHERE expires_at <= $1 ORDER BY expires_at LIMIT 500`, micros(now))
}

// RecordLogReport stores a scheduled report and moves its query's next run
// from due to next, journaled (logs.report.create) in the same
// transaction. It stores nothing and reports false when the query's next
// run is no longer due: another node recorded this period, or the query
// was changed or deleted meanwhile.
func (db *DB) RecordLogReport(ctx context.Context, rep *logs.QueryReport, due, next time.Time) (bool, error) {
	var ok bool
	sum, _ := json.Marshal(rep.Summary)
	err := db.write(ctx, "store.RecordLogReport", func(tx *Tx) error {
		detail := fmt.Sprintf("%d records, %d bytes", rep.Summary.Records, rep.Bytes)
		res, err := tx.exec(`UPDATE logs_queries SET next_run = $1, not_before = 0, last_run = $2, last_result = 'ok', last_detail = $3
			WHERE id = $4 AND next_run = $5`, micros(next), micros(tx.now), detail, rep.QueryID, micros(due))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		ok = true
		if _, err := tx.exec(`INSERT INTO logs_reports (`+logReportCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			rep.ID, rep.QueryID, rep.QueryName, rep.Establishment, micros(rep.Since), micros(rep.Until), micros(rep.Created),
			micros(rep.Expires), rep.Key, rep.Bytes, string(sum)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: queryChain(rep.Establishment), Action: "logs.report.create", TargetType: "log_report",
			TargetID: rep.ID, TargetName: rep.QueryName, Reason: fmt.Sprintf("period %s/%s, %s, kept until %s",
				rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339), detail, rep.Expires.Format("2006-01-02"))})
	})
	return ok && err == nil, err
}

// FailLogReport records a failed scheduled run (retried from notBefore),
// journaled as failed with the reason.
func (db *DB) FailLogReport(ctx context.Context, queryID string, due, notBefore time.Time, detail string) error {
	return db.write(ctx, "store.FailLogReport", func(tx *Tx) error {
		var name, est string
		err := tx.queryRow(`SELECT name, establishment_id FROM logs_queries WHERE id = $1 AND next_run = $2`, queryID, micros(due)).Scan(&name, &est)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE logs_queries SET not_before = $1, last_run = $2, last_result = 'failed', last_detail = $3
			WHERE id = $4`, micros(notBefore), micros(tx.now), truncate(detail, 500), queryID); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: queryChain(est), Action: "logs.report.create", TargetType: "log_query",
			TargetID: queryID, TargetName: name, Result: journal.Failed, Reason: truncate(detail, 1000)})
	})
}

// DeleteLogReport forgets a report past its retention (its CSV already
// deleted), journaled (logs.report.purge).
func (db *DB) DeleteLogReport(ctx context.Context, id string) error {
	return db.write(ctx, "store.DeleteLogReport", func(tx *Tx) error {
		var name, est string
		var expires int64
		err := tx.queryRow(`SELECT query_name, establishment_id, expires_at FROM logs_reports WHERE id = $1`, id).Scan(&name, &est, &expires)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM logs_reports WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: queryChain(est), Action: "logs.report.purge", TargetType: "log_report",
			TargetID: id, TargetName: name, Reason: "retention ended " + fromMicros(expires).Format("2006-01-02")})
	})
}

// JournalLogReportDownload journals that a report was downloaded; the CSV
// must not be sent if this fails.
func (db *DB) JournalLogReportDownload(ctx context.Context, rep *logs.QueryReport) error {
	return db.write(ctx, "store.JournalLogReportDownload", func(tx *Tx) error {
		return tx.journal(journal.Entry{Chain: queryChain(rep.Establishment), Action: "logs.report.download", TargetType: "log_report",
			TargetID: rep.ID, TargetName: rep.QueryName, Reason: fmt.Sprintf("period %s/%s, %d records",
				rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339), rep.Summary.Records)})
	})
}

// LogArchiveSchedule returns the scheduled archive (core.NotFound: none).
func (db *DB) LogArchiveSchedule(ctx context.Context) (*logs.ArchiveSchedule, error) {
	var a logs.ArchiveSchedule
	var cad, rec string
	var next, notBefore, last, updated int64
	err := db.r.QueryRowContext(ctx, `SELECT cadence, target, recipients, next_run, not_before, last_run, last_result, last_detail,
		updated_by, updated_at FROM logs_archive_schedule WHERE id = 'archive'`).Scan(&cad, &a.Target, &rec, &next, &notBefore, &last,
		&a.LastResult, &a.LastDetail, &a.UpdatedBy, &updated)
	if err == sql.ErrNoRows {
		return nil, core.E("store.LogArchiveSchedule", core.NotFound, "no scheduled log archive")
	} else if err != nil {
		return nil, db.classify("store.LogArchiveSchedule", err)
	}
	a.Cadence = logs.Cadence(cad)
	_ = json.Unmarshal([]byte(rec), &a.Recipients)
	a.NextRun, a.NotBefore, a.LastRun, a.UpdatedAt = optMicros(next), optMicros(notBefore), optMicros(last), fromMicros(updated)
	return &a, nil
}

// SetLogArchiveSchedule sets (or, with cadence Never, stops) the scheduled
// archive, journaled (logs.archive.schedule). a.NextRun is the first due
// time; an unchanged cadence keeps its next run. The last result stays.
func (db *DB) SetLogArchiveSchedule(ctx context.Context, a *logs.ArchiveSchedule) error {
	const op = "store.SetLogArchiveSchedule"
	if a.Cadence != logs.Never && strings.TrimSpace(a.Target) == "" {
		return core.E(op, core.Invalid, "a scheduled archive needs a target: a folder or s3://bucket/prefix")
	}
	if _, err := logs.ParseRecipients(a.Recipients); err != nil {
		return err
	}
	rec := jsonList(a.Recipients)
	if len(a.Recipients) == 0 {
		rec = "[]"
	}
	return db.write(ctx, op, func(tx *Tx) error {
		var cad string
		var next int64
		err := tx.queryRow(`SELECT cadence, next_run FROM logs_archive_schedule WHERE id = 'archive'`).Scan(&cad, &next)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if err == nil && cad == string(a.Cadence) && next != 0 {
			a.NextRun = fromMicros(next)
		}
		if a.Cadence == logs.Never {
			a.NextRun = time.Time{}
		}
		if _, err := tx.exec(`INSERT INTO logs_archive_schedule (id, cadence, target, recipients, next_run, updated_by, updated_at)
			VALUES ('archive', $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET cadence = excluded.cadence, target = excluded.target,
			recipients = excluded.recipients, next_run = excluded.next_run, not_before = 0, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`, string(a.Cadence), a.Target, rec, optToMicros(a.NextRun), tx.p.Login, micros(tx.now)); err != nil {
			return err
		}
		reason := "off"
		if a.Cadence != logs.Never {
			reason = fmt.Sprintf("%s to %s, %d recipients, next %s", a.Cadence, redactURL(a.Target), len(a.Recipients),
				a.NextRun.Format(time.RFC3339))
		}
		return tx.journal(journal.Entry{Action: "logs.archive.schedule", TargetType: "logs", TargetName: "archive", Reason: reason})
	})
}

func redactURL(t string) string {
	t, _, _ = strings.Cut(t, "?")
	return t
}

// RecordLogArchive records a scheduled archive written, moving the next
// run from due to next, journaled (logs.archive) in the same transaction;
// false when it was no longer due (another node made it).
func (db *DB) RecordLogArchive(ctx context.Context, due, next time.Time, object string, records int64) (bool, error) {
	var ok bool
	err := db.write(ctx, "store.RecordLogArchive", func(tx *Tx) error {
		var target, rec string
		if err := tx.queryRow(`SELECT target, recipients FROM logs_archive_schedule WHERE id = 'archive'`).Scan(&target, &rec); err != nil {
			if err == sql.ErrNoRows {
				return nil
			}
			return err
		}
		detail := fmt.Sprintf("%s, %d records", object, records)
		res, err := tx.exec(`UPDATE logs_archive_schedule SET next_run = $1, not_before = 0, last_run = $2, last_result = 'ok',
			last_detail = $3 WHERE id = 'archive' AND next_run = $4`, micros(next), micros(tx.now), detail, micros(due))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		ok = true
		format := "tar, scheduled"
		if rec != "[]" && rec != "" && rec != "null" {
			format = "tar, age, scheduled"
		}
		return tx.journal(journal.Entry{Action: "logs.archive", TargetType: "logs", TargetName: redactURL(target) + "/" + object,
			Reason: fmt.Sprintf("format=%s records=%d", format, records)})
	})
	return ok && err == nil, err
}

// FailLogArchive records a failed scheduled archive (retried from
// notBefore), journaled as failed with the reason.
func (db *DB) FailLogArchive(ctx context.Context, due, notBefore time.Time, detail string) error {
	return db.write(ctx, "store.FailLogArchive", func(tx *Tx) error {
		var target string
		err := tx.queryRow(`SELECT target FROM logs_archive_schedule WHERE id = 'archive' AND next_run = $1`, micros(due)).Scan(&target)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE logs_archive_schedule SET not_before = $1, last_run = $2, last_result = 'failed', last_detail = $3
			WHERE id = 'archive'`, micros(notBefore), micros(tx.now), truncate(detail, 500)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Action: "logs.archive", TargetType: "logs", TargetName: redactURL(target),
			Result: journal.Failed, Reason: truncate(detail, 1000)})
	})
}
