// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// BenchmarkJournalAppend measures journal entries appended per second, one
// entry per transaction (a refused attempt, a failed login).
func BenchmarkJournalAppend(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db := openForBench(b, be)
			ctx := dirtest.Ctx()
			b.ResetTimer()
			for i := range b.N {
				if err := db.Journal(ctx, journal.Entry{Chain: "bench", Action: "auth.login", TargetName: fmt.Sprint(i),
					Result: journal.Refused, Reason: "wrong password"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkJournalCost measures a typical directory change (one person
// updated, with its journal entry in the same transaction), alternating
// journal on and off transaction by transaction, and reports both rates: on
// a shared machine whose load drifts, both sides then see the same load, and
// their ratio is the cost of journaling (issue 2: ratio ≥ 0.91).
func BenchmarkJournalCost(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db := openForBench(b, be)
			ctx := dirtest.Ctx()
			e := dirtest.NewEstablishment(999098, directory.College)
			if err := db.CreateEstablishment(ctx, e); err != nil {
				b.Fatal(err)
			}
			var ids []string
			var nps []directory.NewPerson
			for i := range 200 {
				p := dirtest.NewPerson(fmt.Sprintf("c%03d", i), core.ProfilePupil, e.ID)
				ids = append(ids, p.ID)
				nps = append(nps, directory.NewPerson{Person: p})
			}
			if err := db.CreatePeople(ctx, nps); err != nil {
				b.Fatal(err)
			}
			var spent [2]time.Duration // journal off, on
			var count [2]int
			b.ResetTimer()
			for i := range b.N {
				on := i%2 == 0
				db.SetJournalingForBenchmark(on)
				name := fmt.Sprintf("Nom %d", i)
				start := time.Now()
				if _, err := db.UpdatePerson(ctx, ids[i%len(ids)], directory.PersonUpdate{FamilyName: &name}); err != nil {
					b.Fatal(err)
				}
				k := 0
				if on {
					k = 1
				}
				spent[k] += time.Since(start)
				count[k]++
			}
			db.SetJournalingForBenchmark(true)
			if count[0] > 0 && count[1] > 0 {
				off := float64(count[0]) / spent[0].Seconds()
				onRate := float64(count[1]) / spent[1].Seconds()
				b.ReportMetric(onRate, "on-tx/s")
				b.ReportMetric(off, "off-tx/s")
				b.ReportMetric(onRate/off, "ratio")
			}
		})
	}
}

func openForBench(b *testing.B, be backend) *store.DB { return be.open(b) }
