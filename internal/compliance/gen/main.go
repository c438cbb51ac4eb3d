// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command gen writes catalogue.json, the CARINE requirement catalogue of
// package compliance, from the spec's requirements.md: one object per table
// row whose first cell is a requirement ID (INF-AUT-7, or INF-ANN-n1 for a
// statement found only in CARINE's narrative text). It refuses a file whose
// counts differ from the catalogue's own (163 numbered, 20 narrative), so a
// damaged table never reaches the report. Run from the package folder:
//
//	go generate
//
// which runs: go run ./gen -in $PREAU_SPEC/requirements.md -out catalogue.json
// (PREAU_SPEC defaults to the shared spec folder beside the repository).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Requirement is one row of the catalogue, as package compliance reads it.
type Requirement struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	Topic       string `json:"topic"`
	Text        string `json:"text"`
	Level1      string `json:"level_1d"`
	Level2      string `json:"level_2d"`
	Tag         string `json:"tag"`
	Narrative   bool   `json:"narrative,omitempty"`
	Realization string `json:"realization"`
}

const (
	wantNumbered  = 163
	wantNarrative = 20
)

func main() {
	in := flag.String("in", "", "requirements.md (default $PREAU_SPEC/requirements.md, else ../../../shared/spec/requirements.md)")
	out := flag.String("out", "catalogue.json", "file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" {
		in = "../../../shared/spec/requirements.md"
		if d := os.Getenv("PREAU_SPEC"); d != "" {
			in = d + "/requirements.md"
		}
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	reqs, err := Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	b, err := json.MarshalIndent(reqs, "", "  ")
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

var (
	rowRE = regexp.MustCompile(`^\|\s*([A-Z]{3}-[A-Z]{3}-(n?)[0-9]+)(\s*\(narrative\))?\s*\|`)
	tagRE = regexp.MustCompile(`\[([PSX])\]`)
)

// Parse reads the requirement tables of requirements.md.
func Parse(r io.Reader) ([]Requirement, error) {
	var out []Requirement
	seen := map[string]bool{}
	numbered, narrative := 0, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		m := rowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(sc.Text()), "|"), " | ")
		if len(cells) != 6 {
			return nil, fmt.Errorf("line %d: %s has %d cells, want 6", line, m[1], len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		q := Requirement{ID: m[1], Service: m[1][:7], Topic: cells[1], Text: cells[2],
			Level1: level(cells[3]), Level2: level(cells[4]), Narrative: m[2] == "n", Realization: cells[5]}
		var tags []string
		for _, t := range tagRE.FindAllStringSubmatch(q.Realization, -1) {
			if !contains(tags, t[1]) {
				tags = append(tags, t[1])
			}
		}
		if len(tags) == 0 || !strings.HasPrefix(q.Realization, "[") {
			return nil, fmt.Errorf("line %d: %s: the realization does not start with a [P], [S] or [X] tag", line, q.ID)
		}
		q.Tag = strings.Join(tags, "+")
		if seen[q.ID] {
			return nil, fmt.Errorf("line %d: %s appears twice", line, q.ID)
		}
		seen[q.ID] = true
		if q.Narrative {
			narrative++
			if q.Level1 != "" || q.Level2 != "" {
				return nil, fmt.Errorf("line %d: narrative %s has levels", line, q.ID)
			}
		} else {
			numbered++
			for _, l := range []string{q.Level1, q.Level2} {
				if !contains([]string{"E", "R", "F", "R*"}, l) {
					return nil, fmt.Errorf("line %d: %s: level %q is not E, R, F or R*", line, q.ID, l)
				}
			}
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if numbered != wantNumbered || narrative != wantNarrative {
		return nil, fmt.Errorf("found %d numbered and %d narrative requirements, want %d and %d",
			numbered, narrative, wantNumbered, wantNarrative)
	}
	return out, nil
}

func level(s string) string {
	s = strings.ReplaceAll(s, `\*`, "*")
	if s == "—" || s == "-" {
		return ""
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
