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

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/monitor"
)

// type check
var _ monitor.Store = (*DB)(nil)

// inList appends vals to args and returns the "$n, $m…" placeholders.
func inList(args []any, vals []string) ([]any, string) {
	ph := make([]string, len(vals))
	for i, v := range vals {
		args = append(args, v)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	return args, strings.Join(ph, ", ")
}

// monChain is the journal chain of an establishment ID ("" the deployment).
func monChain(est string) string {
	if est == "" {
		return journal.DeploymentChain
	}
	return est
}

const targetColumns = `id, establishment_id, name, kind, address, service, interval_s, timeout_s, retries,
	expect_status, expect_body, cert_days, restore_s, enabled, created_at, state, state_since, flapping, last_check,
	last_latency_us, last_error, window_checks, window_failures`

func scanTarget(sc interface{ Scan(...any) error }) (*monitor.Target, error) {
	var t monitor.Target
	var interval, timeout, restore, created, since, last, lat int64
	if err := sc.Scan(&t.ID, &t.Establishment, &t.Name, &t.Kind, &t.Address, &t.Service, &interval, &timeout,
		&t.Retries, &t.ExpectStatus, &t.ExpectBody, &t.CertDays, &restore, &t.Enabled, &created, &t.State, &since,
		&t.Flapping, &last, &lat, &t.LastError, &t.WindowChecks, &t.WindowFailures); err != nil {
		return nil, err
	}
	t.Interval, t.Timeout, t.RestoreTarget = time.Duration(interval)*time.Second, time.Duration(timeout)*time.Second,
		time.Duration(restore)*time.Second
	t.CreatedAt, t.LastLatency = fromMicros(created), time.Duration(lat)*time.Microsecond
	if since != 0 {
		t.StateSince = fromMicros(since)
	}
	if last != 0 {
		t.LastCheck = fromMicros(last)
	}
	return &t, nil
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

func targetArgs(t *monitor.Target) []any {
	return []any{t.ID, t.Establishment, t.Name, string(t.Kind), t.Address, t.Service, secs(t.Interval), secs(t.Timeout),
		t.Retries, t.ExpectStatus, t.ExpectBody, t.CertDays, secs(t.RestoreTarget), t.Enabled, micros(t.CreatedAt)}
}

func targetEntry(action string, t *monitor.Target, attrs ...string) journal.Entry {
	return journal.Entry{Chain: monChain(t.Establishment), Action: action, TargetType: "monitor_target",
		TargetID: t.ID, TargetName: t.Name, Attributes: attrs}
}

// CreateTarget stores a new declared target and journals it.
func (db *DB) CreateTarget(ctx context.Context, t *monitor.Target) error {
	const op = "store.CreateTarget"
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO monitor_targets (id, establishment_id, name, kind, address, service,
			interval_s, timeout_s, retries, expect_status, expect_body, cert_days, restore_s, enabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, targetArgs(t)...); err != nil {
			if core.IsKind(db.classify(op, err), core.Exists) {
				return core.E(op, core.Exists, "a check called %q already exists in this establishment", t.Name)
			}
			return err
		}
		return tx.journal(targetEntry("monitor.target.create", t, string(t.Kind), t.Address))
	})
}

// UpdateTarget changes the declared fields of a target.
func (db *DB) UpdateTarget(ctx context.Context, t *monitor.Target) error {
	const op = "store.UpdateTarget"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE monitor_targets SET name = $2, kind = $3, address = $4, service = $5,
			interval_s = $6, timeout_s = $7, retries = $8, expect_status = $9, expect_body = $10, cert_days = $11,
			restore_s = $12, enabled = $13 WHERE id = $1 AND kind <> 'self'`, t.ID, t.Name, string(t.Kind), t.Address,
			t.Service, secs(t.Interval), secs(t.Timeout), t.Retries, t.ExpectStatus, t.ExpectBody, t.CertDays,
			secs(t.RestoreTarget), t.Enabled)
		if err != nil {
			if core.IsKind(db.classify(op, err), core.Exists) {
				return core.E(op, core.Exists, "a check called %q already exists in this establishment", t.Name)
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.NotFound, "no such check")
		}
		return tx.journal(targetEntry("monitor.target.update", t, string(t.Kind), t.Address))
	})
}

// DeleteTarget deletes a target and its samples.
func (db *DB) DeleteTarget(ctx context.Context, id string) error {
	const op = "store.DeleteTarget"
	return db.write(ctx, op, func(tx *Tx) error {
		t, err := scanTarget(tx.tx.QueryRowContext(tx.ctx, `SELECT `+targetColumns+` FROM monitor_targets WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "no such check")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM monitor_targets WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.journal(targetEntry("monitor.target.delete", t))
	})
}

