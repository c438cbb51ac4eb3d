// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package direxport writes the directory out, without any secret, so that
// other tools can be fed from Préau: LDIF (RFC 2849) of the LDAP view, and
// OneRoster 1.1 bulk CSV (users, classes, enrollments) for learning tools.
package direxport

import (
	"bufio"
	"encoding/base64"
	"io"
	"strings"

	"github.com/preau/preau/internal/directory/dirldap"
)

// WriteLDIF writes the entries of s for which keep returns true (all when
// keep is nil), parents first. Values that are not safe LDIF strings
// (non-ASCII, leading space, colon or '<', trailing space) are base64.
// There is no userPassword in the view, so none is written.
func WriteLDIF(w io.Writer, s *dirldap.Snapshot, keep func(*dirldap.Entry) bool) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("version: 1\n")
	for _, e := range s.Entries() {
		if keep != nil && !keep(e) {
			continue
		}
		bw.WriteString("\n")
		writeLine(bw, "dn", e.DN)
		for _, a := range e.Attrs {
			if strings.EqualFold(a.Name, "entryDN") {
				continue
			}
			for _, v := range a.Values {
				writeLine(bw, a.Name, v)
			}
		}
	}
	return bw.Flush()
}

func writeLine(w *bufio.Writer, name, v string) {
	if safe(v) {
		fold(w, name+": "+v)
		return
	}
	fold(w, name+":: "+base64.StdEncoding.EncodeToString([]byte(v)))
}

// safe reports whether v is a SAFE-STRING of RFC 2849.
func safe(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\n' || c == '\r' || c > 127 {
			return false
		}
	}
	return true
}

// fold writes a line folded at 76 columns (continuations start with a space).
func fold(w *bufio.Writer, line string) {
	for len(line) > 76 {
		w.WriteString(line[:76])
		w.WriteString("\n ")
		line = line[76:]
	}
	w.WriteString(line)
	w.WriteByte('\n')
}
