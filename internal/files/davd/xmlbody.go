// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"

	"github.com/preau/preau/internal/core"
)

// maxXMLBody bounds PROPFIND, PROPPATCH and LOCK bodies.
const maxXMLBody = 1 << 20

// checkXMLBody reads a WebDAV XML body (bounded) and refuses what
// x/net/webdav would accept wrongly: a namespace prefix bound to the empty
// string (not allowed by Namespaces in XML 1.0, litmus propfind_invalid2),
// a DOCTYPE (no entities in WebDAV bodies), or malformed XML. The body is
// then replayed to the handler.
func checkXMLBody(r *http.Request) error {
	const op = "davd.XML"
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return core.E(op, core.Invalid, "the request body could not be read")
	}
	if len(b) > maxXMLBody {
		return core.E(op, core.Invalid, "the XML body is larger than 1 MiB")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return CheckXML(b)
}

// CheckXML validates a WebDAV request body.
func CheckXML(b []byte) error {
	const op = "davd.XML"
	d := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return core.E(op, core.Invalid, "the XML body is truncated")
			}
			return nil
		}
		if err != nil {
			return core.E(op, core.Invalid, "the XML body is malformed: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 64 {
				return core.E(op, core.Invalid, "the XML body is nested too deeply")
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return core.E(op, core.Invalid, "the XML body binds namespace prefix %q to an empty name", a.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return core.E(op, core.Invalid, "the XML body has a DOCTYPE or directive, which WebDAV does not use")
		}
	}
}