// EnsureSelfTarget stores a self-check target unless it exists.
func (db *DB) EnsureSelfTarget(ctx context.Context, t *monitor.Target) error {
	return db.write(ctx, "store.EnsureSelfTarget", func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO monitor_targets (id, establishment_id, name, kind, address, service,
			interval_s, timeout_s, retries, expect_status, expect_body, cert_days, restore_s, enabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING`,
			targetArgs(t)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return tx.journal(targetEntry("monitor.target.create", t, "self"))
		}
		// The interval follows the configuration of this start.
		_, err = tx.exec(`UPDATE monitor_targets SET interval_s = $2, timeout_s = $3 WHERE id = $1`,
			t.ID, secs(t.Interval), secs(t.Timeout))
		return err
	})
}

// FindTarget returns one target.
func (db *DB) FindTarget(ctx context.Context, id string) (*monitor.Target, error) {
	t, err := scanTarget(db.readRow(ctx, `SELECT `+targetColumns+` FROM monitor_targets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindTarget", core.NotFound, "no such check")
	}
	return t, db.classify("store.FindTarget", err)
}

// FindTargets lists the targets of ests (nil: all).
func (db *DB) FindTargets(ctx context.Context, ests []string) ([]*monitor.Target, error) {
	const op = "store.FindTargets"
	if ests != nil && len(ests) == 0 {
		return nil, nil
	}
	q := `SELECT ` + targetColumns + ` FROM monitor_targets`
	var args []any
	if ests != nil {
		var ph string
		args, ph = inList(args, ests)
		q += ` WHERE establishment_id IN (` + ph + `)`
	}
	rows, err := db.readRows(ctx, q+` ORDER BY establishment_id, name`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*monitor.Target
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, t)
	}
	return out, db.classify(op, rows.Err())
}

