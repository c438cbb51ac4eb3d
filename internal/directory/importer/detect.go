// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// sniffSize is how much of a file Detect needs at most.
const sniffSize = 64 << 10

// Detect tells which parser reads a file, from the root element of an XML
// file or the header line of a CSV file (head is the start of the file, up
// to 64 KiB; name is only used in messages). SIECLE's three files
// (BEE_ELEVES, BEE_STRUCTURES, BEE_NOMENCLATURES) are SourceSIECLE. It
// returns a *ParseError for an emp_sts file (EDT_STS), a guardians file
// (BEE_RESPONSABLES) and anything it does not know.
func Detect(name string, head []byte) (Source, error) {
	src, _, err := detect(name, head)
	return src, err
}

// detect returns the source and, for XML, the upper-case root element.
func detect(name string, head []byte) (Source, string, error) {
	head = bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("<")) {
		root, err := rootOf(name, head)
		if err != nil {
			return "", "", err
		}
		switch root {
		case rootEleves, rootStructures, rootNomenclatures:
			return SourceSIECLE, root, nil
		case rootSTS:
			return SourceSTS, root, nil
		case rootAAF:
			return SourceAAF, root, nil
		}
		if info, ok := roots[root]; ok {
			return "", root, perr(name, 1, root, "this is %s", info.what)
		}
		return "", root, perr(name, 1, root, "unknown root element <%s>: expected a SIECLE, STS-Web, AAF or CSV file", root)
	}
	if looksLikeLDIF(trimmed) {
		return SourceLDIF, "", nil
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if looksLikeCSVHeader(string(line)) {
		return SourceCSV, "", nil
	}
	return "", "", perr(name, 1, "", "not a SIECLE, STS-Web or AAF XML file, nor a CSV file with a header (%s)", strings.Join(csvRequired, ","))
}

// rootOf returns the upper-case name of the first element of head.
func rootOf(name string, head []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(head))
	d.Strict = false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		return in, nil // element names are ASCII in every supported encoding
	}
	for {
		tok, err := d.RawToken()
		if err != nil {
			return "", perr(name, 1, "", "no root element in the first %d bytes", len(head))
		}
		if t, ok := tok.(xml.StartElement); ok {
			return strings.ToUpper(t.Name.Local), nil
		}
	}
}

// looksLikeCSVHeader reports whether line has at least the required columns.
func looksLikeCSVHeader(line string) bool {
	comma := string(sniffComma([]byte(line)))
	seen := map[string]bool{}
	for _, h := range strings.Split(line, comma) {
		seen[csvColumns[csvColumnName(strings.Trim(h, `"`))]] = true
	}
	for _, c := range csvRequired {
		if !seen[c] {
			return false
		}
	}
	return true
}

// Parse detects the kind of file (Detect) and parses it with the matching
// parser; AAF files are read with ParseAAF. It is what `preau import FILE`
// uses.
func Parse(r io.Reader, name string) (*Batch, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, _ := br.Peek(sniffSize)
	src, root, err := detect(name, head)
	if err != nil {
		return nil, err
	}
	switch {
	case root == rootStructures:
		return ParseStructures(br, name)
	case root == rootNomenclatures:
		return ParseNomenclature(br, name)
	case src == SourceSIECLE:
		return ParseSIECLE(br, name)
	case src == SourceSTS:
		return ParseSTS(br, name)
	case src == SourceAAF:
		return ParseAAF(br, name)
	case src == SourceLDIF:
		return ParseLDIF(br, name)
	}
	return ParseCSV(br, name)
}
