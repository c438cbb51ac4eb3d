// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
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

// TestQuotaSourceStatesLiveQuotas: the annex lists the establishment's
// default quota of each profile and of group and documents spaces, in
// French units, an unlimited one saying so.
// CARINE: UTI-ESF-7
func TestQuotaSourceStatesLiveQuotas(t *testing.T) {
	const gib = int64(1) << 30
	src := charter.QuotaSource(func(ctx context.Context, est string) (charter.Quotas, error) {
		if est != "E1" {
			t.Fatalf("establishment %q", est)
		}
		return charter.Quotas{Personal: map[core.Profile]int64{core.ProfilePupil: 3 * gib, core.ProfileTeacher: gib + gib/2,
			core.ProfileAdmin: 0}, Group: 512 << 20, Documents: 20 * gib}, nil
	})
	secs, err := src.AnnexSections(context.Background(), "E1")
	if err != nil || len(secs) != 1 {
		t.Fatal(err, secs)
	}
	got := strings.Join(secs[0].Items, "|")
	if want := "Élèves : 3 Go|Enseignants : 1,5 Go|Administrateurs techniques : sans limite|Espaces de classe et de groupe : 512 Mo|Documents de l’établissement : 20 Go"; secs[0].Pending || got != want {
		t.Fatalf("items %q, want %q (pending %v)", got, want, secs[0].Pending)
	}
}
