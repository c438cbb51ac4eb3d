// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/directory/importer"
)

var update = flag.Bool("update", false, "rewrite the golden .out files")

// goldenInputs returns the fixtures of testdata/TestGolden: each <name>.in
// is a hand-written file in a real format, named as the real file.
func goldenInputs(t testing.TB) []string {
	t.Helper()
	ins, err := filepath.Glob(filepath.Join("testdata", "TestGolden", "*.in"))
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	return ins
}

// parseFixture parses one fixture with Parse (so Detect picks the parser),
// under its real name.
func parseFixture(t testing.TB, in string) (*importer.Batch, error) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return importer.Parse(f, strings.TrimSuffix(filepath.Base(in), ".in"))
}

// TestGolden parses every fixture and compares the batch, as indented JSON,
// or the error text, with <name>.out; -update rewrites the .out files.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			b, err := parseFixture(t, in)
			var got []byte
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				got, _ = json.MarshalIndent(b, "", "  ")
				got = append(got, '\n')
			}
			out := strings.TrimSuffix(in, ".in") + ".out"
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", in, out, got)
			}
		})
	}
}
