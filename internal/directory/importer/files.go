// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"os"
	"path/filepath"
)

// ParseFiles opens each file, parses it with the parser Parse picks (by
// content, named by its base name) and merges the batches. It is the one
// place that reads import files from disk: the CLI and tests use it; the
// console parses uploads with Parse directly.
func ParseFiles(paths ...string) (*Batch, error) {
	batches := make([]*Batch, 0, len(paths))
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		b, err := Parse(f, filepath.Base(path))
		f.Close()
		if err != nil {
			return nil, err
		}
		batches = append(batches, b)
	}
	return Merge(batches...)
}
