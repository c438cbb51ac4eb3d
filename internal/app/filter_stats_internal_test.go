// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"testing"
	"time"

	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

type recordSink []logs.Record

func (s *recordSink) Append(r logs.Record) { *s = append(*s, r) }

// CARINE: MCO-SEI-5, MCO-SEI-8 — the proxy's decisions are counted per
// establishment and day (allowed, blocked by a rule, bytes), never per
// person, and every record still reaches the log store; counts that could
// not be stored come back at the next flush.
func TestInternetCounter(t *testing.T) {
	var next recordSink
	c := newInternetCounter(&next)
	at := time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
	for _, r := range []logs.Record{
		{Time: at, Service: "proxy", Establishment: "e1", User: "zoe", Action: "allow", Fields: map[string]string{"bytes": "1500"}},
		{Time: at, Service: "proxy", Establishment: "e1", User: "zoe", Action: "allow", Fields: map[string]string{"bytes": "500"}},
		{Time: at, Service: "proxy", Establishment: "e1", User: "leo", Action: "block", Fields: map[string]string{"rule": "category:adult"}},
		{Time: at, Service: "proxy", Action: "block", Fields: map[string]string{"rule": "auth", "status": "407"}},
		{Time: at, Service: "dns", Establishment: "e1", Action: "block"},
		{Time: at.Add(24 * time.Hour), Service: "proxy", Establishment: "e2", Action: "allow", Fields: map[string]string{"bytes": "42"}},
	} {
		c.Append(r)
	}
	if len(next) != 6 {
		t.Fatalf("%d records reached the log store, want 6", len(next))
	}
	got := map[string]store.FilterDay{}
	for _, d := range c.take() {
		got[d.Establishment+" "+d.Day] = d
	}
	if d := got["e1 2026-11-30"]; len(got) != 2 || d.Allowed != 2 || d.Blocked != 1 || d.Bytes != 2000 {
		t.Fatalf("counts: %+v", got)
	}
	if d := got["e2 2026-12-01"]; d.Allowed != 1 || d.Bytes != 42 {
		t.Fatalf("next day: %+v", got)
	}
	if len(c.take()) != 0 {
		t.Fatal("a take did not start afresh")
	}
	c.giveBack([]store.FilterDay{got["e1 2026-11-30"]})
	c.Append(logs.Record{Time: at, Service: "proxy", Establishment: "e1", Action: "allow", Fields: map[string]string{"bytes": "1"}})
	if again := c.take(); len(again) != 1 || again[0].Allowed != 3 || again[0].Bytes != 2001 {
		t.Fatalf("given back: %+v", again)
	}
}
