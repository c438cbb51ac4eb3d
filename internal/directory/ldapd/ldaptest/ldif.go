// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldaptest

import (
	"bufio"
	"encoding/base64"
	"io"

	"github.com/preau/preau/internal/directory/ldapd"
)

// WriteLDIF writes entries as LDIF content records (RFC 2849), values that
// are not safe strings in base64. It serves to load the same data into
// another server, e.g. slapadd for a comparison with slapd.
func WriteLDIF(w io.Writer, entries []ldapd.Entry) error {
	bw := bufio.NewWriter(w)
	for _, e := range entries {
		writeLine(bw, "dn", e.DN)
		for _, a := range e.Attrs {
			for _, v := range a.Values {
				writeLine(bw, a.Name, v)
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func writeLine(w *bufio.Writer, name, value string) {
	w.WriteString(name)
	if safeString(value) {
		w.WriteString(": ")
		w.WriteString(value)
	} else {
		w.WriteString(":: ")
		w.WriteString(base64.StdEncoding.EncodeToString([]byte(value)))
	}
	w.WriteByte('\n')
}

// safeString reports whether v is an RFC 2849 SAFE-STRING.
func safeString(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}
