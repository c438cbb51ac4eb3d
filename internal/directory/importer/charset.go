// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// utf8BOM is the byte order mark some Windows tools put before UTF-8 text.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// charmapFor returns the 8-bit character map for an encoding label of an XML
// prolog or a file name tag: ISO-8859-15 (the national exports), ISO-8859-1
// (older STS files) and Windows-1252 (files re-saved on Windows). It returns
// nil for UTF-8, ASCII and unknown labels; known reports whether the label
// is one of the accepted ones.
func charmapFor(label string) (cm *charmap.Charmap, known bool) {
	l := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(label)))
	switch l {
	case "iso885915", "latin9", "l9", "latin0", "csisolatin9":
		return charmap.ISO8859_15, true
	case "iso88591", "latin1", "l1", "isolatin1", "csisolatin1", "iso885911987":
		return charmap.ISO8859_1, true
	case "windows1252", "cp1252", "xcp1252":
		return charmap.Windows1252, true
	case "utf8", "usascii", "ascii":
		return nil, true
	}
	return nil, false
}

// skipBOM returns a reader of r without a leading UTF-8 byte order mark.
func skipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(3); bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(3)
	}
	return br
}

// errReader remembers the first read error that is not io.EOF, so that an
// I/O failure is told apart from a malformed file.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
