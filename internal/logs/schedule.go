// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// ArchiveSchedule is the deployment's scheduled archive (MCO-JAL-3): every
// period, an archive of the previous one (`preau logs archive`'s tar of
// sealed segments with its signed index, encrypted for the recipients when
// there are any) written to Target, a folder (a mounted removable disk, a
// NAS) or an S3 bucket (s3://bucket/prefix?endpoint=…).
type ArchiveSchedule struct {
	Cadence    Cadence
	Target     string
	Recipients []string // age recipients (age1…)
	NextRun    time.Time
	NotBefore  time.Time // a failed run is retried from then
	LastRun    time.Time
	LastResult string // "", "ok", "failed"
	LastDetail string // the object written, or the reason of the failure
	UpdatedBy  string
	UpdatedAt  time.Time
}

// ParseRecipients reads age recipients (age1…).
func ParseRecipients(rs []string) ([]age.Recipient, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	out, err := age.ParseRecipients(strings.NewReader(strings.Join(rs, "\n")))
	if err != nil {
		return nil, core.E("logs.ParseRecipients", core.Invalid, "not an age recipient (age1…): %v", err)
	}
	return out, nil
}

// ArchiveName is the object name of the archive of the period starting at
// since: preau-logs-2026-11.tar (.tar.age when encrypted).
func (a *ArchiveSchedule) ArchiveName(since time.Time, loc *time.Location) string {
	n := "preau-logs-" + a.Cadence.Label(since, loc) + ".tar"
	if len(a.Recipients) > 0 {
		n += ".age"
	}
	return n
}

// ScheduleStore keeps the schedules, their runs and the reports; the SQL
// store implements it, each change journaled in its transaction.
type ScheduleStore interface {
	AccessJournal
	LogQueries(ctx context.Context) ([]*SavedQuery, error)
	LogQuery(ctx context.Context, id string) (*SavedQuery, error)
	// RecordLogReport stores rep and moves its query's next run from due to
	// next; it reports false, storing nothing, when the query's next run is
	// no longer due (another node recorded it, or the query changed).
	RecordLogReport(ctx context.Context, rep *QueryReport, due, next time.Time) (bool, error)
	// FailLogReport records a failed run, retried from notBefore.
	FailLogReport(ctx context.Context, queryID string, due, notBefore time.Time, detail string) error
	ExpiredLogReports(ctx context.Context, now time.Time) ([]*QueryReport, error)
	DeleteLogReport(ctx context.Context, id string) error
	// LogArchiveSchedule returns the archive schedule (core.NotFound: none).
	LogArchiveSchedule(ctx context.Context) (*ArchiveSchedule, error)
	RecordLogArchive(ctx context.Context, due, next time.Time, object string, records int64) (bool, error)
	FailLogArchive(ctx context.Context, due, notBefore time.Time, detail string) error
	// AcquireLease takes or renews the named lease for holder (the
	// supervision and backup scheduler leases): true when holder has it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
}

// Scheduler runs the scheduled reports and archives. Several nodes may
// share one SQL store (an académie cluster): each run is taken under a
// store lease, its due time read again under the lease, and recorded only
// if still due (compare-and-set), so a report or an archive is made once.
type Scheduler struct {
	Store ScheduleStore
	Logs  *Store
	// Reports is where report CSVs are kept (the deployment's blob store).
	Reports blob.Store
	Clock   core.Clock
	Loc     *time.Location // periods are calendar days, weeks, months here (default time.Local)
	Holder  string         // this node's lease holder name
	// LeaseTTL is how long a lease holds without renewal (default 2 min);
	// a long run renews it every third of that.
	LeaseTTL time.Duration
	// Announce tells a report's audience it is ready (portal notice, mail).
	Announce func(ctx context.Context, q *SavedQuery, rep *QueryReport)
	// Alert tells the technical admins a scheduled run failed.
	Alert func(ctx context.Context, est, subject, body string)
	// ArchiveTarget opens an archive target (a folder or s3://…) as a blob
	// store and the key prefix to write under.
	ArchiveTarget func(ctx context.Context, target string) (blob.Store, string, error)
	// RetryAfter is how long a failed run waits before it is tried again
	// (default 1 h).
	RetryAfter time.Duration
	Log        *slog.Logger
}

