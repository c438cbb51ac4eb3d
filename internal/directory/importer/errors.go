// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
)

// ParseError is a problem with the content of an import file. It names the
// file, the line and the element (or column) and says what is wrong; it
// never quotes a value of a forbidden element (a birth date, an address…),
// only identifiers, codes and element names. It unwraps to a core.Error of
// kind core.Invalid, so the web shows 400 and core.MessageOf gives the text.
type ParseError struct {
	File    string // file name as given to the parser
	Line    int    // 1-based line; 0 when unknown
	Element string // element, attribute or column the error is about; may be empty
	Msg     string // what is wrong
}

// Error returns "file:line: element: msg", leaving out the empty parts.
func (e *ParseError) Error() string {
	var parts []string
	if e.File != "" {
		where := e.File
		if e.Line > 0 {
			where += ":" + strconv.Itoa(e.Line)
		}
		parts = append(parts, where)
	}
	if e.Element != "" {
		parts = append(parts, e.Element)
	}
	return strings.Join(append(parts, e.Msg), ": ")
}

// Unwrap returns the equivalent core.Error of kind Invalid.
func (e *ParseError) Unwrap() error {
	return &core.Error{Op: "importer.Parse", Kind: core.Invalid, Msg: e.Error()}
}

// perr builds a ParseError; msg may be formatted with args, which must never
// be personal values.
func perr(file string, line int, element, msg string, args ...any) *ParseError {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	return &ParseError{File: file, Line: line, Element: element, Msg: msg}
}

// clip shortens an identifier or code before it is echoed in a message.
func clip(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
