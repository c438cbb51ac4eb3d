// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
)

func TestAccountsCSV(t *testing.T) {
	t.Parallel()
	d := generate(t)
	raw := csvBytes(t, d)
	header, _, _ := bytes.Cut(raw, []byte("\n"))
	if got := string(header); got != "uai,establishment_type,login,password,profile,class,must_change" {
		t.Fatalf("header = %q", got)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	rows = rows[1:]
	people := d.People()
	if len(rows) != len(people) {
		t.Fatalf("%d rows, want %d (one per person, admin included)", len(rows), len(people))
	}
	first := d.Establishments[0]
	wantAdmin := []string{first.UAI, first.Type, "admin", d.Admin.Password, "admin", "", "no"}
	if r := rows[0]; strings.Join(r, ",") != strings.Join(wantAdmin, ",") {
		t.Errorf("first row %v, want the admin %v", r, wantAdmin)
	}
	types := map[string]string{}
	for _, e := range d.Establishments {
		types[e.UAI] = e.Type
	}
	yes := 0
	for i, r := range rows {
		p := people[i]
		if types[r[0]] != r[1] || !strings.Contains("ecole college lycee", r[1]) {
			t.Errorf("row %d: uai %q, type %q", i+1, r[0], r[1])
		}
		if r[2] != p.Login || r[3] != p.Password || r[4] != string(p.Profile) || r[5] != p.Class {
			t.Errorf("row %d = %v, want %s's login, password, profile and class", i+1, r, p.Key)
		}
		if !core.Profile(r[4]).Valid() {
			t.Errorf("row %d: profile %q", i+1, r[4])
		}
		if (r[4] == "pupil") == (r[5] == "") {
			t.Errorf("row %d: profile %s with class %q", i+1, r[4], r[5])
		}
		switch r[6] {
		case "yes":
			yes++
			if r[4] == "head" || r[4] == "admin" {
				t.Errorf("row %d: %s %s must change its password", i+1, r[4], r[2])
			}
		case "no":
		default:
			t.Errorf("row %d: must_change %q", i+1, r[6])
		}
		if r[3] == "" {
			t.Errorf("row %d: empty password", i+1)
		}
	}
	if yes == 0 {
		t.Error("no account with must_change=yes")
	}
}

// CARINE: INF-AUT-7
func TestGenerateMustChange(t *testing.T) {
	t.Parallel()
	d := generate(t)
	for _, e := range d.Establishments {
		fresh, ready := map[core.Profile]int{}, map[core.Profile]int{}
		for _, p := range e.People {
			if p.MustChange {
				fresh[p.Profile]++
			} else {
				ready[p.Profile]++
			}
		}
		if fresh[core.ProfileHead] != 0 || ready[core.ProfileHead] != 1 {
			t.Errorf("%s: the head must be ready to use", e.UAI)
		}
		for _, p := range []core.Profile{core.ProfilePupil, core.ProfileTeacher} {
			all := fresh[p] + ready[p]
			if fresh[p] == 0 || ready[p] < 3 || fresh[p] > all/10+1 {
				t.Errorf("%s: %d of %d %ss must change their password, want about 5 %%", e.UAI, fresh[p], all, p)
			}
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAccountsCSVWriteError(t *testing.T) {
	t.Parallel()
	if err := generate(t).AccountsCSV(failWriter{}); err == nil {
		t.Fatal("AccountsCSV to a failing writer: no error")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestAccountsCSVGolden pins the output for seed 1: the first 40 lines of
// demo-accounts.csv and the digest of the whole file. It fails when a change
// to the generator, or to math/rand/v2, changes the demo data; check the
// change is intended, then run the test with -update.
func TestAccountsCSVGolden(t *testing.T) {
	t.Parallel()
	raw := csvBytes(t, generate(t))
	var got bytes.Buffer
	for i, l := range bytes.SplitAfter(raw, []byte("\n")) {
		if i == 40 {
			break
		}
		got.Write(l)
	}
	fmt.Fprintf(&got, "# %d lines, sha256 %x\n", bytes.Count(raw, []byte("\n")), sha256.Sum256(raw))
	path := filepath.Join("testdata", t.Name(), "seed1.golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("seed 1 output changed; diff %s against the new output, then rerun with -update if intended:\n%s",
			path, got.Bytes())
	}
}
