// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/compliance"
)

type backupFacts compliance.BackupFacts

func (b backupFacts) BackupFacts(context.Context) (*compliance.BackupFacts, error) {
	x := compliance.BackupFacts(b)
	return &x, nil
}

// CARINE: MCO-SVG-8 — the dates of the last verification and of the last
// restore drill appear in the report, and an overdue or failed one shows.
func TestBackupDatesInReport_MCO_SVG_8(t *testing.T) {
	f := newFake()
	facts := backupFacts{Configured: true, ScheduleSet: true, LastBackup: now.Add(-5 * time.Hour),
		LastCheck: time.Date(2026, 9, 20, 5, 0, 0, 0, time.UTC), LastCheckOK: true,
		LastDrill: now.Add(-10 * 24 * time.Hour), LastDrillOK: true, DrillDays: 90,
		PolicyText: compliance.T("chaque nuit à 02:30", "every day at 02:30")}
	rep := evaluate(t, f, func(d *compliance.Deps) { d.Backups = facts })
	r := status(t, rep, "MCO-SVG-8")
	if r.Status != compliance.Met || !strings.Contains(r.Evidence.FR, "2026-09-20 (réussie)") ||
		!strings.Contains(r.Evidence.FR, "Dernier exercice de restauration : "+now.Add(-10*24*time.Hour).Format("2006-01-02")) {
		t.Fatalf("MCO-SVG-8: %+v", r)
	}
	if r := status(t, rep, "MCO-SVG-1"); r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "last successful backup on "+now.Add(-5*time.Hour).Format("2006-01-02")) {
		t.Fatalf("MCO-SVG-1: %+v", r)
	}
	if r := status(t, rep, "MCO-SVG-2"); r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "by modification date") {
		t.Fatalf("MCO-SVG-2: %+v", r)
	}
	// No successful backup for more than three days: partly met.
	stale := facts
	stale.LastBackup = now.Add(-100 * time.Hour)
	if r := status(t, evaluate(t, f, func(d *compliance.Deps) { d.Backups = stale }), "MCO-SVG-1"); r.Status != compliance.Partly ||
		!strings.Contains(r.Evidence.EN, "more than three days") {
		t.Fatalf("stale backup: %+v", r)
	}
	// A drill older than the policy's interval: partly met.
	facts.LastDrill = now.Add(-100 * 24 * time.Hour)
	if r := status(t, evaluate(t, f, func(d *compliance.Deps) { d.Backups = facts }), "MCO-SVG-8"); r.Status != compliance.Partly ||
		!strings.Contains(r.Evidence.EN, "overdue") {
		t.Fatalf("overdue drill: %+v", r)
	}
	// A failed check: not met.
	facts.LastCheckOK = false
	if r := status(t, evaluate(t, f, func(d *compliance.Deps) { d.Backups = facts }), "MCO-SVG-8"); r.Status != compliance.NotMet ||
		!strings.Contains(r.Evidence.EN, "FAILED") {
		t.Fatalf("failed check: %+v", r)
	}
	// Nothing set up: not met.
	f.backup = nil
	if r := status(t, evaluate(t, f), "MCO-SVG-1"); r.Status != compliance.NotMet {
		t.Fatalf("no backup: %+v", r)
	}
}
