// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// fillChain appends n entries to chain "c1" and returns them.
func fillChain(t *testing.T, db *store.DB, n int) []*journal.Entry {
	t.Helper()
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: "admin",
		Channel: core.ChannelWeb, Source: "192.0.2.7"})
	for i := range n {
		if err := db.Journal(ctx, journal.Entry{Chain: "c1", Action: "test.event", TargetType: "person",
			TargetName: fmt.Sprintf("user%d", i), Attributes: []string{"state"}}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := db.FindJournal(ctx, journal.Filter{Chain: "c1", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// CARINE: INF-ANN-4, UTI-ESF-10 — the journal is integrity-protected; any
// alteration, deletion, insertion or reordering is found and named.
func TestVerifyDetectsTampering(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		cases := []struct {
			name   string
			tamper func(ctx context.Context, db *store.DB, es []*journal.Entry) error
			what   string
			idx    int // index in es of the entry the report must name; -1: named by seq only
			seq    int64
		}{
			{"altered", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				return db.ExecForTest(ctx, `UPDATE journal SET actor_login = 'someone.else' WHERE id = $1`, es[4].ID)
			}, "altered", 4, 5},
			{"altered and re-hashed", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				e := *es[4]
				e.Reason = "covered up"
				return db.ExecForTest(ctx, `UPDATE journal SET reason = $1, hash = $2 WHERE id = $3`,
					e.Reason, journal.ComputeHash(&e), e.ID)
			}, "altered", 4, 5},
			{"deleted", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				return db.ExecForTest(ctx, `DELETE FROM journal WHERE id = $1`, es[6].ID)
			}, "deleted", -1, 7},
			{"last deleted", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				return db.ExecForTest(ctx, `DELETE FROM journal WHERE id = $1`, es[9].ID)
			}, "deleted", -1, 10},
			{"inserted", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				f := *es[9]
				f.Seq, f.PrevHash, f.TargetName = 11, es[9].Hash, "forged"
				f.Hash = journal.ComputeHash(&f)
				return db.ExecForTest(ctx, `INSERT INTO journal (chain, seq, at, actor_id, actor_login, channel, source,
					action, target_type, target_id, target_name, attributes, result, reason, prev_hash, hash)
					VALUES ($1, $2, $3, '', 'x', 'web', '', 'test.event', '', '', $4, '[]', 'done', '', $5, $6)`,
					f.Chain, f.Seq, f.At.UnixMicro(), f.TargetName, f.PrevHash, f.Hash)
			}, "inserted", 10, 11},
			{"reordered", func(ctx context.Context, db *store.DB, es []*journal.Entry) error {
				// Swap the row ids of entries 3 and 4: same contents, other order.
				return swapIDs(ctx, db, es[2].ID, es[3].ID)
			}, "reordered", 2, 4},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				db := open(t)
				es := fillChain(t, db, 10)
				rep, err := db.VerifyJournal(ctx, nil, nil)
				if err != nil || len(rep.Problems) != 0 || rep.Entries != 10 {
					t.Fatalf("untouched journal: %v %+v", err, rep)
				}
				if err := tc.tamper(ctx, db, es); err != nil {
					t.Fatal(err)
				}
				rep, err = db.VerifyJournal(ctx, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Problems) != 1 {
					t.Fatalf("want 1 problem, got %+v", rep.Problems)
				}
				p := rep.Problems[0]
				if p.What != tc.what || p.Seq != tc.seq {
					t.Fatalf("got %s, want %s at seq %d", p, tc.what, tc.seq)
				}
				if tc.idx >= 0 && tc.name != "inserted" && p.ID != es[tc.idx].ID && !(tc.name == "reordered" && p.ID == es[3].ID) {
					t.Fatalf("problem names entry #%d, want #%d: %s", p.ID, es[tc.idx].ID, p)
				}
				if tc.name == "inserted" && !strings.Contains(p.String(), "beyond the chain head") {
					t.Fatalf("inserted entry not named: %s", p)
				}
			})
		}
	})
}

