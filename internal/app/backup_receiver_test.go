// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/app"
)

// CARINE: MCO-SVG-5, MCO-SVG-6, MCO-SVG-12 — a school backs up to another
// Préau over HTTPS; the receiver keeps the copy append-only (a prune from
// the sender is refused), verifies it, and the school restores from it.
func TestBackupToReceiver(t *testing.T) {
	recv, root := t.TempDir(), t.TempDir()
	const token = "clg-moulin-token-0123456789abcdef"
	tokens := filepath.Join(t.TempDir(), "senders.txt")
	os.WriteFile(tokens, []byte("clg-moulin "+token+"\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"backup", "receive", "--data", recv, "--listen", "127.0.0.1:0", "--root", root,
			"--tokens", tokens}, app.Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard})
		pw.Close()
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("the receiver did not stop")
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "backup receiver on https://") {
		t.Fatalf("receiver: %q %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(line)[3]
	ca := filepath.Join(recv, "tls", "ca.crt")

	school, key := t.TempDir(), filepath.Join(t.TempDir(), "key.txt")
	writeFile(t, filepath.Join(blobDir(school), "files", "a.txt"), "à garder hors du site")
	remote := []string{"--repo", url, "--token", token, "--ca", ca}
	mustCLI(t, append([]string{"backup", "run", "--data", school, "--key-out", key, "--quiet"}, remote...)...)
	if out := mustCLI(t, append([]string{"backup", "list", "--data", school}, remote...)...); strings.Count(out, "\n") != 2 {
		t.Fatalf("list through the receiver: %s", out)
	}
	writeFile(t, filepath.Join(blobDir(school), "files", "b.txt"), "deuxième")
	mustCLI(t, append([]string{"backup", "run", "--data", school, "--quiet"}, remote...)...)
	// The sender cannot prune (delete) on the receiver.
	if out, err := cli(t, append([]string{"backup", "prune", "--data", school, "--keep-last", "1", "--keep-daily", "0",
		"--keep-weekly", "0", "--keep-monthly", "0", "--keep-yearly", "0"}, remote...)...); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("prune through the receiver: %v %s", err, out)
	}
	// A wrong token gets nothing.
	if _, err := cli(t, "backup", "list", "--data", school, "--repo", url, "--token", "wrong-token-wrong-token-wrong", "--ca", ca); err == nil {
		t.Fatal("a wrong token was accepted")
	}
	// The receiver verifies its copy without any key.
	if out := mustCLI(t, "backup", "check", "--data", recv, "--repo", filepath.Join(root, "clg-moulin"), "--quiet"); !strings.Contains(out, "repository OK: 2 snapshots") {
		t.Fatal(out)
	}
	// Disaster: the school restores from the receiver.
	fresh := filepath.Join(t.TempDir(), "new")
	if out := mustCLI(t, append([]string{"restore", "--data", fresh, "--key", key, "--quiet"}, remote...)...); !strings.Contains(out, "journal OK") {
		t.Fatal(out)
	}
	if b, _ := os.ReadFile(filepath.Join(blobDir(fresh), "files", "a.txt")); string(b) != "à garder hors du site" {
		t.Fatalf("restored %q", b)
	}

	// The receiver prunes on its own policy: a second receiver on the same
	// folder keeping only the last snapshot prunes at start.
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() {
		done2 <- app.Run(ctx2, []string{"backup", "receive", "--data", recv, "--listen", "127.0.0.1:0", "--root", root,
			"--tokens", tokens, "--keep-last", "1"}, app.Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: io.Discard})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := mustCLI(t, "backup", "list", "--data", t.TempDir(), "--repo", filepath.Join(root, "clg-moulin"))
		if strings.Count(out, "\n") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not prune on its own policy:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel2()
	<-done2
}

// CARINE: MCO-SVG-11 — the two-person procedure: the recovery key is split
// between the head and the technician; a restore needs both shares.
func TestBackupTwoPersonRestore(t *testing.T) {
	data, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	key := filepath.Join(t.TempDir(), "key")
	writeFile(t, filepath.Join(blobDir(data), "files", "a.txt"), "contenu privé")
	if out := mustCLI(t, "backup", "init", "--data", data, "--split", "--key-out", key); !strings.Contains(out, "a restore needs both") {
		t.Fatal(out)
	}
	mustCLI(t, "backup", "run", "--data", data, "--repo", repo, "--quiet")
	fresh := filepath.Join(t.TempDir(), "new")
	if _, err := cli(t, "restore", "--data", fresh, "--repo", repo, "--key", key+".1"); err == nil || !strings.Contains(err.Error(), "one share") {
		t.Fatalf("one share: %v", err)
	}
	if out := mustCLI(t, "restore", "--data", fresh, "--repo", repo, "--key", key+".2", "--key", key+".1", "--quiet"); !strings.Contains(out, "journal OK") {
		t.Fatal(out)
	}
	if b, _ := os.ReadFile(filepath.Join(blobDir(fresh), "files", "a.txt")); string(b) != "contenu privé" {
		t.Fatalf("restored %q", b)
	}
}
