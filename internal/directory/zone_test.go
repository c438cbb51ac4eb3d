// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory_test

import (
	"net/netip"
	"testing"

	"github.com/preau/preau/internal/directory"
)

// CARINE: INF-AUT-4 — the sessions page names the zone of each session's
// address; an address that is not one (a proxy's garbage, empty) names
// nothing, and an IPv4-mapped IPv6 address is found in its IPv4 zone.
func TestZoneOf_INF_AUT_4(t *testing.T) {
	zones := []*directory.Zone{{Name: "peda", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.12.0.0/16")}},
		{Name: "wifi", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("fd00::/8")}}}
	for addr, want := range map[string]string{"10.12.3.4": "peda", "::ffff:10.20.0.9": "wifi", "fd00::1": "wifi",
		"192.0.2.1": "", "": "", "not-an-ip": "", "10.12.3.4:5555": ""} {
		if got := directory.ZoneOf(zones, addr); got != want {
			t.Errorf("ZoneOf(%q) = %q, want %q", addr, got, want)
		}
	}
}

// An admin range carved inside a wider pedagogical range is the admin
// zone: the narrowest range wins, whatever the order zones are listed in.
func TestZoneOfNarrowestWins(t *testing.T) {
	peda := &directory.Zone{Name: "peda", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	admin := &directory.Zone{Name: "admin", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}}
	for _, zs := range [][]*directory.Zone{{peda, admin}, {admin, peda}} {
		if got := directory.ZoneOf(zs, "10.1.2.7"); got != "admin" {
			t.Errorf("10.1.2.7 in %q, want admin", got)
		}
		if got := directory.ZoneOf(zs, "10.1.3.7"); got != "peda" {
			t.Errorf("10.1.3.7 in %q, want peda", got)
		}
	}
}
