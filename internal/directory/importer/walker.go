// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits that keep a hostile file from using much memory.
const (
	maxDepth = 64   // nesting of elements
	maxText  = 1024 // bytes of one kept text value
)

// node is one open element of the document being walked.
type node struct {
	name    string // local name as written
	up      string // upper-case local name, for matching (formats.md §2.7)
	line    int    // line of its start tag
	keep    bool   // collect its text and pass it to end
	quiet   bool   // a dropped value is not counted (used, or metadata)
	countAs string // name under which a dropped value is counted; default up
	off     int    // start of its text in walker.buf
	child   bool   // has child elements
	text    bool   // has non-blank text (dropped elements: only this bit is kept)
	tag     uint8  // set by the handler's start, read by its end
}

// Tags.
const (
	tagParam  uint8 = 1 + iota // a PARAMETRES child read by beeParams
	tagStruct                  // a structure (division, group) element being read
	tagRecord                  // a record element (INDIVIDU, AAF request…)
)

// handler receives the events of a walk. start is called for every start
// element, with the element on top of the stack; it sets n.keep to receive
// the text in end. end is called for every end element, with the trimmed,
// space-collapsed text when n.keep, "" otherwise. A dropped leaf with text
// is counted in Batch.Dropped, under its upper-case name or n.countAs,
// unless n.quiet.
type handler struct {
	start func(n *node, attrs []xml.Attr) error
	end   func(n *node, text string) error
}

// walker streams one XML document token by token. Text of elements that are
// not kept is never copied: only the fact that it was not blank survives
// the token.
type walker struct {
	file    string
	b       *Batch
	dec     *xml.Decoder
	in      *errReader
	stack   []node
	buf     []byte
	charset string // a declared encoding that is not supported
}

// newWalker prepares a walk of r, whose encoding comes from its prolog.
func newWalker(r io.Reader, file string, b *Batch) *walker {
	w := &walker{file: file, b: b, in: &errReader{r: r}}
	w.dec = xml.NewDecoder(skipBOM(w.in))
	w.dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		cm, known := charmapFor(label)
		switch {
		case !known:
			w.charset = label
			return nil, errors.New("unsupported encoding")
		case cm == nil:
			return in, nil
		}
		return cm.NewDecoder().Reader(in), nil
	}
	return w
}

// run walks the document. root is the expected root element (upper case);
// another root is refused with a message naming both.
func (w *walker) run(root string, h handler) error {
	for {
		tok, err := w.dec.RawToken() // the stack checks nesting: Token's namespace work is not needed
		if err != nil {
			return w.tokenError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := w.open(t, root, h); err != nil {
				return err
			}
		case xml.CharData:
			if err := w.chars(t); err != nil {
				return err
			}
		case xml.EndElement:
			if len(w.stack) == 0 || t.Name.Local != w.stack[len(w.stack)-1].name {
				return w.mismatch(t.Name.Local)
			}
			if err := w.close(h); err != nil {
				return err
			}
			if len(w.stack) == 0 {
				return nil // the rest of the input is not read
			}
		}
	}
}

// open pushes a start element and calls h.start.
func (w *walker) open(t xml.StartElement, root string, h handler) error {
	line, _ := w.dec.InputPos()
	up := strings.ToUpper(t.Name.Local)
	if len(w.stack) == 0 && up != root {
		return perr(w.file, line, t.Name.Local, "%s", rootMessage(t.Name.Local, root))
	}
	if len(w.stack) >= maxDepth {
		return perr(w.file, line, t.Name.Local, "elements nested more than %d deep", maxDepth)
	}
	if len(w.stack) > 0 {
		w.stack[len(w.stack)-1].child = true
	}
	w.stack = append(w.stack, node{name: t.Name.Local, up: up, line: line, off: len(w.buf)})
	n := &w.stack[len(w.stack)-1]
	if err := h.start(n, t.Attr); err != nil {
		return err
	}
	return nil
}

