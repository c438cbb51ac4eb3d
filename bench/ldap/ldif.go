// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"bufio"
	"encoding/base64"
	"os"
	"slices"
	"strings"

	"github.com/preau/preau/internal/directory/dirldap"
)

// writeLDIF writes every entry of Préau's view as LDIF for slapadd, so that
// slapd serves the same DNs, attributes and values. Differences, all
// outside what the workloads read: entryDN is left out (slapd computes it);
// people get a userPassword (Préau keeps hashes out of entries), given by
// password; people also get the auxiliary class preauAccount, which allows
// accountStatus (an operational attribute in Préau, which slapd does not let
// a configuration define); the profile groups (cn=eleves…), which are
// posixGroup only, also get the structural class namedObject, which slapd
// requires.
func writeLDIF(path string, snap *dirldap.Snapshot, password func(login string) string) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	n := 0
	for _, e := range snap.Candidates(nil) {
		classes := e.Get("objectClass")
		person := slices.Contains(classes, "posixAccount")
		line(w, "dn", e.DN)
		for _, a := range e.Attrs {
			if strings.EqualFold(a.Name, "entryDN") {
				continue
			}
			for _, v := range a.Values {
				line(w, a.Name, v)
			}
			if a.Name != "objectClass" { // slapd wants an attribute's values together
				continue
			}
			if person {
				line(w, "objectClass", "preauAccount")
			}
			if slices.Contains(classes, "posixGroup") && !slices.Contains(classes, "groupOfNames") {
				line(w, "objectClass", "namedObject")
			}
		}
		if person {
			line(w, "userPassword", password(e.Get("uid")[0]))
		}
		w.WriteString("\n")
		n++
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, f.Close()
}

// line writes "name: value", or "name:: base64" for a value that is not an
// LDIF SAFE-STRING (RFC 2849): non-ASCII, or starting with a space, ':' or
// '<', or ending with a space.
func line(w *bufio.Writer, name, v string) {
	safe := v == "" || v[0] != ' ' && v[0] != ':' && v[0] != '<' && v[len(v)-1] != ' '
	for i := 0; safe && i < len(v); i++ {
		safe = v[i] >= 0x20 && v[i] < 0x7f
	}
	if safe {
		w.WriteString(name + ": " + v + "\n")
		return
	}
	w.WriteString(name + ":: " + base64.StdEncoding.EncodeToString([]byte(v)) + "\n")
}
