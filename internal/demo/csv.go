// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"encoding/csv"
	"io"
	"strings"
)

// AccountsHeader is the header line of demo-accounts.csv (design §4).
const AccountsHeader = "uai,establishment_type,login,password,profile,class,must_change"

// AccountsCSV writes demo-accounts.csv (design §4): the header, then one row
// per person, the technical admin first (with the first establishment's UAI
// and type), then each establishment's people in order. class is the
// pupil's class code, empty for adults; must_change is yes or no. The file
// holds clear-text passwords: a demo-only exception to INF-AUT-10.
func (d *Deployment) AccountsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(strings.Split(AccountsHeader, ",")); err != nil {
		return err
	}
	if len(d.Establishments) > 0 {
		first := &d.Establishments[0]
		if err := cw.Write(accountRow(first, &d.Admin)); err != nil {
			return err
		}
	}
	for i := range d.Establishments {
		e := &d.Establishments[i]
		for j := range e.People {
			if err := cw.Write(accountRow(e, &e.People[j])); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// accountRow is the CSV row of person p of establishment e.
func accountRow(e *Establishment, p *Person) []string {
	must := "no"
	if p.MustChange {
		must = "yes"
	}
	return []string{e.UAI, e.Type, p.Login, p.Password, string(p.Profile), p.Class, must}
}
