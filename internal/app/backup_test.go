// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo/demoseed"
	"github.com/preau/preau/internal/store"
)

func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := app.Run(context.Background(), args, app.Env{Getenv: func(string) string { return "" },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cli(t, args...)
	if err != nil {
		t.Fatalf("preau %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// seedDemo fills data with the deterministic demo school (passwords hashed
// by a stand-in: this test logs nobody in) and a few users' files in the
// blob store, as the file service will keep them.
func seedDemo(t *testing.T, data string) string {
	t.Helper()
	mustCLI(t, "journal", "verify", "--data", data) // creates the database and the journal key
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:demo", core.ChannelJob))
	db, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &demoseed.Seeder{Store: db, Hash: func(string) string { return "$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA" },
		DataDir: data, Clock: core.SystemClock{}}
	d, err := s.Run(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]string{
		"files/alice/notes.txt":    "notes d'Alice, version 1",
		"files/alice/cours/m1.txt": strings.Repeat("mathématiques ", 5000),
		"files/bob/devoir.txt":     "devoir de Bob",
		"files/shared/charte.pdf":  strings.Repeat("%PDF ", 20000),
	} {
		writeFile(t, filepath.Join(blobDir(data), p), c)
	}
	return d.Establishments[0].People[10].Login
}

// blobDir is where app.New keeps blobs for a data folder (bloburl puts a
// "blobs" folder inside the folder app.New names).
func blobDir(data string) string {
	t, err := bloburl.Parse("", filepath.Join(data, "blobs"), nil)
	if err != nil {
		panic(err)
	}
	return t.FS.Dir
}

func writeFile(t *testing.T, p, c string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
}

func hashTree(t *testing.T, root string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = sha256.Sum256(b)
		return nil
	})
	return out
}

// dumpTables returns each table's rows (as JSON lines, sorted), from a
// logical dump of the data folder's database.
func dumpTables(t *testing.T, data string) map[string][]string {
	return dumpTablesDSN(t, data, "")
}

func dumpTablesDSN(t *testing.T, data, dsn string) map[string][]string {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: data, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	if err := db.DumpLogical(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(buf.String(), "\n") {
		var h struct {
			Table string `json:"table"`
		}
		if json.Unmarshal([]byte(line), &h) == nil && h.Table != "" {
			cur = h.Table
			continue
		}
		if strings.HasPrefix(line, `{"r":`) {
			out[cur] = append(out[cur], line)
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

var snapRE = regexp.MustCompile(`snapshot ([0-9a-f]{8}) saved`)

// CARINE: MCO-SVG-1, MCO-SVG-3, MCO-SVG-13 — the demo school is backed
// up, people and files change, a folder comes back as it was at a point in
// time, and a disaster restore onto a fresh data folder gives back the
// same database, files and keys, with a journal that verifies.
func TestBackupDemoSchoolRestore(t *testing.T) {
	data, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	keyFile := filepath.Join(t.TempDir(), "recovery-key.txt")
	someone := seedDemo(t, data)

	out := mustCLI(t, "backup", "run", "--data", data, "--repo", repo, "--key-out", keyFile, "--quiet")
	m := snapRE.FindStringSubmatch(out)
	// Both folders are under the same temporary folder: the run warns (MCO-SVG-5).
	if m == nil || !strings.Contains(out, "Recovery key written to") || !strings.Contains(out, "same disk as the data folder") {
		t.Fatalf("first run: %s", out)
	}
	snap1 := m[1]
	if b, _ := os.ReadFile(keyFile); !bytes.Contains(b, []byte("AGE-SECRET-KEY-1")) {
		t.Fatal("no recovery key written")
	}
	// The data folder keeps only the public part.
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("AGE-SECRET-KEY-1")) {
				t.Fatalf("%s holds a private recovery key", p)
			}
		}
		return nil
	})
	alice1 := hashTree(t, filepath.Join(blobDir(data), "files", "alice"))

	// Changes: a person disabled, a file changed, a file deleted.
	time.Sleep(10 * time.Millisecond)
	mustCLI(t, "user", "disable", someone, "--data", data)
	writeFile(t, filepath.Join(blobDir(data), "files", "alice", "notes.txt"), "notes d'Alice, version 2")
	os.Remove(filepath.Join(blobDir(data), "files", "bob", "devoir.txt"))
	out = mustCLI(t, "backup", "run", "--data", data, "--repo", repo, "--quiet")
	snap2 := snapRE.FindStringSubmatch(out)[1]
	if !strings.Contains(out, "added") {
		t.Fatal(out)
	}
	wantTables := dumpTables(t, data) // the database as the second snapshot saw it (plus its run)
	wantBlobs := hashTree(t, blobDir(data))
	wantKeys := hashTree(t, filepath.Join(data, "keys"))

	list := mustCLI(t, "backup", "list", "--data", data, "--repo", repo)
	if !strings.Contains(list, snap1) || !strings.Contains(list, snap2) {
		t.Fatalf("list: %s", list)
	}
	if out := mustCLI(t, "backup", "check", "--data", data, "--repo", repo, "--quiet"); !strings.Contains(out, "repository OK") {
		t.Fatal(out)
	}
	if out := mustCLI(t, "backup", "check", "--data", data, "--repo", repo, "--key", keyFile, "--quiet"); !strings.Contains(out, "journal verifies") {
		t.Fatalf("drill: %s", out)
	}

	// The policy is stored and journaled; the report shows the dates of
	// the last check and drill, and the charter annex the live policy.
	mustCLI(t, "backup", "policy", "set", "--data", data, "--repo", repo, "--schedule", "weekdays 21:00", "--keep-daily", "30")
	rep := mustCLI(t, "compliance", "--data", data)
	today := time.Now().UTC().Format("2006-01-02")
	if !strings.Contains(rep, "Dernier exercice de restauration : "+today+" (réussi)") || !strings.Contains(rep, "du lundi au vendredi à 21:00") {
		t.Fatalf("compliance report lacks the backup dates or policy:\n%s", grepLines(rep, "MCO-SVG"))
	}

	// Selective, point in time: Alice's folder as in the first snapshot,
	// beside; then Bob's deleted file in place.
	if _, err := cli(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1,
		"--path", "blobs/files/alice", "--target", t.TempDir()); err == nil {
		t.Fatal("a selective restore without --reason was accepted")
	}
	beside := t.TempDir()
	mustCLI(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1, "--quiet",
		"--path", "blobs/files/alice", "--target", beside, "--reason", "demande de l'élève (ticket 42)")
	if got := hashTree(t, filepath.Join(beside, "blobs", "files", "alice")); len(got) != len(alice1) || got["notes.txt"] != alice1["notes.txt"] {
		t.Fatalf("alice at snapshot 1: %v", got)
	}
	mustCLI(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1, "--quiet",
		"--path", "blobs/files/bob/devoir.txt", "--in-place", "--reason", "demande de Bob")
	if b, _ := os.ReadFile(filepath.Join(blobDir(data), "files", "bob", "devoir.txt")); string(b) != "devoir de Bob" {
		t.Fatalf("in place: %q", b)
	}
	if j := mustCLI(t, "journal", "export", "--data", data); !strings.Contains(j, "legal basis: demande de Bob") {
		t.Fatal("the selective restore is not journaled with its legal basis")
	}

	// Disaster: everything onto a fresh data folder.
	fresh := filepath.Join(t.TempDir(), "new-data")
	if _, err := cli(t, "restore", "--data", data, "--repo", repo, "--key", filepath.Join(t.TempDir(), "nokey")); err == nil {
		t.Fatal("restore without a readable key")
	}
	out = mustCLI(t, "restore", "--data", fresh, "--repo", repo, "--key", keyFile, "--snapshot", snap2, "--quiet")
	if !strings.Contains(out, "journal OK") {
		t.Fatalf("disaster restore: %s", out)
	}
	mustCLI(t, "journal", "verify", "--data", fresh)
	got := dumpTables(t, fresh)
	for table, rows := range wantTables {
		g := got[table]
		switch table {
		case "backup_runs": // the live folder recorded the second run after its snapshot
			g, rows = nil, nil
		case "journal": // backup runs and the restore are journaled after their snapshot
			g, rows = filterOut(g, "backup."), filterOut(rows, "backup.")
		case "journal_heads": // … on the deployment chain, whose head moved on
			g, rows = filterOut(g, "deployment"), filterOut(rows, "deployment")
		}
		if strings.Join(g, "\n") != strings.Join(rows, "\n") {
			t.Fatalf("table %s differs after the disaster restore (%d rows, want %d)", table, len(g), len(rows))
		}
	}
	if len(got["people"]) < 2000 {
		t.Fatalf("the restored school has %d people", len(got["people"]))
	}
	if g := hashTree(t, filepath.Join(fresh, "keys")); !equalHashes(g, wantKeys) {
		t.Fatal("keys differ after restore")
	}
	if g := hashTree(t, blobDir(fresh)); !equalHashes(g, wantBlobs) {
		t.Fatalf("blobs differ after restore: %d vs %d", len(g), len(wantBlobs))
	}
	// A restore never writes over a deployment.
	if _, err := cli(t, "restore", "--data", fresh, "--repo", repo, "--key", keyFile); err == nil {
		t.Fatal("a disaster restore into a non-empty folder was accepted")
	}
}

func filterOut(rows []string, sub string) []string {
	var out []string
	for _, r := range rows {
		if !strings.Contains(r, sub) {
			out = append(out, r)
		}
	}
	return out
}

func equalHashes(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
