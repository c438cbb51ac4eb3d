// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/directory/importer"
)

// TestExportDelta checks that the files of ExportDelta differ from those of
// ExportFiles by exactly the changes it reports, in the SIECLE/STS files
// (full) and in the AAF Delta files.
func TestExportDelta(t *testing.T) {
	t.Parallel()
	d := generate(t)
	e := &d.Establishments[1]
	full, err := d.ExportFiles(e, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	delta, ch, err := d.ExportDelta(e, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Moved.From == ch.Moved.To || ch.Left == "" || ch.Left == ch.Moved.EleveID || ch.Arrived.EleveID == "" ||
		ch.Service.STSID == "" {
		t.Fatalf("changes %+v", ch)
	}
	before := parseFiles(t, full, "ElevesSansAdresses", "Structures", "Nomenclature", "sts_emp_")
	after := parseFiles(t, delta, "ElevesSansAdresses", "Structures", "Nomenclature", "sts_emp_")
	old := map[string]importer.Person{}
	for _, p := range before.People {
		old[p.Key.Value] = p
	}
	if !slices.Equal(after.Inactive, []importer.Key{{Kind: "siecle_eleve_id", Value: ch.Left}}) {
		t.Errorf("inactive %v, want %s", after.Inactive, ch.Left)
	}
	if len(after.People) != len(before.People) { // one arrives, one leaves
		t.Errorf("%d people after, %d before", len(after.People), len(before.People))
	}
	for _, p := range after.People {
		o, existed := old[p.Key.Value]
		switch p.Key.Value {
		case ch.Arrived.EleveID:
			if existed || p.Class != ch.Arrived.Class || p.GivenName != ch.Arrived.GivenName ||
				p.FamilyName != ch.Arrived.FamilyName || p.ExternalIDs["ine"] != ch.Arrived.INE {
				t.Errorf("arrival %+v, want %+v", p, ch.Arrived)
			}
		case ch.Moved.EleveID:
			if o.Class != ch.Moved.From || p.Class != ch.Moved.To {
				t.Errorf("move %s → %s, want %+v", o.Class, p.Class, ch.Moved)
			}
			o.Class = p.Class
			fallthrough
		case ch.Service.STSID:
			if p.Key.Value == ch.Service.STSID {
				svc := importer.Teaching{Group: ch.Service.Group, Subject: ch.Service.Subject}
				if !slices.ContainsFunc(p.Teaches, func(x importer.Teaching) bool { return sameService(x, svc) }) ||
					len(p.Teaches) != len(o.Teaches)+1 {
					t.Errorf("teacher %s teaches %+v, want %+v more than %+v", p.Key.Value, p.Teaches, svc, o.Teaches)
				}
				o.Teaches = p.Teaches
			}
			fallthrough
		default:
			o.Line = p.Line
			if !reflect.DeepEqual(p, o) {
				t.Errorf("%s changed: %+v\nwas %+v", p.Key.Value, p, o)
			}
		}
	}
	checkAAFDelta(t, delta, ch)
}

// checkAAFDelta checks the AAF Delta files: one add, one class change, one
// service change, one deletion; the address change is dropped (its
// ENTPersonAdresse and the arrival's are counted).
func checkAAFDelta(t *testing.T, paths []string, ch demo.DeltaChanges) {
	t.Helper()
	var files []string
	for _, p := range paths {
		if m, _ := filepath.Match("ENT_*_Delta_*", filepath.Base(p)); m {
			files = append(files, p)
		}
	}
	if len(files) != 2 {
		t.Fatalf("delta files %v", files)
	}
	b := parseFiles(t, files, "ENT_")
	if b.Complete || !slices.Equal(b.Removed, []importer.Key{{Kind: "aaf_jointure", Value: "MENESR$" + ch.Left}}) {
		t.Errorf("complete %v removed %v", b.Complete, b.Removed)
	}
	if len(b.People) != 3 || b.Dropped["ENTPersonAdresse"] != 2 || b.Dropped["ENTPersonDateNaissance"] != 1 {
		t.Fatalf("people %+v dropped %v", b.People, b.Dropped)
	}
	add, move, svc := b.People[0], b.People[1], b.People[2]
	if add.Key.Value != "MENESR$"+ch.Arrived.EleveID || add.Partial || add.Class != ch.Arrived.Class || add.Profile != core.ProfilePupil {
		t.Errorf("add %+v", add)
	}
	if move.Key.Value != "MENESR$"+ch.Moved.EleveID || !move.Partial || !slices.Equal(move.Fields, []string{"class"}) || move.Class != ch.Moved.To {
		t.Errorf("move %+v", move)
	}
	want := importer.Teaching{Group: ch.Service.Group, Subject: ch.Service.Subject}
	if svc.Key.Value != "MENESR$"+ch.Service.STSID || !svc.Partial || !slices.Equal(svc.Fields, []string{"teaches_classes"}) ||
		!slices.ContainsFunc(svc.Teaches, func(x importer.Teaching) bool { return x.Group == want.Group && x.SubjectCode != "" }) {
		t.Errorf("service %+v", svc)
	}
}