func (s *Scheduler) defaults() {
	if s.Loc == nil {
		s.Loc = time.Local
	}
	if s.LeaseTTL == 0 {
		s.LeaseTTL = 2 * time.Minute
	}
	if s.RetryAfter == 0 {
		s.RetryAfter = time.Hour
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
}

// Run ticks every minute until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}

// Tick runs what is due now: reports, the archive, and the deletion of
// reports past their retention. ctx carries the job's principal.
func (s *Scheduler) Tick(ctx context.Context) {
	s.defaults()
	now := s.Clock.Now()
	qs, err := s.Store.LogQueries(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Error("log report scheduler: reading the saved queries failed", "err", err)
		}
		return
	}
	for _, q := range qs {
		if !reportDue(q, now) {
			continue
		}
		s.withLease(ctx, "logs-report:"+q.ID, func(ctx context.Context) {
			// Another node may have made it between our look and the lease.
			cur, err := s.Store.LogQuery(ctx, q.ID)
			if err == nil && reportDue(cur, now) {
				s.runReport(ctx, cur, now)
			}
		})
	}
	if a, err := s.Store.LogArchiveSchedule(ctx); err == nil && archiveDue(a, now) {
		s.withLease(ctx, "logs-archive", func(ctx context.Context) {
			if cur, err := s.Store.LogArchiveSchedule(ctx); err == nil && archiveDue(cur, now) {
				s.runArchive(ctx, cur, now)
			}
		})
	} else if err != nil && !core.IsKind(err, core.NotFound) && ctx.Err() == nil {
		s.Log.Error("log archive scheduler: reading the schedule failed", "err", err)
	}
	if old, err := s.Store.ExpiredLogReports(ctx, now); err == nil && len(old) > 0 {
		s.withLease(ctx, "logs-report-purge", func(ctx context.Context) {
			for _, r := range old {
				if err := s.Reports.Delete(ctx, r.Key); err != nil {
					s.Log.Warn("deleting an expired log report failed", "key", r.Key, "err", err)
					continue
				}
				if err := s.Store.DeleteLogReport(ctx, r.ID); err != nil {
					s.Log.Warn("forgetting an expired log report failed", "id", r.ID, "err", err)
				}
			}
		})
	}
}

func reportDue(q *SavedQuery, now time.Time) bool {
	return q.Schedule != Never && !q.NextRun.IsZero() && !now.Before(q.NextRun) && !now.Before(q.NotBefore)
}

func archiveDue(a *ArchiveSchedule, now time.Time) bool {
	return a.Cadence != Never && !a.NextRun.IsZero() && !now.Before(a.NextRun) && !now.Before(a.NotBefore)
}

// withLease runs fn while holding the named store lease, renewed until fn
// returns; it reports whether fn ran.
func (s *Scheduler) withLease(ctx context.Context, name string, fn func(context.Context)) bool {
	ok, err := s.Store.AcquireLease(ctx, name, s.Holder, s.LeaseTTL)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			s.Log.Warn("log scheduler lease", "lease", name, "err", err)
		}
		return false
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(s.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ok, err := s.Store.AcquireLease(context.WithoutCancel(ctx), name, s.Holder, s.LeaseTTL); err != nil || !ok {
					s.Log.Warn("log scheduler lease lost while running", "lease", name, "err", err)
				}
			}
		}
	}()
	defer close(done)
	fn(ctx)
	return true
}

// runReport makes q's report for the period due at q.NextRun.
func (s *Scheduler) runReport(ctx context.Context, q *SavedQuery, now time.Time) {
	due := q.NextRun
	since, until := q.Schedule.Period(due, s.Loc)
	rep, err := s.makeReport(ctx, q, since, until, now)
	var ok bool
	if err == nil {
		ok, err = s.Store.RecordLogReport(ctx, rep, due, q.Schedule.NextDue(due, s.Loc))
		if err != nil || !ok {
			_ = s.Reports.Delete(context.WithoutCancel(ctx), rep.Key)
		}
	}
	if err != nil {
		msg := failure(err)
		s.Log.Error("scheduled log report failed", "query", q.Name, "err", err)
		if ferr := s.Store.FailLogReport(ctx, q.ID, due, now.Add(s.RetryAfter), msg); ferr != nil {
			s.Log.Error("recording a failed log report", "err", ferr)
		}
		if s.Alert != nil {
			s.Alert(ctx, q.Establishment,
				"Rapport de journaux en échec : "+q.Name,
				fmt.Sprintf("Le rapport planifié « %s » (période du %s au %s) n’a pas pu être produit : %s.\nNouvel essai dans %s.\n\nThe scheduled log report %q failed: %s.",
					q.Name, since.In(s.Loc).Format("02/01/2006"), until.In(s.Loc).Format("02/01/2006"), msg, s.RetryAfter, q.Name, msg))
		}
		return
	}
	if ok && s.Announce != nil {
		s.Announce(ctx, q, rep)
	}
}

