// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package fsutil_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/preau/preau/internal/fsutil"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := fsutil.WriteFile(p, 0o600, true, write("one")); err != nil {
		t.Fatal(err)
	}
	if err := fsutil.WriteFile(p, 0o600, true, write("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Fatalf("keep replaced the file: %q", b)
	}
	if err := fsutil.WriteFile(p, 0o600, false, write("three")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "three" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("replace: %q %v", b, fi.Mode())
	}
	boom := errors.New("boom")
	if err := fsutil.WriteFile(p, 0o600, false, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "three" {
		t.Fatal("a failed write changed the file")
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
