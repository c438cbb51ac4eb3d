// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/preau/preau/internal/core"
)

// NationalSources are the directory sources the national framework covers
// (the ENT and AAF extracts, SIECLE and BE1D for pupils, STS-Web for staff).
// Any other source — a CSV file, an LDIF file, a foreign directory — needs
// further CNIL formalities (INF-ANN-7): an establishment imports from it
// only after recording why and under which data-protection reference.
var NationalSources = []string{"siecle", "sts", "aaf", "be1d"}

// GenericSources are the generic sources Préau reads.
var GenericSources = []string{"csv", "ldif"}

// IsNationalSource reports whether source (an importer's name, or names
// joined by "+" for files read together, "siecle+sts") is covered by the
// national framework: every part must be.
func IsNationalSource(source string) bool {
	for _, part := range strings.Split(strings.ToLower(source), "+") {
		if !slices.Contains(NationalSources, part) {
			return false
		}
	}
	return true
}

// SourceDeclaration is an establishment's record of a generic source
// (INF-ANN-7): why it is needed and the reference of its data-protection
// formality (the GDPR record of processing, a DPIA, the DPO's opinion).
type SourceDeclaration struct {
	Source        string    // csv, ldif
	Justification string    // why the national sources do not suffice
	Reference     string    // the data-protection formality's reference
	RecordedBy    string    // login of the person who recorded it
	RecordedAt    time.Time // when
}

// Validate checks a declaration before it is stored: a generic source, a
// justification of 20 to 1,000 characters and a reference of 3 to 200,
// neither with control characters.
func (d *SourceDeclaration) Validate() error {
	const op = "directory.SourceDeclaration"
	d.Source = strings.ToLower(strings.TrimSpace(d.Source))
	d.Justification, d.Reference = strings.TrimSpace(d.Justification), strings.TrimSpace(d.Reference)
	switch {
	case !slices.Contains(GenericSources, d.Source):
		if IsNationalSource(d.Source) {
			return core.E(op, core.Invalid, "%s is a national source: it needs no declaration", d.Source)
		}
		return core.E(op, core.Invalid, "unknown source %q (generic sources: %s)", d.Source, strings.Join(GenericSources, ", "))
	case len([]rune(d.Justification)) < 20:
		return core.E(op, core.Invalid, "the justification must say why the national sources do not suffice (20 characters at least)")
	case len([]rune(d.Justification)) > 1000:
		return core.E(op, core.Invalid, "the justification is too long (1,000 characters at most)")
	case len([]rune(d.Reference)) < 3 || len([]rune(d.Reference)) > 200:
		return core.E(op, core.Invalid, "the data-protection reference must have 3 to 200 characters (e.g. the number of the processing in the GDPR record)")
	case strings.IndexFunc(d.Justification+d.Reference, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		return core.E(op, core.Invalid, "the justification and the reference must not hold control characters")
	}
	return nil
}
