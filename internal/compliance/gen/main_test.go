// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestCatalogueIsUpToDate regenerates the catalogue from the spec, when the
// spec folder is beside the repository, and compares it with the committed
// catalogue.json, so that an edited requirements.md is not forgotten.
func TestCatalogueIsUpToDate(t *testing.T) {
	spec := "../../../../shared/spec/requirements.md"
	if d := os.Getenv("PREAU_SPEC"); d != "" {
		spec = d + "/requirements.md"
	}
	f, err := os.Open(spec)
	if err != nil {
		t.Skipf("no spec to compare with: %v", err)
	}
	defer f.Close()
	reqs, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(reqs, "", "  ")
	got, err := os.ReadFile("../catalogue.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != string(want) {
		t.Fatal("catalogue.json is stale: run go generate ./internal/compliance")
	}
}

const row = "| INF-ANN-%d | Topic | Text. | E | E | [P] Realised. |\n"

func TestParseRefusals(t *testing.T) {
	for name, in := range map[string]string{
		"cells":  "| INF-ANN-1 | Topic | Text. | E | [P] x |\n",
		"tag":    "| INF-ANN-1 | Topic | Text. | E | E | Realised. |\n",
		"level":  "| INF-ANN-1 | Topic | Text. | X | E | [P] x |\n",
		"twice":  "| INF-ANN-1 | Topic | Text. | E | E | [P] x |\n| INF-ANN-1 | Topic | Text. | E | E | [P] x |\n",
		"counts": "| INF-ANN-1 | Topic | Text. | E | E | [P] x |\n",
		"narr":   "| INF-ANN-n1 (narrative) | Topic | Text. | E | E | [S] x |\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("| UTI-MSG-2 | E-mail | Pupils' rules. | R\\* | E | [S] Charter. [P] Policies. |\n")
	b.WriteString("| INF-AUT-n2 (narrative) | Passwords | Reset. | — | — | [S] CGU. |\n")
	_, err := Parse(strings.NewReader(b.String()))
	if err == nil || !strings.Contains(err.Error(), "found 1 numbered and 1 narrative") {
		t.Fatalf("want a count error, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("| INF-ANN-1 | Topic | Text. | E | E | [P] x |\n")
	f.Add("| INF-ANN-n1 (narrative) | Topic | Text. | — | — | [S] x |\n")
	f.Add("| UTI-MSG-2 | E-mail | Rules. | R\\* | E | [S] Charter. [P] Policies. |\n| x |")
	f.Fuzz(func(t *testing.T, in string) {
		reqs, err := Parse(strings.NewReader(in))
		if err == nil && len(reqs) != wantNumbered+wantNarrative {
			t.Fatalf("accepted %d requirements", len(reqs))
		}
	})
}
