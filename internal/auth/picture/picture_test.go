// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// CARINE: INF-AUT-1 — the catalogue has at least 16 pictures and 24
// animals, each with a French and an English name that is unique, and
// every image is a plain SVG that may be inlined under the CSP.
func TestCatalogue_INF_AUT_1(t *testing.T) {
	t.Parallel()
	if len(picture.Pictures) < 16 || len(picture.Avatars) < 48 || picture.MaxPupils < 30 {
		t.Fatalf("%d pictures, %d avatars", len(picture.Pictures), len(picture.Avatars))
	}
	unsafe := regexp.MustCompile(`(?i)<script|\sstyle=|<style|\son[a-z]+=|javascript:|href=|<image|<foreignObject`)
	names := map[string]bool{}
	check := func(id string, n picture.Name, svg string) {
		if n.FR == "" || n.EN == "" || names["fr:"+n.FR] || names["en:"+n.EN] {
			t.Errorf("%s: name %+v missing or not unique", id, n)
		}
		names["fr:"+n.FR], names["en:"+n.EN] = true, true
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"`) ||
			!strings.HasSuffix(svg, "</svg>") {
			t.Errorf("%s: not a 100×100 SVG document", id)
		}
		if m := unsafe.FindString(svg); m != "" {
			t.Errorf("%s: holds %q", id, m)
		}
	}
	for _, p := range picture.Pictures {
		check(p.ID, p.Name, picture.PictureSVG(p.ID))
		if strings.Contains(p.ID, "-") {
			t.Errorf("picture ID %q holds the sequence separator", p.ID)
		}
	}
	names = map[string]bool{} // avatars and pictures are never shown together
	for _, a := range picture.Avatars {
		check(a.ID, a.Name, picture.AvatarSVG(a.ID))
	}
	if picture.PictureSVG("nope") != "" || picture.AvatarSVG("nope") != "" {
		t.Error("an unknown ID has an image")
	}
	if g := picture.Grid(9); len(g) != 9 || g[0] != picture.Pictures[0].ID {
		t.Errorf("grid of 9: %v", g)
	}
}

func TestParseCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"ACD-EFG", "ACDEFG"}, {" acd efg ", "ACDEFG"}, {"X4H9KM", "X4H9KM"},
		{"ACDEF", ""}, {"ACDEFGH", ""}, {"ACDEF0", ""}, {"ACDEFO", ""}, {"ACDEF1", ""}, {"ACDÉFG", ""}, {"", ""},
	} {
		got, err := picture.ParseCode(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err != nil && core.KindOf(err) != core.Invalid {
			t.Errorf("ParseCode(%q): kind %v", tc.in, core.KindOf(err))
		}
	}
}

func TestParseSequence(t *testing.T) {
	t.Parallel()
	grid := picture.Grid(9)
	for _, tc := range []struct {
		in   string
		max  int
		want []string
	}{
		{"", 3, []string{}},
		{"house", 3, []string{"house"}},
		{"house-sun-cat", 3, []string{"house", "sun", "cat"}},
		{"cat-cat", 3, []string{"cat", "cat"}},
		{"house-sun-cat-tree", 3, nil},
		{"house--sun", 3, nil},
		{"house-", 3, nil},
		{"dog", 3, nil}, // known, but not on a grid of 9
		{"HOUSE", 3, nil},
		{"house sun", 3, nil},
	} {
		got, err := picture.ParseSequence(tc.in, grid, tc.max)
		if (err == nil) != (tc.want != nil) || err == nil && !slices.Equal(got, tc.want) {
			t.Errorf("ParseSequence(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// CARINE: INF-AUT-10 — only maternelle classes (PS, MS, GS, TPS, and
// double levels of them) may keep printed credentials.
func TestMaternelle_INF_AUT_10(t *testing.T) {
	t.Parallel()
	for level, want := range map[string]bool{"PS": true, "ms": true, "PS-MS": true, "GS/CP": false,
		"CP": false, "CE1-CE2": false, "": false, "TPS-PS": true} {
		if got := picture.Maternelle(&directory.Group{Level: level}); got != want {
			t.Errorf("Maternelle(%q) = %v", level, got)
		}
	}
}

// FuzzPictureSequence checks the parsers of what the sign-in board posts:
// no input panics, and an accepted input is always a list of known
// pictures of the class grid, no longer than its sequences, and a known
// avatar of the board.
func FuzzPictureSequence(f *testing.F) {
	for _, s := range []struct {
		avatar, seq string
		grid, n     int
	}{
		{"lion", "house-sun-cat", 9, 3},
		{"bee-2", "umbrella-key-bird-house", 12, 4},
		{"lion", "", 9, 3},
		{"", "house--sun", 9, 3},
		{"owl", "dog-dog-dog", 9, 3},
		{"owl\x00", "house-sun-cat-tree-car", 12, 4},
		{"../etc", "house-sun-%00", 9, 3},
		{strings.Repeat("a", 100), strings.Repeat("sun-", 60), 12, 4},
		{"fox", "é-ü-house", 9, 3},
	} {
		f.Add(s.avatar, s.seq, s.grid, s.n)
	}
	board := []string{"lion", "owl", "bee-2", "fox"}
	f.Fuzz(func(t *testing.T, avatar, raw string, gridSize, length int) {
		gridSize = picture.GridSizes[abs(gridSize)%len(picture.GridSizes)]
		length = picture.Lengths[abs(length)%len(picture.Lengths)]
		grid := picture.Grid(gridSize)
		seq, err := picture.ParseSequence(raw, grid, length)
		if err == nil {
			if len(seq) > length {
				t.Fatalf("%q: %d pictures accepted, at most %d", raw, len(seq), length)
			}
			for _, id := range seq {
				if _, ok := picture.PictureByID(id); !ok || !slices.Contains(grid, id) {
					t.Fatalf("%q: accepted %q, not a picture of the grid", raw, id)
				}
			}
			if seq.String() != raw {
				t.Fatalf("%q: does not read back (%q)", raw, seq.String())
			}
		} else if core.KindOf(err) != core.Invalid {
			t.Fatalf("%q: error of kind %v", raw, core.KindOf(err))
		}
		a, err := picture.ParseAvatar(avatar, board)
		if err == nil {
			if _, ok := picture.AvatarByID(a); !ok || !slices.Contains(board, a) {
				t.Fatalf("avatar %q accepted", avatar)
			}
		}
		if code, err := picture.ParseCode(raw); err == nil {
			if len(code) != picture.CodeLength {
				t.Fatalf("code %q from %q", code, raw)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}
