// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"fmt"
	"time"
)

// Disk watching (MCO-JAL-2, issue 8). The writer measures the free space of
// the folders the store writes to (the spool and, for a local blob store,
// the blob folder) every DiskCheckInterval. Policy, in docs/logs.md:
//
//   - above DiskWarn percent used: a warning (the "logs" self-check fails
//     with the figures and the days left at the current rate);
//   - above DiskCritical percent used: a critical alert, and the store
//     keeps the newest records safe: spools are sealed every minute
//     instead of every SealInterval (a sealed segment takes about a
//     twentieth of its spool), and DiskAlarm fires so that the server
//     purges at once the segments already past their retention. Nothing
//     younger than its legal retention is deleted to make room;
//   - when the disk is full, writes fail without stopping the store: the
//     records stay in memory and sealing is retried; once the bounded
//     buffer is full, TCP senders are slowed down and the rest is dropped
//     and counted (Stats.Dropped, a "logs/drop" record), never a crash.

// DiskLevel grades the log disk's fullness.
type DiskLevel int

// Levels.
const (
	DiskOK DiskLevel = iota
	DiskWarning
	DiskCritical
)

func (l DiskLevel) String() string {
	switch l {
	case DiskWarning:
		return "warning"
	case DiskCritical:
		return "critical"
	}
	return "ok"
}

// DiskStatus is the last measure of the fullest watched folder.
type DiskStatus struct {
	Path        string
	Total, Free uint64
	Level       DiskLevel
	Checked     time.Time
	Err         string // the measure failed
}

// UsedPercent returns how full the disk is, in percent.
func (d DiskStatus) UsedPercent() float64 {
	if d.Total == 0 {
		return 0
	}
	return 100 * float64(d.Total-d.Free) / float64(d.Total)
}

// String describes the status for an alert.
func (d DiskStatus) String() string {
	if d.Err != "" {
		return fmt.Sprintf("disk of %s: %s", d.Path, d.Err)
	}
	return fmt.Sprintf("log disk %s %.1f%% full (%s free of %s)", d.Path, d.UsedPercent(), bytesIEC(d.Free), bytesIEC(d.Total))
}

func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// emergencySeal is the seal interval while the disk is critical.
const emergencySeal = time.Minute

// checkDisk measures the watched folders and keeps the fullest one.
func (s *Store) checkDisk(now time.Time) {
	if s.cfg.DiskUsage == nil {
		return
	}
	var worst DiskStatus
	for _, p := range s.cfg.DiskPaths {
		total, free, err := s.cfg.DiskUsage(p)
		d := DiskStatus{Path: p, Total: total, Free: free, Checked: now}
		if err != nil {
			d.Err = err.Error()
		} else {
			switch used := d.UsedPercent(); {
			case used >= float64(s.cfg.DiskCritical):
				d.Level = DiskCritical
			case used >= float64(s.cfg.DiskWarn):
				d.Level = DiskWarning
			}
		}
		if worst.Path == "" || d.Level > worst.Level || d.Level == worst.Level && d.Err == "" && d.UsedPercent() > worst.UsedPercent() {
			worst = d
		}
	}
	prev := s.Disk().Level
	s.disk.Store(worst)
	if worst.Level == DiskCritical && prev != DiskCritical {
		s.cfg.Log.Error("log disk critically full: sealing every minute, purging what is past retention", "disk", worst.String())
		select {
		case s.alarm <- struct{}{}:
		default:
		}
	} else if worst.Level == DiskWarning && prev == DiskOK {
		s.cfg.Log.Warn("log disk filling up", "disk", worst.String())
	}
}

// Disk returns the last measure of the log disk (zero when not watched).
func (s *Store) Disk() DiskStatus {
	d, _ := s.disk.Load().(DiskStatus)
	return d
}

// DiskAlarm fires when the log disk becomes critically full: the server
// then purges the segments past their retention at once.
func (s *Store) DiskAlarm() <-chan struct{} { return s.alarm }

// sealEvery returns the seal interval in force.
func (s *Store) sealEvery() time.Duration {
	if s.Disk().Level == DiskCritical {
		return min(s.cfg.SealInterval, emergencySeal)
	}
	return s.cfg.SealInterval
}
