// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// BenchmarkImport measures an import of n pupils in classes of 25 into an
// empty establishment (plan and apply; password hashing excluded: the hash
// function is a stub). The goal: 100,000 people under 10 s.
func BenchmarkImport(b *testing.B) {
	for _, be := range backends(b) {
		for _, n := range []int{10000, 100000} {
			b.Run(be.name+"/"+fmt.Sprint(n), func(b *testing.B) {
				if testing.Short() && n > 10000 {
					b.Skip("-short")
				}
				benchImport(b, be.open, n)
			})
		}
	}
}

// benchImport runs the import of n pupils once per iteration, each into a
// new database. The CPU reported is this process's: on PostgreSQL the
// server's share runs in its own processes.
func benchImport(b *testing.B, open func(testing.TB) *store.DB, n int) {
	for range b.N {
		db := open(b)
		ctx := dirtest.Ctx()
		e := dirtest.NewEstablishment(999060, directory.Lycee)
		e.Domains = []string{"lyc.bench.test"}
		if err := db.CreateEstablishment(ctx, e); err != nil {
			b.Fatal(err)
		}
		people := make([]dirsync.Person, n)
		for i := range people {
			people[i] = pupil(fmt.Sprintf("%07d", i), "Prénom", fmt.Sprintf("Nom%06d", i), fmt.Sprintf("C%04d", i/25))
		}
		in := siecle(people...)
		in.UAI = e.UAI
		eng := &dirsync.Engine{Store: db, Clock: core.NewFakeClock(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)),
			Hash: cheapHash}
		start, cpu0 := time.Now(), processCPU()
		plan, err := eng.Plan(ctx, in, dirsync.Options{Mode: dirsync.Full})
		if err != nil {
			b.Fatal(err)
		}
		planned := time.Since(start)
		if err := eng.Apply(ctx, plan, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(planned.Seconds(), "plan-s")
		b.ReportMetric(time.Since(start).Seconds(), "total-s")
		// CPU time of the whole process (every thread), which a shared
		// machine's load disturbs far less than the wall clock.
		b.ReportMetric((processCPU() - cpu0).Seconds(), "cpu-s")
	}
}
