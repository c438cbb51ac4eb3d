// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

// TestLogQueriesSaveChangeDelete: a saved query needs a name, a declared
// purpose and an audience; a scheduled query that may identify people must
// carry its justification; names are unique per establishment; a change
// keeps the next run of an unchanged schedule; creation, change and
// deletion are journaled with the purpose and the audience.
// CARINE: MCO-JAL-5
func TestLogQueriesSaveChangeDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		q := &logs.SavedQuery{Establishment: "E1", Name: "Blocages du proxy", Purpose: "suivre les blocages du filtrage",
			Criteria: logs.Criteria{Service: "proxy", Class: logs.ClassConnection, Window: "7d"},
			Audience: logs.Audience{Profiles: []core.Profile{core.ProfileAdmin}, Logins: []string{"rssi"}}}
		bad := *q
		bad.Purpose = "pour voir"
		if err := db.SaveLogQuery(ctx, &bad); !core.IsKind(err, core.Invalid) || !strings.Contains(err.Error(), "purpose") {
			t.Fatalf("a query without a real purpose saved: %v", err)
		}
		bad = *q
		bad.Audience = logs.Audience{}
		if err := db.SaveLogQuery(ctx, &bad); !core.IsKind(err, core.Invalid) {
			t.Fatalf("a query without audience saved: %v", err)
		}
		bad = *q
		bad.Schedule = logs.Weekly
		if err := db.SaveLogQuery(ctx, &bad); !core.IsKind(err, core.Invalid) || !strings.Contains(err.Error(), "justification") {
			t.Fatalf("a scheduled query on connection data without justification saved: %v", err)
		}
		q.Schedule, q.Justification = logs.Weekly, logs.Justification{Basis: logs.BasisIncident, Reference: "INC-2026-7"}
		first := time.Date(2026, 11, 30, 0, 15, 0, 0, time.UTC)
		q.NextRun = first
		if err := db.SaveLogQuery(ctx, q); err != nil {
			t.Fatal(err)
		}
		dup := *q
		dup.ID = ""
		if err := db.SaveLogQuery(ctx, &dup); !core.IsKind(err, core.Conflict) {
			t.Fatalf("two queries with one name: %v", err)
		}
		q.Purpose, q.NextRun = "suivre les blocages du filtrage, semaine par semaine", first.AddDate(0, 0, 7)
		if err := db.SaveLogQuery(ctx, q); err != nil {
			t.Fatal(err)
		}
		got, err := db.LogQuery(ctx, q.ID)
		if err != nil || got.Purpose != q.Purpose || !got.NextRun.Equal(first) || got.Justification.Reference != "INC-2026-7" ||
			got.Criteria.Window != "7d" || got.Audience.Logins[0] != "rssi" || got.KeepDays != logs.DefaultKeepDays || got.CreatedBy == "" {
			t.Fatalf("%v %+v", err, got)
		}
		all, _ := db.LogQueries(ctx)
		if len(all) != 1 {
			t.Fatalf("%d queries", len(all))
		}
		if _, err := db.DeleteLogQuery(ctx, q.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LogQuery(ctx, q.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("deleted query found: %v", err)
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Chain: "E1", Action: "logs.query."})
		var acts []string
		for _, e := range es {
			acts = append(acts, e.Action)
		}
		if strings.Join(acts, " ") != "logs.query.create logs.query.update logs.query.delete" ||
			!strings.Contains(es[0].Reason, `purpose="suivre les blocages du filtrage"`) || !strings.Contains(es[0].Reason, "admin +rssi") ||
			!strings.Contains(es[0].Reason, "justification=incident:INC-2026-7") {
			t.Fatalf("journal: %v %+v", acts, es)
		}
	})
}

type schedFixture struct {
	logs    *logs.Store
	reports blob.Store
	clock   *core.FakeClock
	dir     string
}

var schedKey = ed25519.NewKeyFromSeed(make([]byte, 32))

