// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filesweb

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"20G": 20 << 30, "500M": 500 << 20, "1,5 Go": 3 << 29, "0": 0, "2": 2 << 30,
		"64KiB": 64 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1G", "beaucoup", "1e30T"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestCrumbs(t *testing.T) {
	cs := crumbs("/home/Mes documents/Cours")
	if len(cs) != 4 || cs[2].Name != "Mes documents" || cs[3].Path != "/home/Mes documents/Cours" {
		t.Fatalf("crumbs = %+v", cs)
	}
	if got := msgKey("uploaded"); got != "files.done.uploaded" || msgKey("<script>") != "" {
		t.Fatalf("msgKey: %q", got)
	}
}
