// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package docs checks that the documentation stays true: the CARINE matrix
// lists every requirement, its summary counts match its rows, and every test
// it names exists in the code.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	rowRE  = regexp.MustCompile(`^\| ([A-Z]{3}-[A-Z]{3}-(?:\d+|n\d+)) \|`)
	testRE = regexp.MustCompile("`(Test[A-Za-z0-9_]+)`")
)

type row struct{ id, status, test string }

func matrixRows(t *testing.T) []row {
	b, err := os.ReadFile("carine.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for _, l := range strings.Split(string(b), "\n") {
		m := rowRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		cells := strings.Split(l, " | ")
		if len(cells) != 6 {
			t.Fatalf("row %s has %d cells, want 6", m[1], len(cells))
		}
		status := strings.Fields(cells[3])[0]
		rows = append(rows, row{id: m[1], status: status, test: cells[5]})
	}
	return rows
}

// TestMatrixListsEveryRequirement compares the matrix with the catalogue
// when the spec folder is beside the repository (it is in the workspace and
// in CI); the 163 numbered IDs are checked in any case.
func TestMatrixListsEveryRequirement(t *testing.T) {
	rows := matrixRows(t)
	seen := map[string]bool{}
	numbered := 0
	for _, r := range rows {
		if seen[r.id] {
			t.Errorf("%s appears twice", r.id)
		}
		seen[r.id] = true
		if !strings.Contains(r.id, "-n") {
			numbered++
		}
		switch r.status {
		case "done", "partial", "planned", "support", "outside", "not":
		default:
			t.Errorf("%s: unknown status %q", r.id, r.status)
		}
	}
	if numbered != 163 {
		t.Errorf("%d numbered requirements in the matrix, CARINE has 163", numbered)
	}
	spec := filepath.Join("..", "..", "shared", "spec", "requirements.md")
	b, err := os.ReadFile(spec)
	if err != nil {
		t.Logf("%s not found: comparing with the catalogue skipped", spec)
		return
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m := rowRE.FindStringSubmatch(l); m != nil && !seen[m[1]] {
			t.Errorf("%s is in the catalogue but not in docs/carine.md", m[1])
		}
	}
}

// TestMatrixTestsExist: every test the matrix names is defined somewhere in
// the code, and every done or partial row names one.
func TestMatrixTestsExist(t *testing.T) {
	defined := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range matrixRows(t) {
		names := testRE.FindAllStringSubmatch(r.test, -1)
		if (r.status == "done" || r.status == "partial") && len(names) == 0 {
			t.Errorf("%s is %s but names no test", r.id, r.status)
		}
		for _, n := range names {
			if !defined[n[1]] {
				t.Errorf("%s names %s, which no test file defines", r.id, n[1])
			}
		}
	}
}

// TestMatrixSummaryMatchesRows keeps the summary table true.
func TestMatrixSummaryMatchesRows(t *testing.T) {
	counts := map[string]int{}
	for _, r := range matrixRows(t) {
		counts[r.status]++
	}
	b, _ := os.ReadFile("carine.md")
	want := fmt.Sprintf("| **all** | **%d** | **%d** | **%d** | **%d** | **%d** | **%d** | **%d** |",
		counts["done"], counts["partial"], counts["planned"], counts["support"], counts["outside"], counts["not"],
		len(matrixRows(t)))
	if !strings.Contains(string(b), want) {
		t.Errorf("the summary's total line should be:\n%s", want)
	}
}
