// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/preau/preau/internal/core"
)

// JSON writes v as a JSON response with the given status. It encodes before
// writing, so that on an encoding failure nothing is written and the error
// (kind Internal) can go to [Error]. Errors writing to the client are
// ignored: the client is gone.
func JSON(w http.ResponseWriter, code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return core.Wrap("web.JSON", core.Internal, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// DecodeJSON decodes the JSON body of r into v. The body must be one JSON
// value of at most maxBytes bytes, sent as application/json. Every failure
// is an error of kind core.Invalid whose message names the problem: the wrong
// content type, an empty or oversized body, a syntax error and its offset, an
// unknown field or a field of the wrong type (by name), or trailing data.
func DecodeJSON(r *http.Request, v any, maxBytes int64) error {
	const op = "web.DecodeJSON"
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return core.E(op, core.Invalid, "the body must be sent as application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return core.E(op, core.Invalid, "reading the body: %v", err)
	}
	if int64(len(body)) > maxBytes {
		return core.E(op, core.Invalid, "the body is larger than %d bytes", maxBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return core.E(op, core.Invalid, "the body is empty; a JSON value is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return core.E(op, core.Invalid, "%s", describeJSONError(err))
	}
	if dec.More() {
		return core.E(op, core.Invalid, "unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	return nil
}

// describeJSONError turns a decoding error into a message for the client.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at offset %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q: expected %s, got %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("expected %s, got %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends too early"
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + f
	}
	return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}
