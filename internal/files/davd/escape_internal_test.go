// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// FuzzEscape: the PROPFIND writer's escaper writes exactly what
// xml.EscapeText writes, for any name, href or ETag (untrusted: file names
// come from clients).
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "rapport.odt", `"e12"`, "a&b<c>d'e\"f", "Exposé PRIVÉ/Ç", "tab\there\nnew\rline",
		"\xff\xfe invalid", "\x00\x1f\x7f", "日本語.txt", "%C3%A9t%C3%A9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want bytes.Buffer
		escape(&got, s)
		_ = xml.EscapeText(&want, []byte(s))
		if got.String() != want.String() {
			t.Fatalf("escape(%q) = %q, xml.EscapeText gives %q", s, got.String(), want.String())
		}
	})
}
