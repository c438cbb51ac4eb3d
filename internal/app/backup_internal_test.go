// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
