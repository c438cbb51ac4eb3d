// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth/cas"
)

// FuzzValidateParams sends arbitrary service, ticket, renew and format
// values to the validation endpoints (untrusted input from any
// application) and checks that the answer is always a 200 with a
// well-formed document: CAS 1 text, JSON, or a cas:serviceResponse.
func FuzzValidateParams(f *testing.F) {
	e := newEnv(f, backends(f)[0])
	e.login(e.browser, "/")
	f.Add(uint8(3), e.service, e.ticket(e.browser, e.service), "", "")
	f.Add(uint8(3), e.service, e.ticket(e.browser, e.service), "true", "JSON")
	f.Add(uint8(2), e.app.URL+"/other", e.ticket(e.browser, e.service), "", "XML")
	f.Add(uint8(1), e.service, e.ticket(e.browser, e.service), "true", "")
	f.Add(uint8(3), "", "", "", "")
	f.Add(uint8(3), "https://x/\x00<&>\"", "ST-\xff\xfe<![CDATA[", "1", "json")
	f.Add(uint8(2), "<cas:user>", "ST-"+strings.Repeat("A", 300), "false", "JSON")
	f.Add(uint8(4), "é\u2028", "PT-1", "", "HTML")
	paths := []string{cas.ValidatePath, cas.ServiceValidatePath, cas.ProxyValidatePath, cas.P3ServiceValidatePath,
		cas.P3ProxyValidatePath}
	f.Fuzz(func(t *testing.T, endpoint uint8, service, ticket, renew, format string) {
		path := paths[int(endpoint)%len(paths)]
		q := url.Values{"service": {service}, "ticket": {ticket}, "renew": {renew}, "format": {format}}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil))
		body := w.Body.Bytes()
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", path, w.Code, body)
		}
		switch {
		case path == cas.ValidatePath:
			if s := string(body); s != "no\n\n" && (!strings.HasPrefix(s, "yes\n") || strings.Count(s, "\n") != 2) {
				t.Fatalf("CAS 1 answer %q", s)
			}
		case strings.EqualFold(format, "JSON"):
			var v struct {
				ServiceResponse map[string]json.RawMessage `json:"serviceResponse"`
			}
			if err := json.Unmarshal(body, &v); err != nil || len(v.ServiceResponse) != 1 {
				t.Fatalf("JSON answer %v: %s", err, body)
			}
		default:
			checkXML(t, body)
		}
	})
}

// checkXML fails unless doc is one well-formed cas:serviceResponse.
func checkXML(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("malformed XML: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if el.Name.Space != "http://www.yale.edu/tp/cas" || el.Name.Local != "serviceResponse" {
					t.Fatalf("root %v\n%s", el.Name, doc)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("%d roots, depth %d\n%s", roots, depth, doc)
	}
}