func swapIDs(ctx context.Context, db *store.DB, a, b int64) error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE journal SET id = -1 WHERE id = $1`, []any{a}},
		{`UPDATE journal SET id = $1 WHERE id = $2`, []any{a, b}},
		{`UPDATE journal SET id = $1 WHERE id = -1`, []any{b}},
	} {
		if err := db.ExecForTest(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

// TestPurgeKeepsChainVerifiable purges old entries behind a signed
// checkpoint; the chain still verifies, and a forged checkpoint does not.
func TestPurgeKeepsChainVerifiable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		ctx := context.Background()
		pub, priv, _ := ed25519.GenerateKey(nil)
		clock := core.NewFakeClock(time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC))
		db := open(t)
		db2, err := store.Reopen(db, store.Config{JournalKey: priv, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			if i == 3 {
				clock.Advance(400 * 24 * time.Hour)
			}
			if err := db2.Journal(ctx, journal.Entry{Chain: "c1", Action: "test.event", TargetName: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := db2.PurgeJournal(ctx, clock.Now().Add(-365*24*time.Hour))
		if err != nil || n != 3 {
			t.Fatalf("purged %d, %v; want 3", n, err)
		}
		rep, err := db2.VerifyJournal(ctx, pub, nil)
		if err != nil || len(rep.Problems) != 0 {
			t.Fatalf("after purge: %v %+v", err, rep.Problems)
		}
		otherPub, _, _ := ed25519.GenerateKey(nil)
		rep, err = db2.VerifyJournal(ctx, otherPub, nil)
		if err != nil || len(rep.Problems) != 1 || rep.Problems[0].What != "checkpoint" {
			t.Fatalf("checkpoint signed by another key accepted: %v %+v", err, rep.Problems)
		}
		if err := db2.ExecForTest(ctx, `UPDATE journal_checkpoints SET seq = 2`); err != nil {
			t.Fatal(err)
		}
		rep, err = db2.VerifyJournal(ctx, pub, nil)
		if err != nil || len(rep.Problems) != 1 || rep.Problems[0].What != "checkpoint" {
			t.Fatalf("tampered checkpoint accepted: %v %+v", err, rep.Problems)
		}
	})
}

// CARINE: INF-ANN-6 — the newest entry about one target ID, of one
// action and result, as an application account's page asks for its last
// LDAP bind; the target's name and other targets' entries do not match.
func TestJournalNewestForTargetID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := context.Background()
		app, other := core.NewID(), core.NewID()
		for i, e := range []journal.Entry{
			{Action: "auth.login", TargetID: app, TargetName: "moodle", Source: "10.0.0.1"},
			{Action: "auth.login", TargetID: app, TargetName: "moodle", Source: "10.0.0.2"},
			{Action: "auth.login", TargetID: app, TargetName: "moodle", Source: "10.0.0.3", Result: journal.Refused},
			{Action: "auth.logout", TargetID: app, TargetName: "moodle", Source: "10.0.0.4"},
			{Action: "auth.login", TargetID: other, TargetName: app, Source: "10.0.0.5"},
		} {
			e.Chain, e.TargetType, e.Channel = journal.DeploymentChain, "person", string(core.ChannelLDAP)
			if e.Result == "" {
				e.Result = journal.Done
			}
			if err := db.Journal(ctx, e); err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
		}
		es, err := db.FindJournal(ctx, journal.Filter{TargetID: app, Action: "auth.login", Result: journal.Done,
			NewFirst: true, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Source != "10.0.0.2" {
			t.Fatalf("newest successful bind of the account: %+v, want the one from 10.0.0.2", es)
		}
		if es, err = db.FindJournal(ctx, journal.Filter{TargetID: core.NewID(), Limit: 1}); err != nil || len(es) != 0 {
			t.Fatalf("an unknown target: %d entries, %v", len(es), err)
		}
	})
}
