// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/preau/preau/internal/charter"
)

// TestLogRetentionSourceStatesEachClass: with the log service running, the
// annex lists each log class's live retention and basis, and no longer says
// nothing is collected.
// CARINE: MCO-JAL-4
func TestLogRetentionSourceStatesEachClass(t *testing.T) {
	src := charter.LogRetentionSource(0, func(ctx context.Context, est string) ([]charter.LogRetention, error) {
		if est != "E1" {
			t.Fatalf("establishment %q", est)
		}
		return []charter.LogRetention{{Label: "Données de connexion", Days: 400, Basis: "LCEN."},
			{Label: "Journaux système", Days: 183, Basis: "CNIL."}}, nil
	})
	secs, err := src.AnnexSections(context.Background(), "E1")
	if err != nil || len(secs) != 1 {
		t.Fatal(err, secs)
	}
	s := secs[0]
	if s.Pending || len(s.Items) != 2 || s.Items[0] != "Données de connexion : 400 jours. LCEN." ||
		strings.Contains(strings.Join(s.Paragraphs, " "), "n’est pas activé") {
		t.Fatalf("%+v", s)
	}
}
