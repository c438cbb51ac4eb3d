// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package dirldap presents the directory as an LDAP tree (design §3, issue
// 3): the deployment base, one ou=<UAI> per establishment with ou=people and
// ou=groups, people as inetOrgPerson + posixAccount + the SDET classes
// (ENTPerson, ENTEleve, ENTAuxEnseignant, ENTAuxNonEnsEtab), groups as
// groupOfNames + posixGroup + ENTClasse/ENTGroupe. It keeps an in-memory
// snapshot with equality indexes, rebuilt when the store's change counter
// moves, and applies read scope and attribute allow-lists per principal.
package dirldap

import (
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

// Entry is one LDAP entry of the snapshot. Attribute names keep their
// schema case; values are strings.
type Entry struct {
	DN    string
	Attrs []Attr

	ests    []string     // establishments whose members may read it; nil: every bound principal
	person  string       // person ID for people entries
	profile core.Profile // of people entries
	kind    kind
}

// Attr is one attribute with its values: the protocol server's type, so
// that entries reach the wire without copying.
type Attr = ldapd.Attr

type kind int

const (
	kindBase kind = iota
	kindEstablishment
	kindContainer
	kindPerson
	kindGroup
)

// Establishments returns the IDs of the establishments the entry belongs
// to (nil for the base and the shared entries).
func (e *Entry) Establishments() []string { return e.ests }

// Get returns the values of attribute name (case-insensitive).
func (e *Entry) Get(name string) []string {
	for _, a := range e.Attrs {
		if strings.EqualFold(a.Name, name) {
			return a.Values
		}
	}
	return nil
}

func (e *Entry) add(name string, values ...string) {
	var vs []string
	for _, v := range values {
		if v != "" {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return
	}
	for i := range e.Attrs {
		if e.Attrs[i].Name == name {
			e.Attrs[i].Values = append(e.Attrs[i].Values, vs...)
			return
		}
	}
	e.Attrs = append(e.Attrs, Attr{Name: name, Values: vs})
}

// NormDN returns the normalised form of a DN for lookups: lower case, no
// spaces around separators. Préau's own DNs use no escaped characters in
// attribute types, so this simple form is exact for them.
func NormDN(dn string) string {
	parts := strings.Split(dn, ",")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			parts[i] = strings.ToLower(strings.TrimSpace(p))
			continue
		}
		parts[i] = strings.ToLower(strings.TrimSpace(k)) + "=" + strings.ToLower(strings.TrimSpace(v))
	}
	return strings.Join(parts, ",")
}

// escapeRDNValue escapes a value for use in a DN (RFC 4514).
func escapeRDNValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case strings.ContainsRune(",+\"\\<>;=", r), r == '#' && i == 0, r == ' ' && (i == 0 || i == len(v)-1):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PersonDN returns the DN the directory serves a person of login under:
// ou=people of the establishment uai (their main one) below base.
func PersonDN(login, uai, base string) string {
	if uai == "" {
		return "uid=" + escapeRDNValue(login) + ",ou=people," + base
	}
	return "uid=" + escapeRDNValue(login) + ",ou=people,ou=" + escapeRDNValue(uai) + "," + base
}
