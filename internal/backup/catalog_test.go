// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
)

func testCatalog() []CatalogEntry {
	t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	return []CatalogEntry{
		{Space: "s1", SpaceKind: "personal", SpaceName: "zoe.martin", Path: "/Exposé", Dir: true, ModTime: t0},
		{Space: "s1", SpaceKind: "personal", SpaceName: "zoe.martin", Path: "/Exposé/plan.txt", Blob: "files/s1/aa/1", Size: 10, SHA256: "a", ModTime: t0},
		{Space: "s1", SpaceKind: "personal", SpaceName: "zoe.martin", Path: "/notes.txt", Blob: "files/s1/bb/2", Size: 5, SHA256: "b", ModTime: t0},
		{Space: "s2", SpaceKind: "group", SpaceName: "3A", Path: "/cours.pdf", Blob: "files/s2/cc/3", Size: 100, SHA256: "c", ModTime: t0},
	}
}

// TestCatalogRoundTripAndSelection: the catalogue survives its stored
// form, and a selection takes a whole folder by its components (not a name
// prefix). CARINE: MCO-SVG-1
func TestCatalogRoundTripAndSelection(t *testing.T) {
	cat := testCatalog()
	got, err := ParseCatalog(MarshalCatalog(cat))
	if err != nil || len(got) != len(cat) {
		t.Fatalf("round trip: %v %d", err, len(got))
	}
	if sel := CatalogSelection(got, "s1", "/Exposé"); len(sel) != 2 || sel[1].Path != "/Exposé/plan.txt" {
		t.Fatalf("selection of a folder: %+v", sel)
	}
	if sel := CatalogSelection(got, "s1", "/Expo"); len(sel) != 0 {
		t.Fatalf("a name prefix selected %+v", sel)
	}
	if sel := CatalogSelection(got, "s1", ""); len(sel) != 3 {
		t.Fatalf("whole space: %d", len(sel))
	}
	for _, bad := range []string{
		`{"space":"s","path":"../x","blob":"files/a","size":1}`,
		`{"space":"s","path":"/a","blob":"etc/passwd","size":1}`,
		`{"space":"s","path":"/a/../b","dir":true}`,
		`{"space":"","path":"/a","dir":true}`,
	} {
		if _, err := ParseCatalog([]byte(bad)); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
	if !SelectionPrivate([]CatalogEntry{{Path: "/PERSONNEL/x.txt"}}) || SelectionPrivate(cat) {
		t.Fatal("private markers not detected")
	}
	if n := BesideName("rapport.odt", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), false); n != "rapport (restauré le 2026-11-29).odt" {
		t.Fatal(n)
	}
}

// TestBrowseAndDiff: the browse view names spaces and files as people see
// them, and the differential view lists added, removed and changed entries
// with sizes. CARINE: MCO-SVG-3
func TestBrowseAndDiff(t *testing.T) {
	t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	var a, b ID
	a[0], b[0] = 1, 2
	nodes := []Node{{Path: "blobs", Type: "dir"}, {Path: "blobs/files/s1/aa/1", Type: "file", Size: 10, Chunks: []ID{a}},
		{Path: "db", Type: "dir"}, {Path: "db/preau.db", Type: "file", Size: 4096, Chunks: []ID{a}, ModTime: t0}}
	cat := testCatalog()
	top, err := Browse(nodes, cat, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range top {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "blobs,db,files" {
		t.Fatalf("top: %v", names)
	}
	sp, err := Browse(nodes, cat, "files/zoe.martin")
	if err != nil || len(sp) != 2 || sp[0].Name != "Exposé" || !sp[0].Dir || sp[0].Size != 10 || sp[1].Name != "notes.txt" {
		t.Fatalf("space: %+v %v", sp, err)
	}
	if _, err := Browse(nodes, cat, "files/nobody"); err == nil {
		t.Fatal("browsing a missing space worked")
	}
	newCat := append([]CatalogEntry(nil), cat[1:]...) // the folder entry gone
	newCat[0].SHA256, newCat[0].Size = "z", 12        // plan.txt changed
	newCat = append(newCat, CatalogEntry{Space: "s1", SpaceName: "zoe.martin", Path: "/new.txt", Blob: "files/s1/dd/4", Size: 7})
	newNodes := append([]Node(nil), nodes...)
	newNodes[3].Chunks = []ID{b}
	ch, sum := Diff(nodes, newNodes, cat, newCat)
	want := map[string]string{"db/preau.db": "changed", "files/zoe.martin/Exposé": "removed",
		"files/zoe.martin/Exposé/plan.txt": "changed", "files/zoe.martin/new.txt": "added"}
	if len(ch) != len(want) {
		t.Fatalf("diff: %+v", ch)
	}
	for _, c := range ch {
		if want[c.Path] != c.What {
			t.Fatalf("diff: %+v", ch)
		}
	}
	if sum.Added != 1 || sum.AddedBytes != 7 || sum.Changed != 2 || sum.Removed != 1 || sum.Growth != 9 {
		t.Fatalf("summary: %+v", sum)
	}
}

// TestPolicySelectsTime: a policy's date bounds. CARINE: MCO-SVG-3
func TestPolicySelectsTime(t *testing.T) {
	p := DefaultPolicy()
	d := func(s string) time.Time { x, _ := time.Parse("2006-01-02", s); return x }
	if !p.SelectsTime(d("2001-01-01")) || p.Dated() {
		t.Fatal("no bounds must select everything")
	}
	p.ModifiedSince, p.ModifiedBefore = d("2026-09-01"), d("2026-10-01")
	for s, want := range map[string]bool{"2026-08-31": false, "2026-09-01": true, "2026-09-30": true, "2026-10-01": false} {
		if p.SelectsTime(d(s)) != want {
			t.Fatalf("%s: %v", s, !want)
		}
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.ModifiedSince, p.ModifiedBefore = p.ModifiedBefore, p.ModifiedSince
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "reversed") {
		t.Fatalf("reversed dates: %v", err)
	}
}

func FuzzParseCatalog(f *testing.F) {
	f.Add(MarshalCatalog(testCatalog()))
	f.Add([]byte(`{"space":"s","path":"/a","dir":true}`))
	f.Add([]byte(`{"space":"s","path":"/a/b","blob":"files/s/x","size":-1}`))
	f.Add([]byte(`{"space":"s","path":"/a/c","blob":"inline:01a228d0-17ad-7cea-adde-490c8d7bc21d","size":5}`))
	f.Add([]byte(`{"space":"s","path":"/a/d","blob":"inline:../../x","size":5}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseCatalog(b)
		if err != nil {
			return
		}
		for _, e := range es {
			inline := strings.HasPrefix(e.Blob, "inline:") && core.ValidID(strings.TrimPrefix(e.Blob, "inline:"))
			if !validPath(strings.TrimPrefix(e.Path, "/")) || (!e.Dir && !strings.HasPrefix(e.Blob, "files/") && !inline) ||
				(!e.Dir && !validPath(ContentPath(e.Blob))) || e.Size < 0 {
				t.Fatalf("accepted a bad entry %+v", e)
			}
		}
		if again, err := ParseCatalog(MarshalCatalog(es)); err != nil || len(again) != len(es) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