// chars records text: copied for a kept element, one bit otherwise.
func (w *walker) chars(t xml.CharData) error {
	if len(w.stack) == 0 {
		return nil
	}
	n := &w.stack[len(w.stack)-1]
	if !n.keep {
		if !n.text && len(bytes.TrimSpace(t)) > 0 {
			n.text = true
		}
		return nil
	}
	if len(w.buf)-n.off+len(t) > maxText {
		line, _ := w.dec.InputPos()
		return perr(w.file, line, n.name, "value longer than %d bytes", maxText)
	}
	w.buf = append(w.buf, t...)
	return nil
}

// close pops the top element, calls h.end and counts a dropped value.
func (w *walker) close(h handler) error {
	n := w.stack[len(w.stack)-1]
	text := ""
	if n.keep {
		text = cleanText(string(w.buf[n.off:]))
	}
	w.buf = w.buf[:n.off]
	err := h.end(&n, text)
	w.stack = w.stack[:len(w.stack)-1]
	if err != nil {
		return err
	}
	if !n.keep && !n.quiet && !n.child && n.text {
		w.b.drop(firstNonEmpty(n.countAs, n.up))
	}
	return nil
}

// under reports whether the elements just above the top one are names,
// outermost first: under("ELEVES") is true for ELEVES/ELEVE.
func (w *walker) under(names ...string) bool {
	top := len(w.stack) - 1 // the element being opened or closed
	if top < len(names) {
		return false
	}
	for i, name := range names {
		if w.stack[top-len(names)+i].up != name {
			return false
		}
	}
	return true
}

// mismatch reports an end tag that does not close the open element.
func (w *walker) mismatch(name string) error {
	line, _ := w.dec.InputPos()
	if len(w.stack) == 0 {
		return perr(w.file, line, name, "malformed XML: unexpected end element </%s>", name)
	}
	top := w.stack[len(w.stack)-1].name
	return perr(w.file, line, top, "malformed XML: element <%s> closed by </%s>", top, name)
}

// tokenError turns a decoder error into a ParseError (or an I/O error).
func (w *walker) tokenError(err error) error {
	line, _ := w.dec.InputPos()
	el := ""
	if len(w.stack) > 0 {
		el = w.stack[len(w.stack)-1].name
	}
	switch {
	case w.in.err != nil:
		return fmt.Errorf("reading %s: %w", w.file, w.in.err)
	case w.charset != "":
		return perr(w.file, 1, "", "encoding %q is not supported: use UTF-8, ISO-8859-15 or ISO-8859-1", clip(w.charset))
	case err == io.EOF && len(w.stack) == 0:
		return perr(w.file, line, "", "no root element: the file is empty or not XML")
	case err == io.EOF, err == io.ErrUnexpectedEOF:
		return perr(w.file, line, el, "the file ends inside <%s>: it is truncated", el)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return perr(w.file, se.Line, el, "%s", syntaxMessage(se.Msg, el))
	}
	return perr(w.file, line, el, "%s", strings.TrimPrefix(err.Error(), "xml: "))
}

// syntaxMessage rewords a decoder message so that it never quotes file
// content beyond element names.
func syntaxMessage(msg, el string) string {
	switch {
	case msg == "unexpected EOF":
		return fmt.Sprintf("the file ends inside <%s>: it is truncated", el)
	case strings.Contains(msg, "invalid UTF-8"):
		return "invalid UTF-8: declare the real encoding in the XML prolog (e.g. encoding=\"ISO-8859-15\")"
	case strings.Contains(msg, "entity"):
		return "malformed XML: invalid character entity (write & as &amp;)"
	case strings.Contains(msg, "character"):
		return "malformed XML: invalid character"
	}
	return "malformed XML: " + msg
}

// cleanText trims s and collapses runs of white space to one space.
func cleanText(s string) string {
	if !strings.ContainsAny(s, "\t\n\r\v\f ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
