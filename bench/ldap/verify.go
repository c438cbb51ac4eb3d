// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// verify checks that both servers answer the workloads' requests alike:
// every class search and one uid search per step-th login, compared entry
// by entry (DN, requested attributes and their values, ignoring case of
// names and order). It returns the number of requests compared.
func verify(servers []server, base string, logins, classDNs []string, step int, readerDN, readerPW string) (int, error) {
	var reqs []*ldap.SearchRequest
	for _, dn := range classDNs {
		reqs = append(reqs, ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			classFilter(dn), classAttrs, nil))
	}
	for i := 0; i < len(logins); i += step {
		reqs = append(reqs, ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			uidFilter(logins[i]), uidAttrs, nil))
	}
	answers := make([][]string, len(servers))
	for i, s := range servers {
		c, err := ldap.DialURL("ldap://" + s.addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if err := c.Bind(readerDN, readerPW); err != nil {
			return 0, fmt.Errorf("%s: binding as %s: %w", s.name, readerDN, err)
		}
		for _, r := range reqs {
			res, err := c.Search(r)
			if err != nil {
				return 0, fmt.Errorf("%s: %s: %w", s.name, r.Filter, err)
			}
			answers[i] = append(answers[i], canonical(res))
		}
	}
	for j, r := range reqs {
		for i := 1; i < len(servers); i++ {
			if answers[i][j] != answers[0][j] {
				return 0, fmt.Errorf("%s: %s and %s answer differently:\n%s\n---\n%s", r.Filter,
					servers[0].name, servers[i].name, answers[0][j], answers[i][j])
			}
		}
	}
	return len(reqs), nil
}

// canonical renders a search result in a comparable form.
func canonical(res *ldap.SearchResult) string {
	var es []string
	for _, e := range res.Entries {
		var b strings.Builder
		b.WriteString("dn: " + strings.ToLower(e.DN) + "\n")
		var attrs []string
		for _, a := range e.Attributes {
			vs := slices.Clone(a.Values)
			slices.Sort(vs)
			attrs = append(attrs, strings.ToLower(a.Name)+": "+strings.Join(vs, " | "))
		}
		slices.Sort(attrs)
		b.WriteString(strings.Join(attrs, "\n"))
		es = append(es, b.String())
	}
	slices.Sort(es)
	return strings.Join(es, "\n\n")
}
