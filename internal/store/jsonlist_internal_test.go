// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzJSONListMatchesJSON: the journal's attribute lists are written as
// encoding/json writes them (older entries were; readers and exports
// decode them with encoding/json).
func FuzzJSONListMatchesJSON(f *testing.F) {
	for _, s := range []string{"login", "member:zoe.martin", "a,b", "<&>\"\\", "é\u2028\x01\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range [][]string{{s}, strings.Split(s, ","), {s, "", s}} {
			want, _ := json.Marshal(l)
			if got := jsonList(l); got != string(want) {
				t.Fatalf("jsonList(%q) = %s, want %s", l, got, want)
			}
		}
		if got := jsonList(nil); got != "[]" {
			t.Fatalf("jsonList(nil) = %s", got)
		}
	})
}
