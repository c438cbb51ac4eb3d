// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package report

import (
	"io"

	"github.com/preau/preau/internal/compliance"
)

// PDFUncompressed writes the PDF without stream compression, so tests can
// read its text.
func PDFUncompressed(w io.Writer, rep *compliance.Report, lang string) error {
	return writePDF(w, rep, lang, false)
}

// PageCount counts the pages of an uncompressed PDF.
var PageCount = pageCount
