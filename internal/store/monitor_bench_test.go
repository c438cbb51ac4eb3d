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
