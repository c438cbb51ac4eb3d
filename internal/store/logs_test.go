// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

// TestLogRetentionAndAccessJournal: retention settings stay within legal
// bounds and are journaled; consultations (answered and refused) and purges
// are journaled with the query and the justification.
// CARINE: MCO-JAL-2, MCO-JAL-4, MCO-JAL-6
func TestLogRetentionAndAccessJournal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		if err := db.SetLogRetention(ctx, "E1", logs.ClassConnection, 90); !core.IsKind(err, core.Invalid) {
			t.Fatalf("90 days of connection data accepted: %v", err)
		}
		if err := db.SetLogRetention(ctx, "E1", logs.ClassSystem, 300); err != nil {
			t.Fatal(err)
		}
		if err := db.SetLogRetention(ctx, "E1", logs.ClassSystem, 250); err != nil {
			t.Fatal(err)
		}
		rs, err := db.LogRetentions(ctx)
		if err != nil || len(rs) != 1 || rs[0].Days != 250 || rs[0].Class != logs.ClassSystem {
			t.Fatalf("%v %+v", err, rs)
		}
		if err := db.SetLogRetention(ctx, "E1", logs.ClassSystem, 0); err != nil {
			t.Fatal(err)
		}
		if rs, _ := db.LogRetentions(ctx); len(rs) != 0 {
			t.Fatalf("reset kept %+v", rs)
		}
		q := logs.Query{User: "jdupont", Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
		j := logs.Justification{Basis: logs.BasisJudicial, Reference: "PV 2026/123"}
		if err := db.JournalLogAccess(ctx, logs.Access{Establishment: "E1", Action: "search", Query: q, Justification: j, Records: 7}); err != nil {
			t.Fatal(err)
		}
		if err := db.JournalLogAccess(ctx, logs.Access{Establishment: "E1", Action: "search", Query: q, Refused: "no justification"}); err != nil {
			t.Fatal(err)
		}
		if err := db.JournalLogPurge(ctx, []logs.PurgedSegment{{Stream: "connection/E1", Establishment: "E1", Seq: 1, Records: 5},
			{Stream: "connection/E1", Establishment: "E1", Seq: 2, Records: 6}}); err != nil {
			t.Fatal(err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Chain: "E1", Action: "logs."})
		if err != nil || len(es) != 6 {
			t.Fatalf("%v: %d entries", err, len(es))
		}
		s := es[3]
		if s.Action != "logs.search" || s.Result != journal.Done || s.TargetName != "since=2026-11-01T00:00:00Z user=jdupont" ||
			s.Reason != "judicial:PV 2026/123 records=7" {
			t.Fatalf("search entry %+v", s)
		}
		if r := es[4]; r.Result != journal.Refused || r.Reason != "no justification" {
			t.Fatalf("refusal entry %+v", r)
		}
		if p := es[5]; p.Action != "logs.purge" || p.Reason == "" {
			t.Fatalf("purge entry %+v", p)
		}
	})
}
