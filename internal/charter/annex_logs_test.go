// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter_test

import (
	"context"
	"strings"
	"testing"
	"time"

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

// TestFilterSourceStatesLivePolicy: the annex lists the pupils' blocked
// categories of the establishment, the date of the lists, the national
// layer no one lifts, teacher delegation, exam mode and the one-year
// keeping of access records; without lists it says only named sites are
// filtered, and without the log store that accesses are not recorded.
// CARINE: INF-SEC-3, INF-SEC-5, INF-SEC-6, INF-SEC-8
func TestFilterSourceStatesLivePolicy(t *testing.T) {
	pol := charter.FilterPolicy{PupilBlocked: []string{"Jeux d’argent (gambling)", "drogue"}, SafeSearch: true,
		National: []string{"illegal"}, ListsDate: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC), RecordDays: 365}
	src := charter.FilterSource(func(ctx context.Context, est string) (charter.FilterPolicy, error) {
		if est != "E1" {
			t.Fatalf("establishment %q", est)
		}
		return pol, nil
	})
	secs, err := src.AnnexSections(context.Background(), "E1")
	if err != nil || len(secs) != 1 {
		t.Fatal(err, secs)
	}
	s := secs[0]
	txt := strings.Join(s.Paragraphs, "\n")
	for _, want := range []string{"importées le 20/11/2026", "aucune règle de l’établissement, aucune dérogation et aucun mode d’examen ne peut le lever",
		"Catégories du socle national : illegal.", "SafeSearch", "ouvrir ou fermer un site ou une catégorie pour une durée limitée",
		"Mode examen", "données de connexion et conservé un an, puis effacé"} {
		if !strings.Contains(txt, want) {
			t.Errorf("annex lacks %q:\n%s", want, txt)
		}
	}
	if s.Pending || s.ID != "filtering" || strings.Join(s.Items, "|") != "Jeux d’argent (gambling)|drogue" || strings.Contains(txt, "seront indiqués") {
		t.Fatalf("%+v", s)
	}
	pol = charter.FilterPolicy{}
	secs, _ = src.AnnexSections(context.Background(), "E1")
	txt = strings.Join(secs[0].Paragraphs, "\n")
	if !strings.Contains(txt, "Aucune liste n’est encore chargée") || strings.Contains(txt, "SafeSearch") ||
		!strings.Contains(txt, "les accès ne sont pas enregistrés") || strings.Contains(txt, "conservé") ||
		!strings.Contains(txt, "Aucune catégorie n’est bloquée") || len(secs[0].Items) != 0 {
		t.Fatalf("without lists nor blocks:\n%s", txt)
	}
}
