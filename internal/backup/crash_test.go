// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
)

// TestMain lets the kill -9 tests run a backup or a restore in a child
// process (this test binary) that they kill mid-way.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PREAU_BACKUP_CHILD"); mode != "" {
		if err := child(mode); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(mode string) error {
	ctx := context.Background()
	dir := os.Getenv("PREAU_BACKUP_DIR")
	be := backup.Local{Root: filepath.Join(dir, "repo")}
	sb, _ := os.ReadFile(filepath.Join(dir, "secret.json"))
	kb, _ := os.ReadFile(filepath.Join(dir, "key.txt"))
	s, err := backup.ParseSecret(sb)
	if err != nil {
		return err
	}
	k := strings.TrimSpace(string(kb))
	ids, err := backup.ParseIdentities(strings.NewReader(k))
	if err != nil {
		return err
	}
	switch mode {
	case "backup":
		rs, _ := backup.ParseRecipients(strings.NewReader(os.Getenv("PREAU_BACKUP_RECIPIENT")))
		r, err := backup.OpenForBackup(ctx, be, s, rs, time.Now())
		if err != nil {
			return err
		}
		items, err := backup.DirItems(filepath.Join(dir, "src"), "data", nil)
		if err != nil {
			return err
		}
		_, err = r.Backup(ctx, items, backup.Options{PackSize: 256 << 10,
			AfterPack: func(int) { time.Sleep(150 * time.Millisecond) }})
		return err
	case "restore":
		r, err := backup.Open(ctx, be)
		if err != nil {
			return err
		}
		if err := r.Unlock(ctx, ids); err != nil {
			return err
		}
		snap, err := r.FindSnapshot(ctx, "", time.Time{})
		if err != nil {
			return err
		}
		_, err = r.Restore(ctx, snap.Snapshot, slowSink{backup.DirSink{Root: filepath.Join(dir, "dst")}}, backup.RestoreOptions{})
		return err
	}
	return fmt.Errorf("unknown mode %s", mode)
}

// slowSink writes each file in pieces with pauses, so a kill lands
// mid-file.
type slowSink struct{ backup.DirSink }

func (s slowSink) File(ctx context.Context, n backup.Node, write func(io.Writer) error) error {
	return s.DirSink.File(ctx, n, func(w io.Writer) error {
		return write(slowWriter{w})
	})
}

type slowWriter struct{ w io.Writer }

func (s slowWriter) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return s.w.Write(p)
}

func startChild(t *testing.T, mode, dir, recipient string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PREAU_BACKUP_CHILD="+mode, "PREAU_BACKUP_DIR="+dir, "PREAU_BACKUP_RECIPIENT="+recipient)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func countFiles(root string, keep func(string) bool) int {
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && keep(d.Name()) {
			n++
		}
		return nil
	})
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CARINE: MCO-SVG-1 — kill -9 during a backup leaves a consistent
// repository, and the next run completes; kill -9 during a restore leaves
// no half-written file.
func TestKill9DuringBackupAndRestore(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	f.src = filepath.Join(dir, "src")
	f.be = backup.Local{Root: filepath.Join(dir, "repo")}
	for i := 0; i < 12; i++ {
		f.write(fmt.Sprintf("f%02d.bin", i), randomBytes(int64(i), 600<<10))
	}
	os.WriteFile(filepath.Join(dir, "secret.json"), f.secret.Marshal(), 0o600)
	os.WriteFile(filepath.Join(dir, "key.txt"), []byte(f.key.Identity), 0o600)

	// Backup: kill once a few packs are on disk.
	cmd := startChild(t, "backup", dir, f.key.Recipient)
	waitFor(t, "packs", func() bool {
		return countFiles(filepath.Join(dir, "repo", "data"), func(string) bool { return true }) >= 3
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	ctx := context.Background()
	r, err := backup.Open(ctx, f.be)
	if err != nil {
		t.Fatal(err)
	}
	if snaps, bad, _ := r.Snapshots(ctx); len(snaps) != 0 || len(bad) != 0 {
		t.Fatalf("a killed backup left snapshots %v %v", snaps, bad)
	}
	if rep, err := r.Check(ctx, backup.CheckOptions{ReadData: true}); err != nil || !rep.OK() {
		t.Fatalf("after kill: %v %v", err, rep)
	}
	// The next run completes (the killed run's lock is ignored by backup).
	s := f.run(backup.Options{})
	if s.Stats.Files != 12 {
		t.Fatalf("second run: %+v", s.Stats)
	}
	r, _ = backup.Open(ctx, f.be)
	if rep, _ := r.Check(ctx, backup.CheckOptions{ReadData: true}); !rep.OK() {
		t.Fatalf("after the second run: %v", rep.Problems)
	}
	// Restore: kill once some files are in place.
	cmd = startChild(t, "restore", dir, f.key.Recipient)
	dst := filepath.Join(dir, "dst")
	waitFor(t, "restored files", func() bool {
		return countFiles(dst, func(n string) bool { return !strings.HasPrefix(n, ".") }) >= 2
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	want := tree(t, f.src)
	got := 0
	for p, h := range tree(t, dst) {
		if strings.HasPrefix(filepath.Base(p), ".preau-restore-") {
			continue // a temporary file, never under a final name
		}
		if want[strings.TrimPrefix(p, "data/")] != h {
			t.Fatalf("%s is half-written after kill -9", p)
		}
		got++
	}
	if got == 0 || got == len(want) {
		t.Fatalf("the kill should land mid-restore (%d of %d files)", got, len(want))
	}
	// A restore run again completes.
	equalTrees(t, tree(t, f.restore("")), prefixed(want))
}

func prefixed(m map[string][32]byte) map[string][32]byte {
	out := map[string][32]byte{}
	for k, v := range m {
		out["data/"+k] = v
	}
	return out
}
