// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/store"
)

// pupilFiles opens the data folder's file service acting as a pupil of the
// demo school, for the duration of fn.
func pupilFiles(t *testing.T, data string, fn func(ctx context.Context, svc *files.Service, db *store.DB, p *directory.Person)) {
	t.Helper()
	sys := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelJob))
	db, err := store.Open(sys, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := bloburl.Open(sys, "", filepath.Join(data, "blobs"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := db.FindPeople(sys, directory.PersonFilter{Profile: string(core.ProfilePupil), Sort: "login", Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatalf("no pupil in the demo school: %v", err)
	}
	p := ps[0]
	svc := files.New(files.Deps{Store: db, Blobs: blobs, People: db, Settings: db, Config: files.DefaultConfig()})
	ctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
		Profile: p.Profile, Establishments: p.Establishments})
	fn(ctx, svc, db, p)
}

func readVFile(t *testing.T, ctx context.Context, svc *files.Service, p string) string {
	t.Helper()
	rc, _, err := svc.Open(ctx, p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// TestBackupRestoreByName backs up a pupil's space, deletes a folder and
// a file and changes another, then restores by name at the earlier
// snapshot: the folder and the file come back identical at their place, a
// restore beside keeps the current version next to the old one, a restore
// beyond the quota is refused before writing anything, private data needs
// a legal basis, and every restore is journaled with it. The snapshot's
// tree is browsed by name and two snapshots are compared.
// CARINE: MCO-SVG-1, MCO-SVG-3, MCO-SVG-11, MCO-SVG-13
func TestBackupRestoreByName(t *testing.T) {
	data, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	seedDemo(t, data)
	big := strings.Repeat("diapositive ", 40000)
	var login string
	pupilFiles(t, data, func(ctx context.Context, svc *files.Service, _ *store.DB, p *directory.Person) {
		login = p.Login
		for path, c := range map[string]string{
			"/home/Exposé/plan.txt":         "1. Introduction\n2. Développement",
			"/home/Exposé/images/diapo.odp": big,
			"/home/notes.txt":               "notes, version 1",
			"/home/PERSONNEL/journal.txt":   "mon journal",
		} {
			if err := svc.MkdirAll(ctx, filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Put(ctx, path, strings.NewReader(c), files.PutOptions{Size: -1}); err != nil {
				t.Fatal(err)
			}
		}
	})
	out := mustCLI(t, "backup", "run", "--data", data, "--repo", repo, "--key-out", keyFile, "--quiet")
	snap1 := snapRE.FindStringSubmatch(out)[1]
	time.Sleep(10 * time.Millisecond)
	between := time.Now().UTC() // after the first snapshot, before the second
	time.Sleep(10 * time.Millisecond)

	// The pupil deletes a folder and a file and changes another.
	pupilFiles(t, data, func(ctx context.Context, svc *files.Service, _ *store.DB, _ *directory.Person) {
		for _, p := range []string{"/home/Exposé", "/home/PERSONNEL/journal.txt"} {
			if err := svc.Remove(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Put(ctx, "/home/notes.txt", strings.NewReader("notes, version 2"), files.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	})
	out = mustCLI(t, "backup", "run", "--data", data, "--repo", repo, "--quiet")
	snap2 := snapRE.FindStringSubmatch(out)[1]

	// Browse by name, and compare.
	ls := mustCLI(t, "backup", "ls", "--data", data, "--repo", repo, "--key", keyFile, snap1, "files/"+login+"/Exposé")
	if !strings.Contains(ls, "plan.txt") || !strings.Contains(ls, "images/") {
		t.Fatalf("ls: %s", ls)
	}
	if _, err := cli(t, "backup", "ls", "--repo", repo, snap1); err == nil {
		t.Fatal("ls without the recovery key worked")
	}
	diff := mustCLI(t, "backup", "diff", "--repo", repo, "--key", keyFile, snap1, snap2)
	for _, want := range []string{"- files/" + login + "/Exposé/plan.txt", "M files/" + login + "/notes.txt", "- files/" + login + "/PERSONNEL/journal.txt"} {
		if !strings.Contains(diff, want) {
			t.Fatalf("diff lacks %q:\n%s", want, diff)
		}
	}

	// Private data without a legal basis: refused.
	if out, err := cli(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1,
		"--person", login, "--path", "/PERSONNEL"); err == nil || !strings.Contains(out+err.Error(), "--reason") {
		t.Fatalf("restore of private data without a reason: %v %s", err, out)
	}
	// By name, at the earlier snapshot, to the original place.
	out = mustCLI(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--at", between.Format(time.RFC3339Nano),
		"--person", login, "--path", "/Exposé", "--reason", "demande de l'élève, ticket 42")
	if !strings.Contains(out, "from snapshot "+snap1) {
		t.Fatalf("--at did not pick the earlier snapshot: %s", out)
	}
	mustCLI(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1,
		"--person", login, "--path", "/PERSONNEL/journal.txt", "--reason", "demande de l'élève, ticket 43")
	// Beside: the current version stays.
	mustCLI(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1,
		"--person", login, "--path", "/notes.txt", "--beside", "--reason", "demande de l'élève, ticket 44")
	besideName := backup.BesideName("notes.txt", time.Now(), false)
	pupilFiles(t, data, func(ctx context.Context, svc *files.Service, db *store.DB, p *directory.Person) {
		for path, want := range map[string]string{
			"/home/Exposé/plan.txt":         "1. Introduction\n2. Développement",
			"/home/Exposé/images/diapo.odp": big,
			"/home/PERSONNEL/journal.txt":   "mon journal",
			"/home/notes.txt":               "notes, version 2",
			"/home/" + besideName:           "notes, version 1",
		} {
			if got := readVFile(t, ctx, svc, path); got != want {
				t.Fatalf("%s after restore: %.60q, want %.60q", path, got, want)
			}
		}
		// The quota: a space too small for the restore refuses it whole.
		sys := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelJob))
		q, err := svc.Quota(ctx, "/home")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetQuota(sys, files.Personal, p.Login, q.Used+1000); err != nil {
			t.Fatal(err)
		}
	})
	out, err := cli(t, "restore", "--data", data, "--repo", repo, "--key", keyFile, "--snapshot", snap1,
		"--person", login, "--path", "/Exposé", "--beside", "--reason", "demande de l'élève")
	if err == nil || !strings.Contains(out+err.Error(), "quota") {
		t.Fatalf("restore beyond the quota: %v %s", err, out)
	}
	pupilFiles(t, data, func(ctx context.Context, svc *files.Service, db *store.DB, _ *directory.Person) {
		es, err := svc.List(ctx, "/home")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if strings.Contains(e.Name, "restauré") && strings.HasPrefix(e.Name, "Exposé") {
				t.Fatalf("a refused restore left %s", e.Name)
			}
		}
		runs, err := db.BackupRuns(ctx, backup.OpRestore, 10)
		if err != nil {
			t.Fatal(err)
		}
		if looks, err := db.BackupRuns(ctx, "browse", 10); err != nil || len(looks) != 1 || !strings.Contains(looks[0].Detail, "Exposé") {
			t.Fatalf("the CLI browse is not journaled: %v %+v", err, looks)
		}
		var basis, private, failed bool
		for _, r := range runs {
			basis = basis || strings.Contains(r.Detail, "legal basis: demande de l'élève, ticket 42")
			private = private || (strings.Contains(r.Detail, "PERSONNEL") && strings.Contains(r.Detail, "private data: yes"))
			failed = failed || (r.Result == "failed" && strings.Contains(r.Detail, "quota"))
		}
		if !basis || !private || !failed {
			t.Fatalf("restores not journaled with their basis (%v), private flag (%v), refusal (%v): %+v", basis, private, failed, runs)
		}
	})
	if ok, _ := regexp.MatchString(`journal verifies|OK`, mustCLI(t, "journal", "verify", "--data", data)); !ok {
		t.Fatal("journal does not verify")
	}
}
