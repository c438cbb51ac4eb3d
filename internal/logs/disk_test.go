// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

// TestDiskLevelsAndEmergencySealing: the store grades its disk against the
// configured thresholds; when critical it raises DiskAlarm and seals spools
// after a minute instead of its seal interval, and it keeps running (and
// reports) when the measure fails.
// CARINE: MCO-JAL-2
func TestDiskLevelsAndEmergencySealing(t *testing.T) {
	clock := core.NewFakeClock(t0)
	var used atomic.Int64 // percent
	used.Store(50)
	var fail atomic.Bool
	usage := func(string) (uint64, uint64, error) {
		if fail.Load() {
			return 0, 0, errors.New("statfs: input/output error")
		}
		return 1000, uint64(1000 - 10*used.Load()), nil
	}
	f := open(t, t.TempDir(), func(c *Config) {
		c.Clock, c.DiskUsage, c.DiskWarn, c.DiskCritical = clock, usage, 80, 90
		c.DiskCheckInterval, c.SealInterval = time.Second, time.Hour
	})
	waitLevel := func(want DiskLevel) DiskStatus {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			clock.Advance(2 * time.Second)
			d := f.s.Stats().Disk
			if d.Level == want || time.Now().After(deadline) {
				if d.Level != want {
					t.Fatalf("disk level %v, want %v (%+v)", d.Level, want, d)
				}
				return d
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if d := f.s.Stats().Disk; d.Level != DiskOK || d.UsedPercent() != 50 {
		t.Fatalf("at open: %+v", d)
	}
	used.Store(85)
	if d := waitLevel(DiskWarning); !strings.Contains(d.String(), "85.0% full") {
		t.Fatalf("warning text: %s", d)
	}
	select {
	case <-f.s.DiskAlarm():
		t.Fatal("alarm at the warning level")
	default:
	}
	f.s.Append(rec(1, "est1", ClassConnection))
	used.Store(93)
	waitLevel(DiskCritical)
	select {
	case <-f.s.DiskAlarm():
	case <-time.After(5 * time.Second):
		t.Fatal("no alarm at the critical level")
	}
	// Emergency sealing: the spool opened over a minute ago (fake clock)
	// is sealed although the seal interval is an hour.
	deadline := time.Now().Add(10 * time.Second)
	for f.s.Stats().Segments == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the spool was not sealed while the disk is critical")
		}
		clock.Advance(10 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	fail.Store(true)
	deadline = time.Now().Add(10 * time.Second)
	for f.s.Stats().Disk.Err == "" {
		if time.Now().After(deadline) {
			t.Fatal("a failed measure is not reported")
		}
		clock.Advance(2 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	f.s.Append(rec(2, "est1", ClassConnection))
	if err := f.s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}
