// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"testing"
	"time"

	"filippo.io/age"

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
