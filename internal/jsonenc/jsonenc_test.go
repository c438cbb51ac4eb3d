// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendStringMatchesJSON: AppendString writes what encoding/json
// writes for any string (escapes, HTML characters, invalid UTF-8, line
// separators, runs longer than the 8-byte fast path).
func FuzzAppendStringMatchesJSON(f *testing.F) {
	for _, s := range []string{"", "plain text long enough for the fast path", "<script>&\"x\"</script>", "a\x00b\u2028c\u2029",
		"\xff\xfeé", "a\tb\nc\rd\be\ff\\g/h", "日本語のテキスト", "\U0001F600", "x\x7fy", "\xed\xa0\x80", "12345678<12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
