// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// casNS is the namespace of CAS responses; clients (phpCAS, the Apereo
// Java client) expect it with the cas: prefix.
const casNS = "http://www.yale.edu/tp/cas"

// writeText writes a CAS 1 answer: "yes\n<user>\n" or "no\n\n".
func writeText(w http.ResponseWriter, s *success) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s == nil {
		_, _ = w.Write([]byte("no\n\n"))
		return
	}
	// A login never holds a line break; strip one rather than forge a line.
	user := strings.NewReplacer("\n", "", "\r", "").Replace(s.User)
	_, _ = w.Write([]byte("yes\n" + user + "\n"))
}

// writeXML writes a cas:serviceResponse (CAS protocol appendix A). The
// encoder escapes every text and replaces characters XML cannot hold.
func writeXML(w http.ResponseWriter, s *success, f *failure) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	el := func(local string) xml.StartElement { return xml.StartElement{Name: xml.Name{Local: "cas:" + local}} }
	root := el("serviceResponse")
	root.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns:cas"}, Value: casNS}}
	tok := func(t xml.Token) { _ = enc.EncodeToken(t) }
	text := func(local, value string) { _ = enc.EncodeElement(value, el(local)) }
	tok(root)
	if s == nil {
		fe := el("authenticationFailure")
		fe.Attr = []xml.Attr{{Name: xml.Name{Local: "code"}, Value: f.Code}}
		tok(fe)
		tok(xml.CharData(f.Msg))
		tok(fe.End())
	} else {
		ok := el("authenticationSuccess")
		tok(ok)
		text("user", s.User)
		if len(s.Attributes) > 0 {
			attrs := el("attributes")
			tok(attrs)
			for _, a := range s.Attributes {
				for _, v := range a.Values {
					text(a.Name, v)
				}
			}
			tok(attrs.End())
		}
		tok(ok.End())
	}
	tok(root.End())
	if err := enc.Flush(); err != nil {
		writeFallback(w)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
	_, _ = w.Write([]byte("\n"))
}

// writeFallback answers INTERNAL_ERROR when a response could not be
// encoded (it cannot happen with the values Préau holds).
func writeFallback(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write([]byte(`<cas:serviceResponse xmlns:cas="` + casNS + `">` +
		`<cas:authenticationFailure code="INTERNAL_ERROR">the response could not be encoded` +
		`</cas:authenticationFailure></cas:serviceResponse>` + "\n"))
}

type jsonResponse struct {
	ServiceResponse jsonBody `json:"serviceResponse"`
}

type jsonBody struct {
	Success *jsonSuccess `json:"authenticationSuccess,omitempty"`
	Failure *jsonFailure `json:"authenticationFailure,omitempty"`
}

type jsonSuccess struct {
	User       string              `json:"user"`
	Attributes map[string][]string `json:"attributes,omitempty"`
}

type jsonFailure struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// writeJSON writes the JSON form of a response (format=JSON, CAS 3).
// Attribute values are always arrays, even when single.
func writeJSON(w http.ResponseWriter, s *success, f *failure) {
	var body jsonBody
	if s == nil {
		body.Failure = &jsonFailure{Code: f.Code, Description: f.Msg}
	} else {
		body.Success = &jsonSuccess{User: s.User}
		if len(s.Attributes) > 0 {
			body.Success.Attributes = map[string][]string{}
			for _, a := range s.Attributes {
				if len(a.Values) > 0 {
					body.Success.Attributes[a.Name] = a.Values
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(jsonResponse{ServiceResponse: body})
}