// t0 is a Monday, 10:00 UTC.
var schedT0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func newSchedFixture(t *testing.T, clock *core.FakeClock) *schedFixture {
	dir := t.TempDir()
	bs, err := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := logs.Open(context.Background(), logs.Config{Blobs: bs, Key: schedKey, Spool: filepath.Join(dir, "spool"),
		SealInterval: time.Hour, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 0; i < 30; i++ {
		st.Append(logs.Record{Time: schedT0.Add(-time.Duration(i) * time.Minute), Establishment: "E1", Class: logs.ClassConnection,
			Service: "proxy", Source: fmt.Sprintf("10.0.0.%d", i%3), User: fmt.Sprintf("eleve%d", i%4), Action: "block",
			Result: map[bool]string{true: "refused", false: "allowed"}[i%2 == 0], Message: fmt.Sprintf("GET %d", i)})
	}
	st.Append(logs.Record{Time: schedT0, Establishment: "E2", Class: logs.ClassConnection, Service: "proxy", User: "autre"})
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &schedFixture{logs: st, reports: bs, clock: clock, dir: dir}
}

// forEachTwoNodes runs fn on each back end with two handles opened
// separately on one database, as two nodes of a cluster (or a node and a
// second process) open it: their own connections, caches and leases.
func forEachTwoNodes(t *testing.T, clock core.Clock, fn func(t *testing.T, dbs [2]*store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		var dbs [2]*store.DB
		for i := range dbs {
			db, err := store.Open(context.Background(), store.Config{DataDir: dir, Log: quiet, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		fn(t, dbs)
	})
	dsn := os.Getenv("PREAU_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Error("PREAU_TEST_POSTGRES_DSN is not set: the PostgreSQL case cannot run (PREAU_TEST_STRICT=1)")
		}
		return
	}
	t.Run("postgres", func(t *testing.T) {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		var dbs [2]*store.DB
		for i := range dbs {
			db, err := store.Open(context.Background(), store.Config{DSN: dsn, Schema: schema, Log: quiet, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			dbs[i] = db
		}
		t.Cleanup(func() {
			_ = dbs[0].DropSchemaForTest(context.Background(), schema)
			dbs[0].Close()
			dbs[1].Close()
		})
		fn(t, dbs)
	})
}

// nodes returns two schedulers (two nodes of a cluster), one on each
// handle of the shared database.
func (f *schedFixture) nodes(dbs [2]*store.DB, announce func(*logs.SavedQuery, *logs.QueryReport),
	alert func(subject, body string)) [2]*logs.Scheduler {
	var out [2]*logs.Scheduler
	for i := range out {
		out[i] = &logs.Scheduler{Store: dbs[i], Logs: f.logs, Reports: f.reports, Clock: f.clock, Loc: time.UTC,
			Holder: fmt.Sprintf("node-%d", i),
			Announce: func(_ context.Context, q *logs.SavedQuery, r *logs.QueryReport) {
				if announce != nil {
					announce(q, r)
				}
			},
			Alert: func(_ context.Context, _, subject, body string) {
				if alert != nil {
					alert(subject, body)
				}
			},
			ArchiveTarget: func(_ context.Context, target string) (blob.Store, string, error) {
				bs, err := fsblob.New(fsblob.Config{Dir: target})
				return bs, "", err
			}}
	}
	return out
}

func tickBoth(ctx context.Context, ns [2]*logs.Scheduler) {
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Tick(ctx)
		}()
	}
	wg.Wait()
}

// TestReportSchedulerRunsOnceOnTwoNodes: two nodes sharing one database
// tick at the same moment with a daily report due; exactly one report is
// made (counts by class, result, host and user, and the CSV in the blob
// store), journaled once with the query's justification, announced once;
// ticking again after the lease expired makes nothing more; the next day's
// report comes the next day; reports past their retention are deleted,
// journaled. No sleep: an injected clock.
// CARINE: MCO-JAL-5
func TestReportSchedulerRunsOnceOnTwoNodes(t *testing.T) {
	clock := core.NewFakeClock(schedT0)
	forEachTwoNodes(t, clock, func(t *testing.T, dbs [2]*store.DB) {
		clock.Set(schedT0)
		f := newSchedFixture(t, clock)
		db := dbs[0]
		ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:logs-report", core.ChannelJob))
		uctx := dirtest.Ctx()
		q := &logs.SavedQuery{Establishment: "E1", Name: "Blocages quotidiens", Purpose: "suivre les blocages du filtrage chaque jour",
			Criteria: logs.Criteria{Service: "proxy", Class: logs.ClassConnection}, Audience: logs.Audience{Profiles: []core.Profile{core.ProfileHead}},
			Justification: logs.Justification{Basis: logs.BasisIncident, Reference: "INC-2026-9"}, Schedule: logs.Daily, KeepDays: 2}
		q.NextRun = q.Schedule.FirstDue(f.clock.Now(), time.UTC)
		if want := time.Date(2026, 11, 3, 0, 15, 0, 0, time.UTC); !q.NextRun.Equal(want) {
			t.Fatalf("first due %v, want %v", q.NextRun, want)
		}
		if err := db.SaveLogQuery(uctx, q); err != nil {
			t.Fatal(err)
		}
		var announced atomic.Int32
		ns := f.nodes(dbs, func(*logs.SavedQuery, *logs.QueryReport) { announced.Add(1) }, nil)
		tickBoth(ctx, ns) // not due yet
		if rs, _ := db.LogReports(ctx, q.ID, 10); len(rs) != 0 {
			t.Fatalf("a report before its period ended: %+v", rs)
		}
		f.clock.Set(time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC))
		tickBoth(ctx, ns)
		f.clock.Advance(3 * time.Minute) // past the lease: the late ticks find it made
		tickBoth(ctx, ns)
		rs, err := db.LogReports(ctx, q.ID, 10)
		if err != nil || len(rs) != 1 || announced.Load() != 1 {
			t.Fatalf("want one report announced once: %v %d reports, %d announces", err, len(rs), announced.Load())
		}
		r := rs[0]
		if !r.Since.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) || !r.Until.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) ||
			r.Summary.Records != 30 || r.Summary.Classes[0] != (logs.Count{Value: "connection", N: 30}) ||
			r.Summary.Results[0].N != 15 || len(r.Summary.Hosts) != 3 || len(r.Summary.Users) != 4 {
			t.Fatalf("report %+v", r)
		}
		rc, _, err := f.reports.Open(ctx, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, r.Bytes)
		_, err = rc.Read(b)
		rc.Close()
		if err != nil || !strings.HasPrefix(string(b), "time,establishment") || strings.Contains(string(b), "autre") ||
			strings.Count(string(b), "\n") != 31 {
			t.Fatalf("CSV %v:\n%s", err, b)
		}
		runs, _ := db.FindJournal(ctx, journal.Filter{Chain: "E1", Action: "logs.report."})
		if len(runs) != 2 || runs[0].Action != "logs.report.run" || !strings.Contains(runs[0].Reason, "incident:INC-2026-9") ||
			!strings.Contains(runs[0].Reason, `query="Blocages quotidiens"`) || runs[1].Action != "logs.report.create" {
			t.Fatalf("journal: %+v", runs)
		}
		got, _ := db.LogQuery(ctx, q.ID)
		if got.LastResult != "ok" || !got.NextRun.Equal(time.Date(2026, 11, 4, 0, 15, 0, 0, time.UTC)) {
			t.Fatalf("after the run: %+v", got)
		}
		// A node whose lease expired under a slow run records the same
		// period late: the compare-and-set refuses it, nothing is stored.
		late := &logs.QueryReport{ID: "late", QueryID: q.ID, QueryName: q.Name, Establishment: "E1", Since: r.Since, Until: r.Until,
			Created: f.clock.Now(), Expires: f.clock.Now(), Key: "logs-reports/x/late.csv"}
		if ok, err := dbs[1].RecordLogReport(ctx, late, q.NextRun, got.NextRun); ok || err != nil {
			t.Fatalf("a period recorded twice: %v %v", ok, err)
		}
		if rs, _ := db.LogReports(ctx, q.ID, 10); len(rs) != 1 {
			t.Fatalf("%d reports after a late duplicate", len(rs))
		}
		// The next day: one more report; two days later the first expires.
		f.clock.Set(time.Date(2026, 11, 4, 2, 0, 0, 0, time.UTC))
		tickBoth(ctx, ns)
		f.clock.Set(time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC))
		tickBoth(ctx, ns)
		f.clock.Advance(3 * time.Minute)
		tickBoth(ctx, ns)
		rs, _ = db.LogReports(ctx, q.ID, 10)
		if len(rs) != 2 || announced.Load() != 3 {
			t.Fatalf("after three days: %d reports kept, %d announced", len(rs), announced.Load())
		}
		if _, _, err := f.reports.Open(ctx, r.Key); !core.IsKind(err, core.NotFound) {
			t.Fatalf("the expired report's CSV is still there: %v", err)
		}
		if es, _ := db.FindJournal(ctx, journal.Filter{Chain: "E1", Action: "logs.report.purge"}); len(es) != 1 {
			t.Fatalf("purge journal: %+v", es)
		}
	})
}

