// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"strings"
	"testing"
)

// TestParseDomainList: names and URLs are normalised, duplicates and
// comments dropped, bad lines refused with their numbers.
// CARINE: INF-SEC-8
func TestParseDomainList_INF_SEC_8(t *testing.T) {
	hosts, refused, err := ParseDomainList([]byte("# ma liste\nJeux.Example.\n.jeux.example\nhttps://www.Site.example/page\n\nbad host!\nxn--caf-dma.example\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(hosts, " ") != "jeux.example site.example xn--caf-dma.example" {
		t.Fatalf("hosts %v", hosts)
	}
	if len(refused) != 1 || !strings.HasPrefix(refused[0], "line 6:") {
		t.Fatalf("refused %v", refused)
	}
	for name, ok := range map[string]bool{"ma-liste": true, "a": false, "Maj": false, "1abc": false, "ok_2": true, "x y": false} {
		if ValidCustomName(name) != ok {
			t.Errorf("ValidCustomName(%q) = %v", name, !ok)
		}
	}
}

// FuzzParseDomainList: any input gives normalised, sorted, unique names
// that NormalizeHost leaves as they are.
func FuzzParseDomainList(f *testing.F) {
	for _, s := range []string{"a.example\n", "# c\n\nhttp://x.example/a\n", "..\n", "1.2.3.4\nfoo..bar\n", "ÉCOLE.fr\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, _, err := ParseDomainList(data)
		if err != nil {
			return
		}
		for i, h := range hosts {
			if i > 0 && hosts[i-1] >= h {
				t.Fatalf("not sorted and unique: %q", hosts)
			}
			if n, err := NormalizeHost(h); err != nil || n != h {
				t.Fatalf("%q is not normalised (%q, %v)", h, n, err)
			}
		}
	})
}
