// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/preau/preau/internal/directory/importer"
)

// privateNames are the elements, AAF attributes and CSV columns of the
// fixtures that hold birth data, sex, contact data, addresses and regime:
// the test's own list, independent of the parsers' allow-lists.
var privateNames = map[string]bool{
	"DATE_NAISS": true, "DATE_NAISSANCE": true, "CODE_SEXE": true, "SEXE": true, "CIVILITE": true,
	"VILLE_NAISS": true, "CODE_COMMUNE_INSEE_NAISS": true, "CODE_DEPARTEMENT_NAISS": true,
	"TEL_PERSONNEL": true, "TEL_PORTABLE": true, "TEL_PROFESSIONNEL": true, "TELEPHONE": true,
	"MEL": true, "LIGNE1_ADRESSE": true, "LIGNE2_ADRESSE": true, "CODE_POSTAL": true,
	"LL_COMMUNE_INSEE": true, "CODE_REGIME": true, "ADRESSE": true,
	"ENTPersonDateNaissance": true, "homePhone": true, "telephoneNumber": true, "mobile": true,
	"mail": true, "ENTPersonAdresse": true, "ENTPersonCodePostal": true, "ENTPersonVille": true,
	"street": true, "postalCode": true, "l": true, "ENTElevePersRelEleve": true, "ENTEleveRegime": true,
	"date_naissance": true, "téléphone": true, "adresse": true,
}

// CARINE: INF-ANN-6, INF-ANN-8
//
// TestNoPrivateData parses every fixture — full of synthetic birth dates,
// phones, addresses, mails and guardians — and checks that no such value
// appears in the batch (dumped with %+v and as JSON) while Dropped counts
// each of them under its element, attribute or column name.
func TestNoPrivateData(t *testing.T) {
	t.Parallel()
	for _, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			values, counts := privateValues(t, in)
			b, err := parseFixture(t, in)
			if err != nil {
				return // refused files hold nothing; TestGolden checks the message
			}
			js, _ := json.Marshal(b)
			dump := fmt.Sprintf("%+v", *b) + string(js)
			for _, v := range values {
				if strings.Contains(dump, v) {
					t.Errorf("the batch holds the private value %q", v)
				}
			}
			for name, n := range counts {
				if b.Dropped[name] != n {
					t.Errorf("Dropped[%q] = %d, want %d", name, b.Dropped[name], n)
				}
			}
			if strings.Contains(in, "PersRelEleve") && (len(b.People) != 0 || b.Dropped["PersRelEleve"] == 0) {
				t.Errorf("guardians were kept: %d people, Dropped[PersRelEleve] = %d", len(b.People), b.Dropped["PersRelEleve"])
			}
		})
	}
}

// privateValues reads a fixture with its own decoder and returns the
// private values it holds (4 characters or more, to avoid matching "1") and
// how many non-empty values each private name has. Every value of a
// PersRelEleve record is private.
func privateValues(t *testing.T, in string) (values []string, counts map[string]int) {
	t.Helper()
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	text := toUTF8(raw)
	counts = map[string]int{}
	add := func(name, v string, guardian bool) {
		v = strings.TrimSpace(v)
		if v == "" || !(privateNames[name] || guardian) {
			return
		}
		if privateNames[name] {
			counts[name]++
		}
		if len([]rune(v)) >= 4 && name != "ENTAuxPersRelEleveEleve" {
			values = append(values, v)
		}
	}
	if strings.HasSuffix(in, ".csv.in") {
		return csvValues(t, text, add), counts
	}
	guardian := strings.Contains(in, "PersRelEleve")
	d := xml.NewDecoder(strings.NewReader(text))
	var stack []string
	var attrName string
	var buf strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name.Local)
			buf.Reset()
			for _, a := range tk.Attr {
				if a.Name.Local == "name" {
					attrName = a.Value
				}
			}
		case xml.CharData:
			buf.Write(tk)
		case xml.EndElement:
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if name == "value" {
				add(attrName, buf.String(), guardian && attrName != "categoriePersonne")
			} else {
				add(strings.ToUpper(name), buf.String(), false) // Dropped uses the upper-case name
			}
			buf.Reset()
		}
	}
	return values, counts
}

func csvValues(t *testing.T, text string, add func(string, string, bool)) []string {
	var values []string
	text = strings.TrimPrefix(text, "\ufeff")
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = ';', true, -1
	if !strings.Contains(strings.SplitN(text, "\n", 2)[0], ";") {
		r.Comma = ','
	}
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for i, v := range row {
			add(rows[0][i], v, false)
		}
	}
	return values
}

// toUTF8 decodes a fixture the way its prolog or name says.
var encodingRE = regexp.MustCompile(`encoding="([^"]+)"`)

func toUTF8(raw []byte) string {
	cm := (*charmap.Charmap)(nil)
	if m := encodingRE.FindSubmatch(raw); m != nil {
		switch strings.ToUpper(string(m[1])) {
		case "ISO-8859-15":
			cm = charmap.ISO8859_15
		case "ISO-8859-1":
			cm = charmap.ISO8859_1
		}
		raw = encodingRE.ReplaceAll(raw, []byte(`encoding="UTF-8"`))
	} else if !bytes.HasPrefix(raw, []byte("<")) && !isUTF8(raw) {
		cm = charmap.Windows1252
	}
	if cm == nil {
		return string(raw)
	}
	out, _ := cm.NewDecoder().Bytes(raw)
	return string(out)
}

func isUTF8(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

// CARINE: INF-ANN-8
//
// TestBatchHasNoPrivateFields checks that no batch type has a field for
// data the school directory must not hold.
func TestBatchHasNoPrivateFields(t *testing.T) {
	t.Parallel()
	deny := regexp.MustCompile(`(?i)birth|naiss|phone|tel|mobile|address|adresse|guardian|parent|responsable|sex|regime`)
	for _, typ := range []reflect.Type{reflect.TypeFor[importer.Batch](), reflect.TypeFor[importer.Person](),
		reflect.TypeFor[importer.Group](), reflect.TypeFor[importer.Teaching](), reflect.TypeFor[importer.Key]()} {
		for f := range typ.Fields() {
			if deny.MatchString(f.Name) {
				t.Errorf("%s has field %s", typ.Name(), f.Name)
			}
		}
	}
}
