// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// countingBlobs counts the objects opened, by key.
type countingBlobs struct {
	blob.Store
	mu     sync.Mutex
	opened map[string]int
}

func (c *countingBlobs) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	c.mu.Lock()
	c.opened[key]++
	c.mu.Unlock()
	return c.Store.Open(ctx, key)
}

func (c *countingBlobs) reset() { c.mu.Lock(); c.opened = map[string]int{}; c.mu.Unlock() }

func (c *countingBlobs) count(suffix string) (n int, keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.opened {
		if strings.HasSuffix(k, suffix) {
			n += v
			keys = append(keys, k)
		}
	}
	return n, keys
}

// fillDays seals one segment per (day, group): each segment's records
// belong to the users of its group only.
func fillDays(t *testing.T, s *Store, days, groups int) {
	t.Helper()
	for d := 0; d < days; d++ {
		for g := 0; g < groups; g++ {
			for i := 0; i < 200; i++ {
				s.Append(Record{Time: t0.AddDate(0, 0, d).Add(time.Duration(g*200+i) * time.Second), Establishment: "est1",
					Class: ClassConnection, Source: "10.0.0.1", Service: "proxy", User: fmt.Sprintf("g%du%d", g, i%20),
					Action: "allow", Object: "https://x.example/", Result: "ok"})
			}
			if err := s.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDayIndexReadsOnlyTheUsersSegments: a search for one user over a range
// reads the day index and the segments that may hold the user, and no
// manifest; a stream sealed without an index is searched through its
// manifests and indexed at the next seal; purged segments leave the index.
// CARINE: MCO-JAL-5, MCO-JAL-2
func TestDayIndexReadsOnlyTheUsersSegments(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, nil)
	cb := &countingBlobs{Store: f.blobs, opened: map[string]int{}}
	fillDays(t, f.s, 4, 5) // 20 segments over 4 days, 5 user groups
	ro, err := Open(context.Background(), Config{Blobs: cb, Key: testKey, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	q := Query{User: "g3u7", Since: t0.AddDate(0, 0, 1), Until: t0.AddDate(0, 0, 3), Limit: 1000}
	cb.reset()
	res, err := ro.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 2*10 { // 10 records a day for this user, days 1 and 2
		t.Fatalf("%d records", len(res.Records))
	}
	for _, r := range res.Records {
		if r.User != "g3u7" || r.Time.Before(q.Since) || !r.Time.Before(q.Until) {
			t.Fatalf("record out of the query: %+v", r)
		}
	}
	if n, keys := cb.count(".man"); n != 0 {
		t.Fatalf("the search read %d manifests: %v", n, keys)
	}
	if n, keys := cb.count(".seg"); n > 2+1 { // the user's two segments (one Bloom false positive tolerated)
		t.Fatalf("the search opened %d segments: %v", n, keys)
	}
	if n, _ := cb.count(".day"); n == 0 {
		t.Fatal("no compacted day index read")
	}
	// Open ends: every day on that side, still no manifest.
	cb.reset()
	openEnd, err := ro.Search(context.Background(), Query{User: "g3u7", Since: t0.AddDate(0, 0, 2), Limit: 1000})
	if err != nil || len(openEnd.Records) != 2*10 {
		t.Fatalf("open-ended search: %v, %d records", err, len(openEnd.Records))
	}
	if n, _ := cb.count(".man"); n != 0 {
		t.Fatalf("the open-ended search read %d manifests", n)
	}

	// Without its index the stream is searched through the manifests,
	// with the same answer; the next seal by a writable store rebuilds it.
	os.RemoveAll(filepath.Join(dir, "blobs", "logs-index"))
	cb.reset()
	res2, err := ro.Search(context.Background(), q)
	if err != nil || len(res2.Records) != len(res.Records) {
		t.Fatalf("without index: %v, %d records", err, len(res2.Records))
	}
	if n, _ := cb.count(".man"); n == 0 {
		t.Fatal("without an index the search did not read the manifests")
	}
	f.s.Close()
	f = open(t, dir, nil) // a new process: the stream is indexed again at its next seal
	f.s.Append(Record{Time: t0.AddDate(0, 0, 4), Establishment: "est1", Class: ClassConnection, User: "late"})
	if err := f.s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The older segments are indexed in the background.
	fromKey := filepath.Join(dir, "blobs", "logs-index", "local", "connection", "est1", "from")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(fromKey); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream was not indexed again")
		}
	}
	ro3, _ := Open(context.Background(), Config{Blobs: cb, Key: testKey, ReadOnly: true})
	cb.reset()
	res3, err := ro3.Search(context.Background(), q)
	if err != nil || len(res3.Records) != len(res.Records) {
		t.Fatalf("rebuilt index: %v, %d records", err, len(res3.Records))
	}
	if n, _ := cb.count(".man"); n != 0 {
		t.Fatalf("the rebuilt index still reads %d manifests", n)
	}

	// A purge removes the index of the purged days; searches still answer.
	clock := core.NewFakeClock(t0.AddDate(1, 0, 1).Add(-time.Hour)) // day 0 is past its year
	if _, err := f.s.Purge(context.Background(), clock.Now(), DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", "logs-index", "local", "connection", "est1", "2026-11-02.day")); !os.IsNotExist(err) {
		t.Fatalf("the index of a purged day is still there: %v", err)
	}
	res4, err := ro3.Search(context.Background(), Query{User: "g3u7", Since: t0, Until: t0.AddDate(0, 0, 5), Limit: 1000})
	if err != nil || len(res4.Records) != 3*10 { // days 1 to 3
		t.Fatalf("after purge: %v, %d records", err, len(res4.Records))
	}
}

func TestBloomNoFalseNegatives(t *testing.T) {
	var list []string
	for i := 0; i < 3000; i++ {
		list = append(list, fmt.Sprintf("user%d", i))
	}
	b := bloomOf(list)
	fp := 0
	for i := 0; i < 3000; i++ {
		if !b.has(fmt.Sprintf("user%d", i)) {
			t.Fatalf("user%d missing", i)
		}
		if b.has(fmt.Sprintf("other%d", i)) {
			fp++
		}
	}
	if fp > 100 { // about 1 % expected
		t.Fatalf("%d false positives in 3000", fp)
	}
	var nilBloom *bloom
	if !nilBloom.has("x") {
		t.Fatal("a segment without a user filter must match everyone")
	}
}
