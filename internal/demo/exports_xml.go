// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// xmlOut writes an indented XML document in UTF-8; latin9 converts it.
type xmlOut struct {
	b     bytes.Buffer
	depth int
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// newXML starts a document whose prolog declares encoding; doctype, when
// not empty, is written after it.
func newXML(encoding, doctype string) *xmlOut {
	w := &xmlOut{}
	w.b.WriteString(`<?xml version="1.0" encoding="` + encoding + `"?>` + "\n")
	if doctype != "" {
		w.b.WriteString(doctype + "\n")
	}
	return w
}

// tag writes <name a="v"…> (or <name …/> when empty), attrs being pairs.
func (w *xmlOut) tag(name string, empty bool, attrs ...string) {
	w.b.WriteString(strings.Repeat("  ", w.depth) + "<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="` + xmlEscaper.Replace(attrs[i+1]) + `"`)
	}
	if empty {
		w.b.WriteString("/>\n")
		return
	}
	w.b.WriteString(">\n")
	w.depth++
}

// open writes a start tag.
func (w *xmlOut) open(name string, attrs ...string) { w.tag(name, false, attrs...) }

// empty writes a self-closing element.
func (w *xmlOut) empty(name string, attrs ...string) { w.tag(name, true, attrs...) }

// close writes an end tag.
func (w *xmlOut) close(name string) {
	w.depth--
	w.b.WriteString(strings.Repeat("  ", w.depth) + "</" + name + ">\n")
}

// leaf writes <name>text</name> on one line; an empty text gives <name></name>.
func (w *xmlOut) leaf(name, text string) {
	w.b.WriteString(strings.Repeat("  ", w.depth) + "<" + name + ">" + xmlEscaper.Replace(text) + "</" + name + ">\n")
}

// latin9 encodes the UTF-8 document in ISO-8859-15, like the national
// exports; a character that encoding lacks (ś, ğ…) becomes a numeric
// character reference, which every XML parser reads back.
func (w *xmlOut) latin9() []byte {
	var out bytes.Buffer
	out.Grow(w.b.Len())
	for _, r := range w.b.String() {
		if r < 0x80 {
			out.WriteByte(byte(r))
		} else if c, ok := charmap.ISO8859_15.EncodeRune(r); ok {
			out.WriteByte(c)
		} else {
			out.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		}
	}
	return out.Bytes()
}

// writeFiles writes each named document into dir and returns the paths in
// the order given.
func writeFiles(dir string, names []string, docs map[string][]byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(names))
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, docs[n], 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
