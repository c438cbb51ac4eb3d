// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backupd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/backup/backupd"
	"github.com/preau/preau/internal/core"
)

const token = "tok-0123456789abcdef0123456789"

func setup(t *testing.T) (*backupd.Server, *backupd.Client, *backup.Secret, *backup.RecoveryKey) {
	t.Helper()
	srv := &backupd.Server{Root: t.TempDir(), Tokens: map[string]string{token: "clg-moulin"}}
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	c := backupd.NewClientWith(ts.URL, token, ts.Client())
	s, _ := backup.NewSecret()
	k, _ := backup.NewRecoveryKey()
	return srv, c, s, k
}

func backupOnce(t *testing.T, be backup.Backend, s *backup.Secret, k *backup.RecoveryKey, files map[string]string) backup.SnapshotRef {
	t.Helper()
	src := t.TempDir()
	for n, c := range files {
		os.WriteFile(filepath.Join(src, n), []byte(c), 0o600)
	}
	rs, _ := backup.ParseRecipients(strings.NewReader(k.Recipient))
	r, err := backup.OpenForBackup(context.Background(), be, s, rs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	items, _ := backup.DirItems(src, "data", nil)
	snap, err := r.Backup(context.Background(), items, backup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// CARINE: MCO-SVG-5, MCO-SVG-6, MCO-SVG-12 — the receiver accepts a
// school's snapshots over TLS, refuses deletes and overwrites from the
// sender, and a compromised sender cannot make a later restore fail
// silently: verification on the receiver catches what it planted.
func TestReceiverAppendOnly(t *testing.T) {
	srv, c, s, k := setup(t)
	ctx := context.Background()
	snap := backupOnce(t, c, s, k, map[string]string{"a.txt": "bonjour", "b.txt": strings.Repeat("x", 5000)})
	// A second run over the same content uploads no pack again (resume/dedup).
	backupOnce(t, c, s, k, map[string]string{"a.txt": "bonjour", "b.txt": strings.Repeat("x", 5000)})

	// Delete: refused, and the snapshot is still there.
	err := c.Remove(ctx, backup.Handle{Kind: backup.KindSnapshot, Name: snap.ID.String()})
	if !core.IsKind(err, core.Permission) {
		t.Fatalf("delete: %v", err)
	}
	local := backup.Local{Root: filepath.Join(srv.Root, "clg-moulin")}
	if _, err := local.Stat(ctx, backup.Handle{Kind: backup.KindSnapshot, Name: snap.ID.String()}); err != nil {
		t.Fatalf("snapshot gone after a refused delete: %v", err)
	}
	// Overwrite of the config: refused.
	err = c.Save(ctx, backup.Handle{Kind: backup.KindConfig, Name: "config"}, []byte(`{"version":1}`))
	if !core.IsKind(err, core.Exists) {
		t.Fatalf("overwrite: %v", err)
	}
	// Bytes under a name that is not their hash: refused.
	err = c.Save(ctx, backup.Handle{Kind: backup.KindSnapshot, Name: snap.ID.String()}, []byte("ransom"))
	if !core.IsKind(err, core.Invalid) {
		t.Fatalf("mismatched name: %v", err)
	}
	r, err := backup.Open(ctx, local)
	if err != nil {
		t.Fatal(err)
	}
	if rep, _ := r.Check(ctx, backup.CheckOptions{ReadData: true}); !rep.OK() || rep.Snapshots != 2 {
		t.Fatalf("receiver check: %+v", rep)
	}

	// A compromised sender plants a snapshot whose blobs were never
	// uploaded, and a pack of garbage with an index pointing into it.
	fake := backup.Snapshot{Version: 1, Time: time.Now().UTC(), Kind: "full", Tree: []backup.ID{{9, 9}}, Blobs: []backup.ID{{9, 9}}}
	b, _ := json.Marshal(fake)
	if err := c.Save(ctx, backup.Handle{Kind: backup.KindSnapshot, Name: backup.Hash(b).String()}, b); err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte{0xAB}, 4096)
	pid := backup.Hash(garbage)
	if err := c.Save(ctx, backup.Handle{Kind: backup.KindData, Name: pid.String()}, garbage); err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(backup.IndexFile{Version: 1, Packs: []backup.IndexPack{{ID: pid, Size: 4096,
		Blobs: []backup.PackEntry{{Type: backup.BlobData, ID: backup.ID{7}, Offset: 100, Length: 200, RawLength: 10}}}}})
	if err := c.Save(ctx, backup.Handle{Kind: backup.KindIndex, Name: backup.Hash(idx).String()}, idx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Check(ctx, backup.CheckOptions{ReadData: true})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Problems, "\n")
	if rep.OK() || !strings.Contains(all, "needs 2 blobs") || !strings.Contains(all, "pack "+pid.Short()) {
		t.Fatalf("check missed the planted objects: %v", rep.Problems)
	}
	// The real snapshot still restores with the recovery key.
	ids, _ := backup.ParseIdentities(strings.NewReader(k.Identity))
	if err := r.Unlock(ctx, ids); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if _, err := r.Restore(ctx, snap.Snapshot, backup.DirSink{Root: dst}, backup.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "data", "a.txt")); string(got) != "bonjour" {
		t.Fatalf("restored %q", got)
	}
	// The receiver prunes on its own policy (no key needed).
	pr, err := r.Prune(ctx, backup.Retention{Last: 1}, time.Now().Add(3*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Forgotten != 1 || pr.Kept != 1 || pr.Incomplete != 1 {
		t.Fatalf("receiver prune: %+v", pr)
	}
	// The planted snapshot did not push the real ones out: the newest real
	// one is kept and restores.
	kept, _, _ := r.Snapshots(ctx)
	found := false
	for _, s := range kept {
		found = found || len(s.Blobs) > 1
	}
	if !found {
		t.Fatal("a planted snapshot pushed every real snapshot out")
	}
}

func TestReceiverRefusesUnknownToken(t *testing.T) {
	srv := &backupd.Server{Root: t.TempDir(), Tokens: map[string]string{token: "a"}}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	c := backupd.NewClientWith(ts.URL, "wrong-token-wrong-token-wrong", ts.Client())
	err := c.Save(context.Background(), backup.Handle{Kind: backup.KindConfig, Name: "config"}, []byte("{}"))
	if !core.IsKind(err, core.Unauthenticated) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := backupd.ParseTokens(strings.NewReader("clg-moulin short\n")); err == nil {
		t.Fatal("short token accepted")
	}
	m, err := backupd.ParseTokens(strings.NewReader("# senders\nclg-moulin " + token + "\n"))
	if err != nil || m[token] != "clg-moulin" {
		t.Fatalf("tokens %v %v", m, err)
	}
}
