// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"testing"

	"github.com/preau/preau/internal/charter/chartertest"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestCharterStoreSuite runs the charter store suite on both back ends:
// drafts, publication, acceptances and statistics, each change with its
// journal entry in the establishment's chain.
// CARINE: INF-SEC-3, INF-AUT-5
func TestCharterStoreSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		chartertest.StoreSuite(t, func(t *testing.T) chartertest.Harness {
			db := open(t)
			n := 999500
			return chartertest.Harness{Store: db,
				Establishment: func(t *testing.T) string {
					n++
					e := dirtest.NewEstablishment(n, directory.College)
					if err := db.CreateEstablishment(dirtest.Ctx(), e); err != nil {
						t.Fatal(err)
					}
					return e.ID
				},
				Person: func(t *testing.T, login string, p core.Profile, est string) string {
					person := dirtest.NewPerson(login, p, est)
					if err := db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: person}}); err != nil {
						t.Fatal(err)
					}
					return person.ID
				},
				Actions: func(t *testing.T, est string) []string {
					es, err := db.FindJournal(dirtest.Ctx(), journal.Filter{Action: "charter.", Chain: est})
					if err != nil {
						t.Fatal(err)
					}
					var out []string
					for _, e := range es {
						out = append(out, e.Action+" "+e.TargetName+" "+e.ActorLogin)
					}
					return out
				},
			}
		})
	})
}
