// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"encoding/csv"
	"io"
)

// csvWriter writes CSV cells, neutralising spreadsheet formulas: a cell
// starting with = + - @ (or a tab or CR) gets a leading apostrophe, since a
// log message is attacker-controlled text opened in a spreadsheet.
type csvWriter struct {
	w   *csv.Writer
	err error
}

func newCSV(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

func (c *csvWriter) row(cells ...string) {
	if c.err != nil {
		return
	}
	for i, s := range cells {
		if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
			cells[i] = "'" + s
		}
	}
	c.err = c.w.Write(cells)
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	if c.err != nil {
		return c.err
	}
	return c.w.Error()
}
