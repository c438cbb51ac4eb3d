// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance_test

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/preau/preau/internal/compliance"
)

var matrixRowRE = regexp.MustCompile(`^\| ([A-Z]{3}-[A-Z]{3}-n?[0-9]+) \|`)

// TestAgreesWithCoverageMatrix cross-checks the report against
// docs/carine.md, the coverage matrix the developers keep: a requirement
// `done` there must not be not-met here, and a [P] requirement still
// `planned` or `not started` there must not be met here. Both files then
// say the same thing to an inspector. Every catalogue ID must have a row.
func TestAgreesWithCoverageMatrix(t *testing.T) {
	fh, err := os.Open("../../docs/carine.md")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	matrix := map[string]string{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := matrixRowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		cells := strings.Split(sc.Text(), " | ")
		if len(cells) < 6 {
			t.Fatalf("%s: %d cells in docs/carine.md", m[1], len(cells))
		}
		matrix[m[1]] = strings.TrimSpace(cells[3])
	}
	rep := evaluate(t, newFake())
	for _, r := range rep.Results {
		st, ok := matrix[r.ID]
		switch {
		case !ok:
			t.Errorf("%s: no row in docs/carine.md", r.ID)
		case st == "done" && r.Status == compliance.NotMet:
			t.Errorf("%s is done in docs/carine.md but not met here: %s", r.ID, r.Evidence.EN)
		case r.Product() && (strings.HasPrefix(st, "planned") || st == "not started") && r.Status == compliance.Met:
			t.Errorf("%s is %q in docs/carine.md but met here: %s", r.ID, st, r.Evidence.EN)
		}
	}
	if len(matrix) != 183 {
		t.Errorf("docs/carine.md has %d requirement rows, want 183", len(matrix))
	}
}
