// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/monitor/monitorweb"
	"github.com/preau/preau/internal/monitor/probes"
)

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMonitorChecks runs 1,000 TCP checks of declared targets (a
// local listener accepts them) and writes their results to SQLite, as the
// engine does each minute when 1,000 targets are checked every minute. One
// op = the 1,000 checks and the flush. core-pct-per-minute = the CPU share
// of one core this takes at one op per minute (budget: 5 %). The
// listener's accepts run in the same process and are counted too.
func BenchmarkMonitorChecks(b *testing.B) {
	db := openSQLite(b)
	ctx := dirtest.Ctx()
	e := dirtest.NewEstablishment(999091, directory.Lycee)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go acceptAll(ln)
	eng := monitor.NewEngine(monitor.EngineDeps{Store: db, Checker: &probes.Checker{}, Clock: core.SystemClock{},
		Log: slog.New(slog.DiscardHandler), Concurrency: 32})
	for i := 0; i < 1000; i++ {
		t := &monitor.Target{ID: core.NewID(), Establishment: e.ID, Name: fmt.Sprintf("equipement-%04d", i), Kind: monitor.KindTCP,
			Address: ln.Addr().String(), Interval: time.Minute, Timeout: 5 * time.Second, Enabled: true, CreatedAt: time.Now()}
		if err := db.CreateTarget(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	if err := eng.Reload(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	run := func() {
		eng.RunDue(ctx, now)
		eng.Flush(ctx)
		now = now.Add(time.Minute)
	}
	run() // first results: every target goes up, its state written
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.StopTimer()
	used := processCPU() - cpu
	checks, _, _ := eng.Counters()
	if checks != int64(1000*(b.N+1)) {
		b.Fatalf("%d checks run", checks)
	}
	perOp := used / time.Duration(b.N)
	b.ReportMetric(float64(perOp.Microseconds())/1000, "cpu-ms/op")
	b.ReportMetric(100*perOp.Seconds()/60, "core-pct-per-minute")
}

// BenchmarkMonitorDashboardReads reads the figures of an académie of 500
// establishments (5,000 checks with 30 days of history downsampled to 48
// hourly and 28 daily rows each, 380,000 rows; 500 incidents) from SQLite,
// as the operator's dashboard does: the store's share of its 200 ms budget.
// The dashboards read each target's window counts (kept at each flush and
// recomputed daily), not the history.
func BenchmarkMonitorDashboardReads(b *testing.B) {
	db := openSQLite(b)
	ctx := dirtest.Ctx()
	now := time.Now().UTC().Truncate(time.Hour)
	for _, q := range []string{
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
		INSERT INTO monitor_targets (id, establishment_id, name, kind, address, service, interval_s, timeout_s, retries, created_at, state)
		SELECT 't' || i, 'e' || (i / 10), 'equipement ' || i, 'tcp', '10.0.0.1:22', 'svc' || (i % 4), 60, 5, 1, 0, 'up' FROM n`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 379999)
		INSERT INTO monitor_samples (target_id, hour, checks, failures, latency_sum_us, latency_max_us)
		SELECT 't' || (i / 76), %d - (i %% 76) * 3600000000, 60, i %% 2, 60000, 2000 FROM n`, now.UnixMicro()),
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 499)
		INSERT INTO monitor_incidents (id, establishment_id, target_id, title, service, state, auto, opened_at, resolved_at, restore_s)
		SELECT 'i' || i, 'e' || i, 't' || (i * 10), 'x', 'svc0', 'resolved', TRUE, %d, %d, 14400 FROM n`,
			now.Add(-5*time.Hour).UnixMicro(), now.Add(-4*time.Hour).UnixMicro()),
	} {
		if err := db.ExecForTest(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	all := make([]*directory.EstablishmentSummary, 500)
	for i := range all {
		all[i] = &directory.EstablishmentSummary{Establishment: directory.Establishment{ID: fmt.Sprintf("e%d", i), UAI: fmt.Sprintf("%07dA", i)}}
	}
	if err := db.RecomputeWindows(ctx, now.Add(-30*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs, err := monitorweb.Figures(ctx, db, all, nil, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) != 500 || fs[0].Targets != 10 || fs[0].Incidents != 1 || fs[0].Availability < 0.99 || fs[0].Availability >= 1 {
			b.Fatalf("figures: %+v", fs[0])
		}
	}
}
