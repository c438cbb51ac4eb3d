// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logsweb

import (
	"net/url"
	"testing"
	"time"
)

// TestFormTimeZoneIsExplicit: dates and times typed without a zone are read
// in the zone chosen in the form (Europe/Paris by default, an unknown zone
// falls back to it), an RFC 3339 time keeps its own offset (issue 8).
// CARINE: MCO-JAL-5
func TestFormTimeZoneIsExplicit(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	cases := []struct{ tz, in, want string }{
		{"", "2026-11-28T08:00", "2026-11-28T07:00:00Z"},
		{"Europe/Paris", "2026-07-01T08:00", "2026-07-01T06:00:00Z"},
		{"UTC", "2026-11-28T08:00", "2026-11-28T08:00:00Z"},
		{"Indian/Reunion", "2026-11-28", "2026-11-27T20:00:00Z"},
		{"Mars/Olympus", "2026-11-28T08:00", "2026-11-28T07:00:00Z"},
		{"UTC", "2026-11-28T08:00:00+01:00", "2026-11-28T07:00:00Z"},
		{"Pacific/Noumea", "2h", "2026-11-29T10:00:00Z"},
	}
	for _, c := range cases {
		name, loc := zoneOf(url.Values{"tz": {c.tz}})
		if c.tz == "" || c.tz == "Mars/Olympus" {
			if name != "Europe/Paris" {
				t.Fatalf("tz %q: zone %s", c.tz, name)
			}
		}
		got, err := parseWhen(c.in, now, loc)
		if err != nil || got.UTC().Format(time.RFC3339) != c.want {
			t.Fatalf("%s in %s: %v %v, want %s", c.in, c.tz, got.UTC(), err, c.want)
		}
	}
	if _, err := parseWhen("yesterday", now, time.UTC); err == nil {
		t.Fatal("an unreadable time accepted")
	}
}