// RecordChecks adds samples to the hourly history and saves target states.
// These are measurements, not changes: no journal entry.
func (db *DB) RecordChecks(ctx context.Context, samples []monitor.Sample, states []*monitor.Target) error {
	return db.write(ctx, "store.RecordChecks", func(tx *Tx) error {
		if len(samples) > 20 {
			tx.bulkMode()
		}
		for _, s := range samples {
			if _, err := tx.exec(`INSERT INTO monitor_samples (target_id, hour, checks, failures, latency_sum_us,
				latency_max_us) SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM monitor_targets WHERE id = $1)
				ON CONFLICT (target_id, hour) DO UPDATE SET checks = monitor_samples.checks + excluded.checks,
				failures = monitor_samples.failures + excluded.failures,
				latency_sum_us = monitor_samples.latency_sum_us + excluded.latency_sum_us,
				latency_max_us = CASE WHEN excluded.latency_max_us > monitor_samples.latency_max_us
					THEN excluded.latency_max_us ELSE monitor_samples.latency_max_us END`,
				s.TargetID, micros(s.Hour), s.Checks, s.Failures, s.LatencySum.Microseconds(),
				s.LatencyMax.Microseconds()); err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE monitor_targets SET window_checks = window_checks + $2,
				window_failures = window_failures + $3 WHERE id = $1`, s.TargetID, s.Checks, s.Failures); err != nil {
				return err
			}
		}
		for _, t := range states {
			if _, err := tx.exec(`UPDATE monitor_targets SET state = $2, state_since = $3, flapping = $4,
				last_check = $5, last_latency_us = $6, last_error = $7 WHERE id = $1`, t.ID, string(t.State),
				zeroMicros(t.StateSince), t.Flapping, zeroMicros(t.LastCheck), t.LastLatency.Microseconds(),
				truncate(t.LastError, 500)); err != nil {
				return err
			}
		}
		return nil
	})
}

func zeroMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// FindSamples returns the hourly samples of the targets of ests from since.
func (db *DB) FindSamples(ctx context.Context, ests []string, since time.Time) ([]monitor.Sample, error) {
	const op = "store.FindSamples"
	if ests != nil && len(ests) == 0 {
		return nil, nil
	}
	args := []any{micros(since)}
	q := `SELECT s.target_id, s.hour, s.checks, s.failures, s.latency_sum_us, s.latency_max_us FROM monitor_samples s`
	if ests != nil {
		var ph string
		args, ph = inList(args, ests)
		q += ` JOIN monitor_targets t ON t.id = s.target_id WHERE s.hour >= $1 AND t.establishment_id IN (` + ph + `)`
	} else {
		q += ` WHERE s.hour >= $1`
	}
	rows, err := db.readRows(ctx, q+` ORDER BY s.target_id, s.hour`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []monitor.Sample
	for rows.Next() {
		var s monitor.Sample
		var hour, sum, mx int64
		if err := rows.Scan(&s.TargetID, &hour, &s.Checks, &s.Failures, &sum, &mx); err != nil {
			return nil, db.classify(op, err)
		}
		s.Hour, s.LatencySum, s.LatencyMax = fromMicros(hour), time.Duration(sum)*time.Microsecond, time.Duration(mx)*time.Microsecond
		out = append(out, s)
	}
	return out, db.classify(op, rows.Err())
}

// SumSamples sums the samples of each target of ests from since on.
func (db *DB) SumSamples(ctx context.Context, ests []string, since time.Time) ([]monitor.Sample, error) {
	const op = "store.SumSamples"
	if ests != nil && len(ests) == 0 {
		return nil, nil
	}
	args := []any{micros(since)}
	q := `SELECT s.target_id, SUM(s.checks), SUM(s.failures), SUM(s.latency_sum_us), MAX(s.latency_max_us)
		FROM monitor_samples s`
	if ests != nil {
		var ph string
		args, ph = inList(args, ests)
		q += ` JOIN monitor_targets t ON t.id = s.target_id WHERE s.hour >= $1 AND t.establishment_id IN (` + ph + `)`
	} else {
		q += ` WHERE s.hour >= $1`
	}
	rows, err := db.readRows(ctx, q+` GROUP BY s.target_id ORDER BY s.target_id`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []monitor.Sample
	for rows.Next() {
		s := monitor.Sample{Hour: since}
		var sum, mx int64
		if err := rows.Scan(&s.TargetID, &s.Checks, &s.Failures, &sum, &mx); err != nil {
			return nil, db.classify(op, err)
		}
		s.LatencySum, s.LatencyMax = time.Duration(sum)*time.Microsecond, time.Duration(mx)*time.Microsecond
		out = append(out, s)
	}
	return out, db.classify(op, rows.Err())
}

// RecomputeWindows sets each target's window counts to the sums of its
// samples from since on (daily: the days leaving the window drop out).
func (db *DB) RecomputeWindows(ctx context.Context, since time.Time) error {
	return db.write(ctx, "store.RecomputeWindows", func(tx *Tx) error {
		_, err := tx.exec(`UPDATE monitor_targets SET
			window_checks = COALESCE((SELECT SUM(s.checks) FROM monitor_samples s WHERE s.target_id = monitor_targets.id AND s.hour >= $1), 0),
			window_failures = COALESCE((SELECT SUM(s.failures) FROM monitor_samples s WHERE s.target_id = monitor_targets.id AND s.hour >= $1), 0)`,
			micros(since))
		return err
	})
}

// usPerDay is a day in microseconds: days start at multiples of it (UTC).
const usPerDay = 86_400_000_000

// DownsampleSamples merges the hourly samples before before (rounded down
// to a day) into one row per target and day, kept at the day's first hour:
// the history of a target costs 24 rows for its last days and one a day
// before (MCO-SEI-1: bounded storage). Measurements, not journaled.
func (db *DB) DownsampleSamples(ctx context.Context, before time.Time) (int64, error) {
	cut := micros(before) / usPerDay * usPerDay
	var n int64
	err := db.write(ctx, "store.DownsampleSamples", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO monitor_samples (target_id, hour, checks, failures, latency_sum_us, latency_max_us)
			SELECT target_id, hour / 86400000000 * 86400000000, SUM(checks), SUM(failures), SUM(latency_sum_us),
				MAX(latency_max_us) FROM monitor_samples WHERE hour < $1
			GROUP BY target_id, hour / 86400000000 * 86400000000
			ON CONFLICT (target_id, hour) DO UPDATE SET checks = excluded.checks, failures = excluded.failures,
				latency_sum_us = excluded.latency_sum_us, latency_max_us = excluded.latency_max_us`, cut); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM monitor_samples WHERE hour < $1 AND hour % 86400000000 <> 0`, cut)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// PurgeSamples deletes samples older than before (retention of the
// history; measurements, not journaled).
func (db *DB) PurgeSamples(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, "store.PurgeSamples", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM monitor_samples WHERE hour < $1`, micros(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

const incidentColumns = `id, establishment_id, target_id, title, service, state, auto, opened_at, acknowledged_at,
	resolved_at, restore_s`

func scanIncident(sc interface{ Scan(...any) error }) (*monitor.Incident, error) {
	var i monitor.Incident
	var opened, restore int64
	var ack, res sql.NullInt64
	if err := sc.Scan(&i.ID, &i.Establishment, &i.TargetID, &i.Title, &i.Service, &i.State, &i.Auto, &opened, &ack,
		&res, &restore); err != nil {
		return nil, err
	}
	i.OpenedAt, i.AcknowledgedAt, i.ResolvedAt = fromMicros(opened), fromNullMicros(ack), fromNullMicros(res)
	i.RestoreTarget = time.Duration(restore) * time.Second
	return &i, nil
}

func incidentEntry(action string, i *monitor.Incident) journal.Entry {
	return journal.Entry{Chain: monChain(i.Establishment), Action: action, TargetType: "monitor_incident",
		TargetID: i.ID, TargetName: truncate(i.Title, 100)}
}

func (tx *Tx) incidentEvent(id string, ev monitor.IncidentEvent) error {
	_, err := tx.exec(`INSERT INTO monitor_incident_events (incident_id, seq, at, kind, actor_login, text)
		SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM monitor_incident_events WHERE incident_id = $1`,
		id, micros(ev.At), string(ev.Kind), ev.Actor, truncate(ev.Text, 4000))
	return err
}

// OpenIncident stores a new incident and its first event.
func (db *DB) OpenIncident(ctx context.Context, i *monitor.Incident, first monitor.IncidentEvent) error {
	const op = "store.OpenIncident"
	return db.write(ctx, op, func(tx *Tx) error {
		if i.TargetID != "" {
			var n int
			if err := tx.tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM monitor_incidents WHERE target_id = $1
				AND state <> 'resolved'`, i.TargetID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return core.E(op, core.Exists, "this check already has an unresolved incident")
			}
		}
		if _, err := tx.exec(`INSERT INTO monitor_incidents (`+incidentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7,
			$8, $9, $10, $11)`, i.ID, i.Establishment, i.TargetID, i.Title, i.Service, string(i.State), i.Auto,
			micros(i.OpenedAt), nullMicros(i.AcknowledgedAt), nullMicros(i.ResolvedAt), secs(i.RestoreTarget)); err != nil {
			return err
		}
		if err := tx.incidentEvent(i.ID, first); err != nil {
			return err
		}
		return tx.journal(incidentEntry("monitor.incident.open", i))
	})
}

// AddIncidentEvent appends ev and moves the incident to state to.
func (db *DB) AddIncidentEvent(ctx context.Context, id string, ev monitor.IncidentEvent, to monitor.IncidentState) (*monitor.Incident, error) {
	const op = "store.AddIncidentEvent"
	var out *monitor.Incident
	err := db.write(ctx, op, func(tx *Tx) error {
		i, err := scanIncident(tx.tx.QueryRowContext(tx.ctx, `SELECT `+incidentColumns+` FROM monitor_incidents WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "no such incident")
		}
		if err != nil {
			return err
		}
		if to != "" {
			if i.State == monitor.Resolved {
				return core.E(op, core.Conflict, "the incident is already resolved")
			}
			switch to {
			case monitor.Acknowledged:
				i.AcknowledgedAt = tx.now
			case monitor.Resolved:
				i.ResolvedAt = tx.now
			}
			i.State = to
			if _, err := tx.exec(`UPDATE monitor_incidents SET state = $2, acknowledged_at = $3, resolved_at = $4
				WHERE id = $1`, id, string(i.State), nullMicros(i.AcknowledgedAt), nullMicros(i.ResolvedAt)); err != nil {
				return err
			}
		}
		if err := tx.incidentEvent(id, ev); err != nil {
			return err
		}
		out = i
		return tx.journal(incidentEntry("monitor.incident."+string(ev.Kind), i))
	})
	return out, err
}

// FindIncident returns an incident with its timeline.
func (db *DB) FindIncident(ctx context.Context, id string) (*monitor.Incident, error) {
	const op = "store.FindIncident"
	i, err := scanIncident(db.readRow(ctx, `SELECT `+incidentColumns+` FROM monitor_incidents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "no such incident")
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	rows, err := db.readRows(ctx, `SELECT at, kind, actor_login, text FROM monitor_incident_events
		WHERE incident_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev monitor.IncidentEvent
		var at int64
		if err := rows.Scan(&at, &ev.Kind, &ev.Actor, &ev.Text); err != nil {
			return nil, db.classify(op, err)
		}
		ev.At = fromMicros(at)
		i.Events = append(i.Events, ev)
	}
	return i, db.classify(op, rows.Err())
}

// FindIncidents lists incidents, newest first.
func (db *DB) FindIncidents(ctx context.Context, f monitor.IncidentFilter) ([]*monitor.Incident, error) {
	const op = "store.FindIncidents"
	if f.Establishments != nil && len(f.Establishments) == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	if f.Establishments != nil {
		var ph string
		args, ph = inList(args, f.Establishments)
		where = append(where, `establishment_id IN (`+ph+`)`)
	}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, s := range f.States {
			st[i] = string(s)
		}
		var ph string
		args, ph = inList(args, st)
		where = append(where, `state IN (`+ph+`)`)
	}
	if f.TargetID != "" {
		args = append(args, f.TargetID)
		where = append(where, fmt.Sprintf(`target_id = $%d`, len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, micros(f.Since))
		where = append(where, fmt.Sprintf(`opened_at >= $%d`, len(args)))
	}
	q := `SELECT ` + incidentColumns + ` FROM monitor_incidents`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.readRows(ctx, q+fmt.Sprintf(` ORDER BY opened_at DESC, id LIMIT %d`, limit), args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*monitor.Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, i)
	}
	return out, db.classify(op, rows.Err())
}

const requestColumns = `id, establishment_id, requester_id, requester_login, requester_name, category, device, subject,
	description, state, assignee_id, assignee_login, created_at, updated_at, resolved_at, attachment_name,
	attachment_type`

func scanRequest(sc interface{ Scan(...any) error }) (*monitor.Request, error) {
	var r monitor.Request
	var created, updated int64
	var resolved sql.NullInt64
	var an, at string
	if err := sc.Scan(&r.ID, &r.Establishment, &r.RequesterID, &r.RequesterLogin, &r.RequesterName, &r.Category,
		&r.Device, &r.Subject, &r.Description, &r.State, &r.AssigneeID, &r.AssigneeLogin, &created, &updated,
		&resolved, &an, &at); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt, r.ResolvedAt = fromMicros(created), fromMicros(updated), fromNullMicros(resolved)
	if an != "" {
		r.Attachment = &monitor.Attachment{Name: an, Type: at}
	}
	return &r, nil
}

func requestEntry(action string, r *monitor.Request) journal.Entry {
	return journal.Entry{Chain: r.Establishment, Action: action, TargetType: "monitor_request", TargetID: r.ID,
		TargetName: r.RequesterLogin}
}

func (tx *Tx) requestEvent(id string, ev monitor.RequestEvent) error {
	_, err := tx.exec(`INSERT INTO monitor_request_events (request_id, seq, at, kind, actor_id, actor_login,
		actor_name, text) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM monitor_request_events
		WHERE request_id = $1`, id, micros(ev.At), string(ev.Kind), ev.ActorID, ev.ActorLogin, ev.ActorName, ev.Text)
	return err
}

// CreateRequest stores a new request with its "filed" event.
func (db *DB) CreateRequest(ctx context.Context, r *monitor.Request) error {
	return db.write(ctx, "store.CreateRequest", func(tx *Tx) error {
		var an, at string
		var content []byte
		if a := r.Attachment; a != nil {
			an, at, content = a.Name, a.Type, a.Content
		}
		if _, err := tx.exec(`INSERT INTO monitor_requests (`+requestColumns+`, attachment) VALUES ($1, $2, $3, $4,
			$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`, r.ID, r.Establishment, r.RequesterID,
			r.RequesterLogin, r.RequesterName, string(r.Category), r.Device, r.Subject, r.Description, string(r.State),
			r.AssigneeID, r.AssigneeLogin, micros(r.CreatedAt), micros(r.UpdatedAt), nullMicros(r.ResolvedAt), an, at,
			content); err != nil {
			return err
		}
		if err := tx.requestEvent(r.ID, monitor.RequestEvent{At: r.CreatedAt, Kind: monitor.EvFiled,
			ActorID: r.RequesterID, ActorLogin: r.RequesterLogin, ActorName: r.RequesterName}); err != nil {
			return err
		}
		return tx.journal(requestEntry("monitor.request.file", r))
	})
}

// UpdateRequest appends ev and applies upd.
func (db *DB) UpdateRequest(ctx context.Context, id string, upd monitor.RequestUpdate, ev monitor.RequestEvent) (*monitor.Request, error) {
	const op = "store.UpdateRequest"
	var out *monitor.Request
	err := db.write(ctx, op, func(tx *Tx) error {
		r, err := scanRequest(tx.tx.QueryRowContext(tx.ctx, `SELECT `+requestColumns+` FROM monitor_requests WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return core.E(op, core.NotFound, "no such request")
		}
		if err != nil {
			return err
		}
		if upd.From != nil {
			ok := false
			for _, s := range upd.From {
				ok = ok || s == r.State
			}
			if !ok {
				return core.E(op, core.Conflict, "the request is %s: this cannot be done now", r.State)
			}
		}
		if upd.State != nil {
			r.State = *upd.State
			if r.State == monitor.ReqResolved {
				r.ResolvedAt = tx.now
			} else {
				r.ResolvedAt = time.Time{}
			}
		}
		if upd.Assignee != nil {
			r.AssigneeID, r.AssigneeLogin = upd.Assignee.ID, upd.Assignee.Login
		}
		r.UpdatedAt = tx.now
		if _, err := tx.exec(`UPDATE monitor_requests SET state = $2, assignee_id = $3, assignee_login = $4,
			updated_at = $5, resolved_at = $6 WHERE id = $1`, id, string(r.State), r.AssigneeID, r.AssigneeLogin,
			micros(r.UpdatedAt), nullMicros(r.ResolvedAt)); err != nil {
			return err
		}
		if err := tx.requestEvent(id, ev); err != nil {
			return err
		}
		out = r
		return tx.journal(requestEntry("monitor.request."+string(ev.Kind), r))
	})
	return out, err
}

// FindRequest returns a request with its timeline.
func (db *DB) FindRequest(ctx context.Context, id string) (*monitor.Request, error) {
	const op = "store.FindRequest"
	r, err := scanRequest(db.readRow(ctx, `SELECT `+requestColumns+` FROM monitor_requests WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "no such request")
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	rows, err := db.readRows(ctx, `SELECT at, kind, actor_id, actor_login, actor_name, text FROM monitor_request_events
		WHERE request_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev monitor.RequestEvent
		var at int64
		if err := rows.Scan(&at, &ev.Kind, &ev.ActorID, &ev.ActorLogin, &ev.ActorName, &ev.Text); err != nil {
			return nil, db.classify(op, err)
		}
		ev.At = fromMicros(at)
		r.Events = append(r.Events, ev)
	}
	return r, db.classify(op, rows.Err())
}

// FindAttachment returns a request's attachment.
func (db *DB) FindAttachment(ctx context.Context, id string) (*monitor.Attachment, error) {
	var a monitor.Attachment
	err := db.readRow(ctx, `SELECT attachment_name, attachment_type, attachment FROM monitor_requests WHERE id = $1`,
		id).Scan(&a.Name, &a.Type, &a.Content)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && a.Name == "") {
		return nil, core.E("store.FindAttachment", core.NotFound, "no attachment")
	}
	return &a, db.classify("store.FindAttachment", err)
}

// FindRequests lists requests, newest first.
func (db *DB) FindRequests(ctx context.Context, f monitor.RequestFilter) ([]*monitor.Request, error) {
	const op = "store.FindRequests"
	if f.Establishments != nil && len(f.Establishments) == 0 {
		return nil, nil
	}
	var where []string
	var args []any
	if f.Establishments != nil {
		var ph string
		args, ph = inList(args, f.Establishments)
		where = append(where, `establishment_id IN (`+ph+`)`)
	}
	if f.RequesterID != "" {
		args = append(args, f.RequesterID)
		where = append(where, fmt.Sprintf(`requester_id = $%d`, len(args)))
	}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, s := range f.States {
			st[i] = string(s)
		}
		var ph string
		args, ph = inList(args, st)
		where = append(where, `state IN (`+ph+`)`)
	}
	q := `SELECT ` + requestColumns + ` FROM monitor_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	rows, err := db.readRows(ctx, q+fmt.Sprintf(` ORDER BY created_at DESC, id LIMIT %d`, limit), args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*monitor.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, r)
	}
	return out, db.classify(op, rows.Err())
}

// RequestStats counts requests by establishment, category and state.
func (db *DB) RequestStats(ctx context.Context, ests []string, since time.Time) ([]monitor.RequestCount, error) {
	const op = "store.RequestStats"
	if ests != nil && len(ests) == 0 {
		return nil, nil
	}
	args := []any{micros(since)}
	q := `SELECT establishment_id, category, state, COUNT(*), COUNT(resolved_at),
		COALESCE(SUM(resolved_at - created_at), 0) FROM monitor_requests WHERE created_at >= $1`
	if ests != nil {
		var ph string
		args, ph = inList(args, ests)
		q += ` AND establishment_id IN (` + ph + `)`
	}
	rows, err := db.readRows(ctx, q+` GROUP BY establishment_id, category, state ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []monitor.RequestCount
	for rows.Next() {
		var c monitor.RequestCount
		var sum int64
		if err := rows.Scan(&c.Establishment, &c.Category, &c.State, &c.N, &c.ResolvedN, &sum); err != nil {
			return nil, db.classify(op, err)
		}
		c.DelaySum = time.Duration(sum) * time.Microsecond
		out = append(out, c)
	}
	return out, db.classify(op, rows.Err())
}

// AcquireLease takes or renews a lease: the row is written only when it is
// free, expired or already the holder's, in one statement, so two nodes
// never both hold it.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var ok bool
	err := db.write(ctx, "store.AcquireLease", func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO monitor_leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE monitor_leases.holder = excluded.holder OR monitor_leases.expires_at < $4`,
			name, holder, micros(tx.now.Add(ttl)), micros(tx.now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}
