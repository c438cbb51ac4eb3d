// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-ANN-4 — two nodes (each remembering the journal head it last
// wrote) change the directory in turn and at once: every change keeps its
// journal entry, committed with it, and the chain verifies. On PostgreSQL
// the entry travels with COMMIT; a node whose remembered head is stale must
// fall back inside the same transaction, never commit without its entry.
func TestJournalTwoNodesOneChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		a := open(t)
		b, err := store.Reopen(a, store.Config{}) // its own head cache: another node
		if err != nil {
			t.Fatal(err)
		}
		e := dirtest.NewEstablishment(999031, directory.College)
		if err := a.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
		var ids []string
		var nps []directory.NewPerson
		for i := range 8 {
			p := dirtest.NewPerson(fmt.Sprintf("n%02d", i), core.ProfilePupil, e.ID)
			ids = append(ids, p.ID)
			nps = append(nps, directory.NewPerson{Person: p})
		}
		if err := a.CreatePeople(ctx, nps); err != nil {
			t.Fatal(err)
		}
		version := func() int64 {
			v, err := a.DirectoryVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v0 := version()
		rename := func(db *store.DB, id, name string) {
			t.Helper()
			if _, err := db.UpdatePerson(ctx, id, directory.PersonUpdate{FamilyName: &name}); err != nil {
				t.Fatal(err)
			}
		}
		// In turn: each node's remembered head is stale at every change.
		for i := range 6 {
			db := a
			if i%2 == 1 {
				db = b
			}
			rename(db, ids[0], fmt.Sprintf("Tour %d", i))
		}
		// At once: two nodes, four writers each.
		var wg sync.WaitGroup
		errs := make(chan error, 80)
		for w := range 8 {
			db := a
			if w%2 == 1 {
				db = b
			}
			wg.Go(func() {
				for i := range 10 {
					name := fmt.Sprintf("W%d-%d", w, i)
					if _, err := db.UpdatePerson(ctx, ids[w], directory.PersonUpdate{FamilyName: &name}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := version() - v0; got != 86 {
			t.Errorf("directory version moved by %d, want 86 (one per change)", got)
		}
		rep, err := a.VerifyJournal(ctx, nil, nil)
		if err != nil || len(rep.Problems) != 0 {
			t.Fatalf("journal does not verify: %v %+v", err, rep.Problems)
		}
		es, err := a.FindJournal(ctx, journal.Filter{Action: "directory.person.update", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 86 {
			t.Fatalf("%d directory.person.update entries, want 86", len(es))
		}
		for w := range 8 {
			p, err := a.FindPerson(ctx, ids[w])
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("W%d-9", w); p.FamilyName != want {
				t.Errorf("person %d is %q, want %q", w, p.FamilyName, want)
			}
		}

		// A transaction that reads the journal after appending sees its entry.
		before, err := a.FindJournal(ctx, journal.Filter{Chain: "reads", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			n, err := a.JournalThenCountForTest(ctx, journal.Entry{Chain: "reads", Action: "test.read"})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(before)+i+1 {
				t.Fatalf("transaction sees %d entries of its chain, want %d", n, len(before)+i+1)
			}
		}
	})
}

// CARINE: INF-ANN-4 — a bulk transaction (an import, a batch of new people)
// writes its journal entries many rows at a time, over two chains at once,
// and the chains verify; the other node then appends after them.
func TestBulkJournalKeepsChains(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := dirtest.Ctx()
		a := open(t)
		b, err := store.Reopen(a, store.Config{})
		if err != nil {
			t.Fatal(err)
		}
		e1 := dirtest.NewEstablishment(999032, directory.College)
		e2 := dirtest.NewEstablishment(999033, directory.Lycee)
		for _, e := range []*directory.Establishment{e1, e2} {
			if err := b.CreateEstablishment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		var nps []directory.NewPerson
		for i := range 150 { // two full batches and a partial one, alternating chains
			est := e1.ID
			if i%3 == 0 {
				est = e2.ID
			}
			nps = append(nps, directory.NewPerson{Person: dirtest.NewPerson(fmt.Sprintf("b%03d", i), core.ProfilePupil, est)})
		}
		if err := a.CreatePeople(ctx, nps); err != nil {
			t.Fatal(err)
		}
		name := "Après"
		if _, err := b.UpdatePerson(ctx, nps[0].Person.ID, directory.PersonUpdate{FamilyName: &name}); err != nil {
			t.Fatal(err)
		}
		rep, err := a.VerifyJournal(ctx, nil, nil)
		if err != nil || len(rep.Problems) != 0 {
			t.Fatalf("journal does not verify: %v %+v", err, rep.Problems)
		}
		es, err := a.FindJournal(ctx, journal.Filter{Action: "directory.person.create", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 150 {
			t.Fatalf("%d creation entries, want 150", len(es))
		}
		seen := map[string]bool{}
		for _, e := range es {
			seen[e.TargetName] = true
		}
		if len(seen) != 150 {
			t.Fatalf("creation entries name %d people, want 150", len(seen))
		}
	})
}
