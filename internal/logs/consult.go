// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"io"

	"github.com/preau/preau/internal/core"
)

// Access is one consultation of log content, journaled (MCO-JAL-5,
// MCO-JAL-6): what was asked, on what basis, and how many records came out.
type Access struct {
	Establishment string // the journal chain: the establishment searched, "" when several
	Action        string // "search" or "export"
	Query         Query
	Justification Justification
	Format        string // export format
	Records       int
	Refused       string // the reason of a refusal ("" when answered)
	Saved         string // the saved query run (MCO-JAL-5), "" for an ad hoc search
}

// AccessJournal journals consultations; the store implements it.
type AccessJournal interface {
	JournalLogAccess(ctx context.Context, a Access) error
}

// msgNoJustification is the refusal of a search on personal data without a
// recorded reason.
const msgNoJustification = "this search may return records that identify people: give a justification " +
	"(incident:NUMBER, judicial:REFERENCE or consent:REFERENCE); it is journaled with the query"

// Consult answers a search the way MCO-JAL-6 asks: a search that may
// identify people needs a justification, and every search, answered or
// refused, is journaled before any record is returned. Access rights
// (logs.read, strong authentication) are checked by the caller.
func Consult(ctx context.Context, s *Store, j AccessJournal, q Query, just Justification) (*Result, error) {
	const op = "logs.Consult"
	acc := Access{Establishment: chainOf(q), Action: "search", Query: q, Justification: just}
	if q.IdentifiesPeople() && just.Basis == "" {
		acc.Refused = "no justification for a search on personal data"
		if err := j.JournalLogAccess(ctx, acc); err != nil {
			return nil, err
		}
		return nil, core.E(op, core.Permission, msgNoJustification)
	}
	res, err := s.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	acc.Records = len(res.Records)
	if err := j.JournalLogAccess(ctx, acc); err != nil {
		return nil, err
	}
	return res, nil
}

// Export writes the records matching q (at most MaxExport) to w in format
// csv, json (JSON lines) or rfc5424, with the same rules as Consult; the
// export is journaled with its format and size (a legal requisition).
func Export(ctx context.Context, s *Store, j AccessJournal, q Query, just Justification, format string, w io.Writer) (int, error) {
	const op = "logs.Export"
	write, ok := map[string]func(io.Writer, []Record) error{"csv": WriteCSV, "json": WriteJSONLines, "rfc5424": WriteRFC5424}[format]
	if !ok {
		return 0, core.E(op, core.Invalid, "unknown export format %q: csv, json or rfc5424", format)
	}
	q.Limit, q.Offset = MaxExport, 0
	acc := Access{Establishment: chainOf(q), Action: "export", Query: q, Justification: just, Format: format}
	if q.IdentifiesPeople() && just.Basis == "" {
		acc.Refused = "no justification for an export of personal data"
		if err := j.JournalLogAccess(ctx, acc); err != nil {
			return 0, err
		}
		return 0, core.E(op, core.Permission, msgNoJustification)
	}
	res, err := s.Search(ctx, q)
	if err != nil {
		return 0, err
	}
	acc.Records = len(res.Records)
	if err := j.JournalLogAccess(ctx, acc); err != nil {
		return 0, err
	}
	return len(res.Records), write(w, res.Records)
}

func chainOf(q Query) string {
	if len(q.Establishments) == 1 {
		return q.Establishments[0]
	}
	return ""
}
