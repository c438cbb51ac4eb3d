// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CARINE: MCO-SVG-11 — only the demo writes the recovery key on the
// server, with a warning; the recipients file holds the public part only.
func TestDemoRecoveryKeyFile(t *testing.T) {
	data := t.TempDir()
	if err := demoRecoveryKey(data); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(data, RecoveryKeyDemoFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# DEMO ONLY — a real Préau deployment never writes its recovery key") ||
		!strings.Contains(string(b), "AGE-SECRET-KEY-1") {
		t.Fatalf("demo key file: %s", b)
	}
	pub, _ := os.ReadFile(filepath.Join(data, backupRecipientsFile))
	if strings.Contains(string(pub), "AGE-SECRET-KEY") || !strings.Contains(string(pub), "age1") {
		t.Fatalf("recipients file: %s", pub)
	}
	// A second start keeps the first key.
	if err := demoRecoveryKey(data); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(data, RecoveryKeyDemoFile)); string(again) != string(b) {
		t.Fatal("the demo key changed on restart")
	}
	if _, err := setupRecoveryKey(data, nil); err == nil {
		t.Fatal("a second recovery key set-up was accepted")
	}
}

// CARINE: MCO-SVG-2 — the scheduler runs a policy when its calendar has
// come round since the last run.
func TestBackupDue(t *testing.T) {
	last := time.Date(2026, 9, 1, 2, 30, 0, 0, time.UTC) // Tuesday's run
	for _, c := range []struct {
		schedule string
		now      time.Time
		want     bool
	}{
		{"daily 02:30", last.Add(23 * time.Hour), false},
		{"daily 02:30", last.Add(24 * time.Hour), true},
		{"weekly sun 05:00", last.Add(4 * 24 * time.Hour), false},
		{"weekly sun 05:00", time.Date(2026, 9, 6, 5, 0, 0, 0, time.UTC), true},
		{"every 6h", last.Add(3 * time.Hour), false},
		{"every 6h", last.Add(4 * time.Hour), true},
		{"n'importe quand", last.Add(1000 * time.Hour), false},
	} {
		if got := due(c.schedule, last, c.now); got != c.want {
			t.Errorf("%s at %s: due %v, want %v", c.schedule, c.now, got, c.want)
		}
	}
}
