// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filesweb

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files/bandwidth"
)

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

// TestParseBandwidthForm: the console's form in Mbit/s becomes a policy in
// bytes per second; a zone left empty follows the establishment; a wrong
// rate or hours are refused with a message naming the problem.
// CARINE: UTI-ESF-5
func TestParseBandwidthForm(t *testing.T) {
	form := func(kv ...string) *http.Request {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		r := httptest.NewRequest("POST", AdminPath, strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	p, err := parseBandwidth(form("down", "20", "up", "2,5", "from", "08:00", "to", "17:30",
		"zone", "wifi", "zone-down-wifi", "4", "zone-up-wifi", "", "zone", "peda", "zone-down-peda", "", "zone-up-peda", ""))
	if err != nil {
		t.Fatal(err)
	}
	if p.Down != 2_500_000 || p.Up != 312_500 || p.From != "08:00" || p.To != "17:30" {
		t.Fatalf("policy = %+v", p)
	}
	if len(p.Zones) != 1 || p.Zones["wifi"].Down != 500_000 || p.Zones["wifi"].Up != bandwidth.Inherit {
		t.Fatalf("zones = %+v (peda, left empty, and wifi's uploads must follow the establishment)", p.Zones)
	}
	if l := p.For("wifi"); l.Down != 500_000 || l.Up != 312_500 {
		t.Fatalf("wifi limits = %+v, want its own download and the establishment's upload", l)
	}
	if p, err := parseBandwidth(form()); err != nil || !p.Off() {
		t.Fatalf("an empty form must switch the limits off: %+v %v", p, err)
	}
	for _, c := range [][]string{
		{"down", "vingt"},
		{"up", "-3"},
		{"down", "0.01"},
		{"from", "08:00"},
		{"from", "17:00", "to", "08:00"},
		{"zone", "wifi", "zone-up-wifi", "x"},
	} {
		if _, err := parseBandwidth(form(c...)); !core.IsKind(err, core.Invalid) || core.MessageOf(err) == "" {
			t.Errorf("form %v: %v, want a clear Invalid error", c, err)
		}
	}
}
