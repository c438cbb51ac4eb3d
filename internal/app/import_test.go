// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/core"
)

// TestImportCSVCommand drives `preau import` on a CSV file: a dry run
// changes nothing, the import creates the accounts and prints their initial
// passwords once, a second run changes nothing, and the birth-date column
// never reaches the database (INF-ANN-6, INF-ANN-8).
func TestImportCSVCommand_INF_ANN_6(t *testing.T) {
	n := startNode(t)
	csvPath := filepath.Join(t.TempDir(), "eleves.csv")
	os.WriteFile(csvPath, []byte("uai;profil;identifiant;prenom;nom;classe;date_naissance;telephone\n"+
		"0999001W;élève;E1;Zoé;Martin;4B;14/05/2012;0601020304\n"+
		"0999001W;élève;E2;Léo;N'Diaye;4B;03/02/2012;0605060708\n"+
		"0999001W;enseignant;P1;Paul;Durand;;;\n"), 0o600)
	// CARINE: INF-ANN-7 — a generic source needs its declaration first.
	var refused bytes.Buffer
	err := app.Run(context.Background(), []string{"import", csvPath, "--dry-run", "--data", n.data},
		app.Env{Getenv: func(string) string { return "" }, Stdout: &refused, Stderr: &refused})
	if !core.IsKind(err, core.Permission) || !strings.Contains(err.Error(), "preau import declare csv --uai 0999001W") {
		t.Fatalf("undeclared CSV: %v", err)
	}
	n.cli("import", "declare", "csv", "--uai", "0999001W", "--reference", "RT-2026-014",
		"--justification", "pupils of the music section are in no national file")
	n.cli("import", "declare", "ldif", "--uai", "0999001W", "--reference", "RT-2026-015",
		"--justification", "accounts kept from the former directory during the move")
	if out := n.cli("import", "declare", "--uai", "0999001W"); !strings.Contains(out, `CSV   reference "RT-2026-014"`) ||
		!strings.Contains(out, "pupils of the music section") {
		t.Fatalf("declarations:\n%s", out)
	}
	out := n.cli("import", csvPath, "--dry-run")
	if !strings.Contains(out, "3 to create") || !strings.Contains(out, "Dry run") || !strings.Contains(out, "date_naissance") {
		t.Fatalf("dry run:\n%s", out)
	}
	if strings.Contains(n.cli("user", "list"), "zoe.martin") {
		t.Fatal("a dry run created accounts")
	}
	out = n.cli("import", "csv", csvPath, "--mode", "full")
	if !strings.Contains(out, "zoe.martin,Zoé Martin,pupil,4B,") || !strings.Contains(out, "leo.ndiaye") {
		t.Fatalf("import:\n%s", out)
	}
	if out := n.cli("import", csvPath, "--mode", "full"); !strings.Contains(out, "Nothing to change") {
		t.Fatalf("re-import:\n%s", out)
	}
	for _, secret := range []string{"14/05/2012", "0601020304", "2012-05-14"} {
		if dbContains(t, n.data, secret) {
			t.Fatalf("%s reached the database", secret)
		}
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, `"action":"directory.import.run"`) ||
		strings.Contains(out, "14/05/2012") {
		t.Fatal("import run not journaled, or a birth date in the journal")
	}
	// Exports carry no secret and name the people.
	ldif := n.cli("export", "ldif", "--uai", "0999001W")
	if !strings.Contains(ldif, "dn: uid=zoe.martin,ou=people,ou=0999001W,dc=preau") || strings.Contains(ldif, "argon2") ||
		!strings.Contains(ldif, "givenName:: Wm/DqQ==") {
		t.Fatalf("LDIF export:\n%s", ldif)
	}
	dir := t.TempDir()
	n.cli("export", "oneroster", "--out", dir)
	users, err := os.ReadFile(filepath.Join(dir, "users.csv"))
	if err != nil || !strings.Contains(string(users), ",student,zoe.martin,") {
		t.Fatalf("OneRoster users: %v\n%s", err, users)
	}
	enr, _ := os.ReadFile(filepath.Join(dir, "enrollments.csv"))
	if strings.Count(string(enr), ",student,") != 2 {
		t.Fatalf("OneRoster enrollments:\n%s", enr)
	}
	// An LDIF export of another directory: previewed, with its birth dates
	// and password hashes dropped.
	ldifPath := filepath.Join(t.TempDir(), "ancien.ldif")
	os.WriteFile(ldifPath, []byte("version: 1\n\ndn: uid=ana.lopez,ou=people,ou=0999001W,dc=old\nobjectClass: inetOrgPerson\n"+
		"uid: ana.lopez\ngivenName: Ana\nsn: Lopez\nENTPersonProfils: National_ENS\n"+
		"ENTPersonStructRattach: ou=0999001W,dc=old\nENTPersonDateNaissance: 01/02/1980\nuserPassword: {SSHA}xyz\n"), 0o600)
	if out := n.cli("import", "ldif", ldifPath, "--dry-run"); !strings.Contains(out, "1 to create") ||
		!strings.Contains(out, "entpersondatenaissance ×1") || !strings.Contains(out, "userpassword ×1") {
		t.Fatalf("LDIF dry run:\n%s", out)
	}
	var errb bytes.Buffer
	err = app.Run(context.Background(), []string{"import", "siecle", csvPath, "--data", n.data},
		app.Env{Getenv: func(string) string { return "" }, Stdout: &errb, Stderr: &errb})
	if err == nil || !strings.Contains(err.Error(), "is a csv file, not siecle") {
		t.Fatalf("wrong source word: %v", err)
	}
}

// dbContains reports whether any file of the database (main file, WAL)
// holds s.
func dbContains(t *testing.T, data, s string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "preau.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
