// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/preau/preau/internal/breakglass/breakglasstest"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestBreakGlassStoreSuite runs the break-glass conformance suite on both
// back ends: conditional transitions that never half-write, uses counted
// only within the window, filters, and the notice and journal entry written
// in the transaction of each change.
// CARINE: UTI-ESF-8, MCO-SVG-11
func TestBreakGlassStoreSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		breakglasstest.StoreSuite(t, func(t *testing.T) breakglasstest.Harness {
			clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 123000, time.UTC))
			db, _ := store.Reopen(open(t), store.Config{Clock: clock})
			ctx := dirtest.Ctx()
			h := breakglasstest.Harness{Store: db, Clock: clock}
			for i, n := range []int{999071, 999072} {
				e := dirtest.NewEstablishment(n, directory.College)
				if err := db.CreateEstablishment(ctx, e); err != nil {
					t.Fatal(err)
				}
				h.Establishments[i] = e.ID
			}
			h.AddPerson = func(t *testing.T, p *directory.Person) {
				if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p}}); err != nil {
					t.Fatal(err)
				}
			}
			h.Notices = func(t *testing.T, id string) []string {
				ns, err := db.FindNotices(context.Background(), id, false)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, n := range ns {
					out = append(out, n.Subject)
				}
				return out
			}
			h.Journal = func(t *testing.T, prefix string) []*journal.Entry {
				es, err := db.FindJournal(context.Background(), journal.Filter{Action: prefix})
				if err != nil {
					t.Fatal(err)
				}
				return es
			}
			return h
		})
	})
}