// TestScheduledArchiveVerifies: a monthly archive schedule writes, on the
// 1st, the archive of the previous month to its target folder, encrypted
// for its recipient, once with two nodes; the archive verifies with the
// offline verifier; the run is journaled and its result kept; a target
// that cannot be written is recorded as failed with the reason, alerted,
// and retried later.
// CARINE: MCO-JAL-3
func TestScheduledArchiveVerifies(t *testing.T) {
	clock := core.NewFakeClock(schedT0)
	forEachTwoNodes(t, clock, func(t *testing.T, dbs [2]*store.DB) {
		clock.Set(schedT0)
		f := newSchedFixture(t, clock)
		db := dbs[1]
		ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:logs-archive", core.ChannelJob))
		id, _ := age.GenerateX25519Identity()
		target := filepath.Join(f.dir, "usb")
		a := &logs.ArchiveSchedule{Cadence: logs.Monthly, Target: target, Recipients: []string{id.Recipient().String()}}
		a.NextRun = a.Cadence.FirstDue(f.clock.Now(), time.UTC)
		if err := db.SetLogArchiveSchedule(dirtest.Ctx(), a); err != nil {
			t.Fatal(err)
		}
		var alerts []string
		var mu sync.Mutex
		ns := f.nodes(dbs, nil, func(s, b string) { mu.Lock(); alerts = append(alerts, s+"\n"+b); mu.Unlock() })
		f.clock.Set(time.Date(2026, 12, 1, 0, 20, 0, 0, time.UTC))
		tickBoth(ctx, ns)
		f.clock.Advance(3 * time.Minute)
		tickBoth(ctx, ns)
		ents, _ := os.ReadDir(target)
		if len(ents) != 1 || ents[0].Name() != "preau-logs-2026-11.tar.age" {
			t.Fatalf("archive folder: %v", ents)
		}
		fh, err := os.Open(filepath.Join(target, ents[0].Name()))
		if err != nil {
			t.Fatal(err)
		}
		rep, kid, err := logs.VerifyArchive(ctx, fh, t.TempDir(), schedKey.Public().(ed25519.PublicKey), id)
		fh.Close()
		if err != nil || !rep.OK() || rep.Records != 31 || kid != logs.KeyID(schedKey.Public().(ed25519.PublicKey)) {
			t.Fatalf("verify: %v %+v", err, rep)
		}
		got, _ := db.LogArchiveSchedule(ctx)
		if got.LastResult != "ok" || !strings.Contains(got.LastDetail, "preau-logs-2026-11.tar.age, 31 records") ||
			!got.NextRun.Equal(time.Date(2027, 1, 1, 0, 15, 0, 0, time.UTC)) {
			t.Fatalf("schedule after the run: %+v", got)
		}
		es, _ := db.FindJournal(ctx, journal.Filter{Action: "logs.archive"})
		if len(es) != 2 || es[0].Action != "logs.archive.schedule" || es[1].Reason != "format=tar, age, scheduled records=31" {
			t.Fatalf("journal: %+v", es)
		}
		// A target that cannot be written: failed, alerted, retried later.
		blocker := filepath.Join(f.dir, "not-a-folder")
		os.WriteFile(blocker, []byte("x"), 0o600)
		a.Target = blocker
		if err := db.SetLogArchiveSchedule(dirtest.Ctx(), a); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(time.Date(2027, 1, 1, 1, 0, 0, 0, time.UTC))
		tickBoth(ctx, ns)
		got, _ = db.LogArchiveSchedule(ctx)
		if got.LastResult != "failed" || got.LastDetail == "" || len(alerts) != 1 || !strings.Contains(alerts[0], "échec") ||
			!got.NotBefore.Equal(time.Date(2027, 1, 1, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("failure: %+v alerts %q", got, alerts)
		}
		tickBoth(ctx, ns) // before the retry time: nothing more
		if len(alerts) != 1 {
			t.Fatalf("retried at once: %q", alerts)
		}
		if es, _ := db.FindJournal(ctx, journal.Filter{Action: "logs.archive", Result: journal.Failed}); len(es) != 1 {
			t.Fatalf("failure journal: %+v", es)
		}
	})
}
