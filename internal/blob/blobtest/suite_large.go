// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/preau/preau/internal/blob"
)

// newPattern returns an endless reproducible stream of pseudo-random bytes.
func newPattern(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// testLarge streams LargeSize bytes in and out, comparing hashes, so that
// neither the test nor (if the store is right) the store holds the object in
// memory.
func testLarge(t *testing.T, s blob.Store) {
	if testing.Short() {
		t.Skip("large object skipped in -short mode")
	}
	ctx := t.Context()
	in := sha256.New()
	n, err := blob.Put(ctx, s, "large/object", io.TeeReader(io.LimitReader(newPattern(7), LargeSize), in))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != LargeSize {
		t.Fatalf("Put wrote %d bytes, want %d", n, LargeSize)
	}
	r, info, err := s.Open(ctx, "large/object")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if info.Size != LargeSize {
		t.Errorf("Info.Size = %d, want %d", info.Size, LargeSize)
	}
	out := sha256.New()
	if m, err := io.Copy(out, r); err != nil || m != LargeSize {
		t.Fatalf("read back %d bytes, %v; want %d", m, err, LargeSize)
	}
	if !bytes.Equal(in.Sum(nil), out.Sum(nil)) {
		t.Fatal("content read back differs from content written")
	}
}
