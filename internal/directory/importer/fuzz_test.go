// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/importer"
)

// seed adds the golden fixtures whose name contains one of match, and the
// extra snippets, to the corpus of f.
func seed(f *testing.F, match []string, extra ...string) {
	ins, _ := filepath.Glob(filepath.Join("testdata", "TestGolden", "*.in"))
	for _, in := range ins {
		for _, m := range match {
			if strings.Contains(in, m) {
				b, err := os.ReadFile(in)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
	for _, e := range extra {
		f.Add([]byte(e))
	}
}

// fuzzCheck runs parse on data: it must not panic, and fail only with a
// *ParseError (or another core.Invalid error); a batch must be well formed.
func fuzzCheck(t *testing.T, parse parseFunc, name string, data []byte) {
	b, err := parse(bytes.NewReader(data), name)
	if err != nil {
		var pe *importer.ParseError
		if !errors.As(err, &pe) && core.KindOf(err) != core.Invalid {
			t.Fatalf("error %T %v is neither a *ParseError nor invalid", err, err)
		}
		if b != nil {
			t.Fatal("a batch with an error")
		}
		return
	}
	if b == nil || b.Dropped == nil || len(b.Files) != 1 {
		t.Fatalf("malformed batch %+v", b)
	}
	seen := map[importer.Key]bool{}
	for _, p := range b.People {
		if p.Key.Value == "" || seen[p.Key] {
			t.Fatalf("empty or duplicate key %v", p.Key)
		}
		seen[p.Key] = true
		if !p.Partial && (p.GivenName == "" || p.FamilyName == "" || !p.Profile.Valid()) {
			t.Fatalf("incomplete person %+v", p)
		}
	}
	if _, err := importer.Merge(b, b); err == nil && len(b.People) > 0 {
		t.Fatal("merging a batch with itself did not refuse the duplicate people")
	}
}

func FuzzParseSIECLE(f *testing.F) {
	seed(f, []string{"Eleves", "Structures", "Nomenclature"},
		siecleDoc(pupilRec("1")), siecleWith(`<ELEVE ELEVE_ID="1"><NOM>A</NOM><PRENOM>B</PRENOM></ELEVE>`, "1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, importer.ParseSIECLE, "ElevesSansAdresses.xml", data)
		fuzzCheck(t, importer.ParseStructures, "Structures.xml", data)
		fuzzCheck(t, importer.ParseNomenclature, "Nomenclature.xml", data)
	})
}

func FuzzParseSTS(f *testing.F) {
	seed(f, []string{"sts_emp", "emp_sts"})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, importer.ParseSTS, "sts_emp_0999001W_2025.xml", data)
	})
}

func FuzzParseAAF(f *testing.F) {
	seed(f, []string{"ENT_"}, aafDoc(aafPupil("1", "4242", "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, importer.ParseAAF, "ENT_0999001W_Delta_20250915_Eleve_0000.xml", data)
		fuzzCheck(t, importer.ParseAAF, "feed.xml", data)
	})
}

func FuzzParseCSV(f *testing.F) {
	seed(f, []string{".csv"}, "uai,profile,key,given_name,family_name\n0999001W,pupil,K,A,B\n",
		"uai;profile;key;given_name;family_name;teaches\n0999001W;teacher;K;A;B;=\"5A\":Maths|\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, importer.ParseCSV, "comptes.csv", data)
		fuzzCheck(t, importer.Parse, "upload", data)
	})
}