func (s *Scheduler) makeReport(ctx context.Context, q *SavedQuery, since, until, now time.Time) (*QueryReport, error) {
	query := q.Criteria.Query(q.Scope(nil), since, until)
	query.Limit = MaxExport
	res, err := runSaved(ctx, s.Logs, s.Store, q, query, Justification{}, "report.run")
	if err != nil {
		return nil, err
	}
	csv, err := ReportCSV(res.Records)
	if err != nil {
		return nil, core.Wrap("logs.Report", core.Internal, err)
	}
	id := core.NewID()
	rep := &QueryReport{ID: id, QueryID: q.ID, QueryName: q.Name, Establishment: q.Establishment, Since: since, Until: until,
		Created: now, Expires: now.AddDate(0, 0, q.KeepDays), Key: ReportKey(q.ID, id), Bytes: int64(len(csv)),
		Summary: Summarize(res.Records)}
	rep.Summary.Truncated = res.More
	if _, err := blob.Put(ctx, s.Reports, rep.Key, bytes.NewReader(csv)); err != nil {
		return nil, core.Wrap("logs.Report", core.Unavailable, fmt.Errorf("storing the report: %w", err))
	}
	return rep, nil
}

// runArchive writes the archive of the period due at a.NextRun.
func (s *Scheduler) runArchive(ctx context.Context, a *ArchiveSchedule, now time.Time) {
	due := a.NextRun
	since, until := a.Cadence.Period(due, s.Loc)
	name := a.ArchiveName(since, s.Loc)
	records, err := s.archive(ctx, a, name, since, until)
	if err == nil {
		_, err = s.Store.RecordLogArchive(ctx, due, a.Cadence.NextDue(due, s.Loc), name, records)
	}
	if err != nil {
		msg := failure(err)
		s.Log.Error("ALERT: scheduled log archive failed", "target", a.Target, "err", err)
		if ferr := s.Store.FailLogArchive(ctx, due, now.Add(s.RetryAfter), msg); ferr != nil {
			s.Log.Error("recording a failed log archive", "err", ferr)
		}
		if s.Alert != nil {
			s.Alert(ctx, "", "Archive des journaux en échec",
				fmt.Sprintf("L’archive planifiée des journaux (%s, période du %s au %s) vers %s a échoué : %s.\nNouvel essai dans %s ; `preau logs archive` la fait à la main.\n\nThe scheduled log archive to %s failed: %s.",
					name, since.In(s.Loc).Format("02/01/2006"), until.In(s.Loc).Format("02/01/2006"), redactTarget(a.Target), msg, s.RetryAfter,
					redactTarget(a.Target), msg))
		}
	}
}

func (s *Scheduler) archive(ctx context.Context, a *ArchiveSchedule, name string, since, until time.Time) (int64, error) {
	rs, err := ParseRecipients(a.Recipients)
	if err != nil {
		return 0, err
	}
	if s.ArchiveTarget == nil {
		return 0, core.E("logs.ScheduledArchive", core.Unavailable, "no archive target opener")
	}
	target, prefix, err := s.ArchiveTarget(ctx, a.Target)
	if err != nil {
		return 0, err
	}
	idx, err := s.Logs.ArchiveToBlob(ctx, target, prefix+name, since, until, rs)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, st := range idx.Streams {
		n += st.Records
	}
	return n, nil
}

// redactTarget drops a target URL's query (it may name an endpoint with
// credentials in a badly written URL).
func redactTarget(t string) string {
	t, _, _ = strings.Cut(t, "?")
	return t
}

// failure is an error in words for an administrator: its message, or the
// whole error when it has none (an internal failure: a disk, a bucket).
func failure(err error) string {
	if m := core.MessageOf(err); m != "" {
		return m
	}
	return err.Error()
}
