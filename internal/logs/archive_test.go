// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
)

// TestEncryptedArchiveVerifiesWithIdentity: an archive encrypted for an age
// recipient hides its content, is refused without an identity (the error
// says so), refused with another identity, verifies with the recipient's
// identity, and an altered ciphertext does not verify.
// CARINE: MCO-JAL-3
func TestEncryptedArchiveVerifiesWithIdentity(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 3, 100)
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	var buf bytes.Buffer
	ew, err := EncryptArchive(&buf, []age.Recipient{id.Recipient()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ExportArchive(context.Background(), ew, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ew.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte(ageHeader)) || bytes.Contains(b, []byte(archiveDir)) || bytes.Contains(b, []byte("user1")) {
		t.Fatal("the archive is not encrypted")
	}
	ctx := context.Background()
	if _, _, err := VerifyArchive(ctx, bytes.NewReader(b), t.TempDir(), nil); !core.IsKind(err, core.Invalid) ||
		!bytes.Contains([]byte(err.Error()), []byte("--identity")) {
		t.Fatalf("without identity: %v", err)
	}
	if _, _, err := VerifyArchive(ctx, bytes.NewReader(b), t.TempDir(), nil, other); !core.IsKind(err, core.Permission) {
		t.Fatalf("with another identity: %v", err)
	}
	rep, kid, err := VerifyArchive(ctx, bytes.NewReader(b), t.TempDir(), nil, id)
	if err != nil || !rep.OK() || rep.Segments != 3 || kid != KeyID(f.s.PublicKey()) {
		t.Fatalf("with the identity: %v %+v", err, rep)
	}
	bad := bytes.Clone(b)
	bad[len(bad)/2] ^= 0x01
	if rep, _, err := VerifyArchive(ctx, bytes.NewReader(bad), t.TempDir(), nil, id); err == nil && rep.OK() {
		t.Fatal("an altered encrypted archive verified")
	}
	// Without recipients the writer is the plain archive.
	var plain bytes.Buffer
	pw, _ := EncryptArchive(&plain, nil)
	f.s.ExportArchive(ctx, pw, t0, t0.Add(time.Hour))
	pw.Close()
	if rep, _, err := VerifyArchive(ctx, &plain, t.TempDir(), nil); err != nil || !rep.OK() {
		t.Fatalf("plain archive: %v %+v", err, rep)
	}
}

// TestArchiveToBlobStore: an archive written straight to a blob store
// (the form an S3 target takes) is one object that verifies with the
// identity, and a failed export leaves no object behind.
// CARINE: MCO-JAL-3
func TestArchiveToBlobStore(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 2, 50)
	target, err := fsblob.New(fsblob.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	ctx := context.Background()
	idx, err := f.s.ArchiveToBlob(ctx, target, "archives/2026-11.tar.age", t0, t0.Add(time.Hour), []age.Recipient{id.Recipient()})
	if err != nil || len(idx.Streams) != 1 {
		t.Fatalf("archive: %v %+v", err, idx)
	}
	rc, _, err := target.Open(ctx, "archives/2026-11.tar.age")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if rep, _, err := VerifyArchive(ctx, rc, t.TempDir(), nil, id); err != nil || !rep.OK() || rep.Segments != 2 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.s.ArchiveToBlob(cctx, target, "archives/cancelled.tar", t0, t0.Add(time.Hour), nil); err == nil {
		t.Fatal("a cancelled archive succeeded")
	}
	if _, err := target.Stat(ctx, "archives/cancelled.tar"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("a failed archive left an object: %v", err)
	}
	if _, err := f.s.ArchiveToBlob(ctx, target, "../x", t0, t0.Add(time.Hour), nil); !core.IsKind(err, core.Invalid) {
		t.Fatalf("bad key: %v", err)
	}
}
