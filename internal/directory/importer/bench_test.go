// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory/importer"
)

// lyceeFiles exports the demo lycée (about 1,500 pupils) and returns its
// files by base name.
func lyceeFiles(b *testing.B) (names []string, files map[string][]byte) {
	b.Helper()
	d := demo.Generate(1, time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	paths, err := d.ExportFiles(&d.Establishments[1], b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	files = map[string][]byte{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		names = append(names, filepath.Base(p))
		files[filepath.Base(p)] = raw
	}
	return names, files
}

// BenchmarkParseLycee parses the demo lycée's exports: each file alone,
// the SIECLE + STS set merged, and the AAF Complet set merged.
func BenchmarkParseLycee(b *testing.B) {
	names, files := lyceeFiles(b)
	parseSet := func(b *testing.B, keep func(string) bool) {
		var size int64
		for _, n := range names {
			if keep(n) {
				size += int64(len(files[n]))
			}
		}
		b.SetBytes(size)
		for b.Loop() {
			var bs []*importer.Batch
			for _, n := range names {
				if !keep(n) {
					continue
				}
				batch, err := importer.Parse(bytes.NewReader(files[n]), n)
				if err != nil {
					b.Fatal(err)
				}
				bs = append(bs, batch)
			}
			if _, err := importer.Merge(bs...); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range names {
		b.Run(n, func(b *testing.B) { parseSet(b, func(m string) bool { return m == n }) })
	}
	b.Run("siecle+sts", func(b *testing.B) { parseSet(b, func(m string) bool { return !strings.HasPrefix(m, "ENT_") }) })
	b.Run("aaf", func(b *testing.B) { parseSet(b, func(m string) bool { return strings.HasPrefix(m, "ENT_") }) })
}
