// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"encoding/xml"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseDate reads a date written dd/mm/yyyy (the national exports) or
// yyyy-mm-dd (some generators), formats.md §2.7.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"02/01/2006", "2006-01-02", "02/01/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseYear reads a school year: "2025", "2025-2026" or "2025/2026" give 2025.
func parseYear(s string) (int, bool) {
	first, rest, two := strings.Cut(strings.ReplaceAll(s, "/", "-"), "-")
	y, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || y < 1990 || y > 2200 {
		return 0, false
	}
	if two {
		y2, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || y2 != y+1 {
			return 0, false
		}
	}
	return y, true
}

// addUnique appends s to list unless it is empty or already there.
func addUnique(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// addTeaching appends t unless an equal service is already there.
func addTeaching(list []Teaching, t Teaching) []Teaching {
	if t.Group == "" || slices.Contains(list, t) {
		return list
	}
	return append(list, t)
}

// attr returns the value of the first attribute whose local name matches
// one of names, case-insensitively, trimmed.
func attr(attrs []xml.Attr, names ...string) string {
	for _, n := range names {
		for _, a := range attrs {
			if strings.EqualFold(a.Name.Local, n) {
				return strings.TrimSpace(a.Value)
			}
		}
	}
	return ""
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// isPseudoDivision reports whether a division code is a placeholder for
// pupils without a class (Pix fixtures: "Inactifs").
func isPseudoDivision(code string) bool {
	switch strings.ToUpper(code) {
	case "INACTIF", "INACTIFS", "SORTIS", "SORTI":
		return true
	}
	return false
}
