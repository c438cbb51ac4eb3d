// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsblob

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDirSyncerShares: 32 commits waiting on one folder while a sync runs are
// all served by one further sync (2 in all, not 32), each returns only after
// a sync that began after it called, and a failed sync fails its waiters.
func TestDirSyncerShares(t *testing.T) {
	var clock atomic.Int64 // a logical clock: the order of events
	type span struct{ start, end int64 }
	var mu sync.Mutex
	var syncs []span
	release := make(chan struct{})
	fail := errors.New("disk gone")
	var calls atomic.Int32
	ds := &dirSyncer{sync: func(dir string) error {
		n := calls.Add(1)
		start := clock.Add(1)
		if n == 1 {
			<-release // the first sync is slow: the others pile up behind it
		}
		end := clock.Add(1)
		mu.Lock()
		syncs = append(syncs, span{start, end})
		mu.Unlock()
		if n == 2 {
			return fail
		}
		return nil
	}}
	type result struct {
		called, returned int64
		err              error
	}
	results := make(chan result, 32)
	call := func() {
		c := clock.Add(1)
		err := ds.syncDir("/d")
		results <- result{c, clock.Add(1), err}
	}
	go call()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range 31 {
		go call()
	}
	waiting := func() int {
		ds.mu.Lock()
		defer ds.mu.Unlock()
		if d := ds.dirs["/d"]; d != nil {
			return d.users
		}
		return 0
	}
	for waiting() < 32 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	failed := 0
	for range 32 {
		r := <-results
		mu.Lock()
		covered := false
		for _, s := range syncs {
			if s.start > r.called && s.end < r.returned {
				covered = true
			}
		}
		mu.Unlock()
		if !covered {
			t.Errorf("a commit called at %d returned at %d without a sync in between (syncs %v)", r.called, r.returned, syncs)
		}
		if errors.Is(r.err, fail) {
			failed++
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d folder syncs for 32 concurrent commits, want 2", n)
	}
	if failed != 31 {
		t.Errorf("%d commits saw the failed sync, want the 31 it served", failed)
	}
	if len(ds.dirs) != 0 {
		t.Errorf("the syncer keeps %d idle entries", len(ds.dirs))
	}
}
