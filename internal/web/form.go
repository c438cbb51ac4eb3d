// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// Form holds the values of a submitted (or pre-filled) form and the error
// message of each invalid field, translated into the request's language, so
// that a handler can re-render the form with the user's input and the
// errors. Messages are translated with [T], so the request must have gone
// through [Renderer.Wrap]; otherwise they are bare translation keys. A nil
// *Form reads as an empty, valid form. It is not safe for concurrent use.
type Form struct {
	Values url.Values
	ctx    context.Context
	errs   map[string]string
	order  []string
}

// FieldError is one invalid field, for the error summary at the top of a form.
type FieldError struct {
	Name    string // field name; the input's id is "f-" + Name
	Message string // translated message
}

// NewForm returns a form holding values (which may be nil) whose messages
// are translated in the language of ctx. Use it to pre-fill an edit form.
func NewForm(ctx context.Context, values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, ctx: ctx, errs: map[string]string{}}
}

// ParseForm parses the body (and query) of r into a Form. A malformed body
// is an error of kind core.Invalid.
func ParseForm(r *http.Request) (*Form, error) {
	if err := r.ParseForm(); err != nil {
		return nil, core.E("web.ParseForm", core.Invalid, "malformed form: %v", err)
	}
	return NewForm(r.Context(), r.Form), nil
}

// Value returns the value of field name with surrounding spaces removed.
func (f *Form) Value(name string) string {
	if f == nil {
		return ""
	}
	return strings.TrimSpace(f.Values.Get(name))
}

// Checked reports whether the checkbox name was ticked (any non-empty value).
func (f *Form) Checked(name string) bool { return f.Value(name) != "" }

// Fail records that field name is invalid, with the message key translated
// and formatted with args. The first failure of a field wins.
func (f *Form) Fail(name, key string, args ...any) {
	if _, ok := f.errs[name]; ok {
		return
	}
	f.errs[name] = T(f.ctx, key, args...)
	f.order = append(f.order, name)
}

// Required returns the value of field name, recording the error
// "web.form.required" (which names the field by the translation of labelKey)
// when it is empty.
func (f *Form) Required(name, labelKey string) string {
	v := f.Value(name)
	if v == "" {
		f.Fail(name, "web.form.required", T(f.ctx, labelKey))
	}
	return v
}

// MaxLen records "web.form.too_long" when the value of name is longer than
// n characters, and returns the value.
func (f *Form) MaxLen(name string, n int) string {
	v := f.Value(name)
	if utf8.RuneCountInString(v) > n {
		f.Fail(name, "web.form.too_long", n)
	}
	return v
}

// Int returns the value of name as an integer in [lo, hi], recording
// "web.form.integer" when it is not one. An empty value gives 0 and no error.
func (f *Form) Int(name string, lo, hi int) int {
	v := f.Value(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		f.Fail(name, "web.form.integer", lo, hi)
		return 0
	}
	return n
}

// Error returns the message of field name, or "" when it is valid.
func (f *Form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.errs[name]
}

// Errors returns the invalid fields in the order they failed.
func (f *Form) Errors() []FieldError {
	if f == nil {
		return nil
	}
	out := make([]FieldError, len(f.order))
	for i, n := range f.order {
		out[i] = FieldError{Name: n, Message: f.errs[n]}
	}
	return out
}

// Valid reports whether no field failed.
func (f *Form) Valid() bool { return f == nil || len(f.order) == 0 }

// Err returns nil when the form is valid, and otherwise an error of kind
// core.Invalid that lists the failed fields (for logs and JSON clients).
func (f *Form) Err() error {
	if f.Valid() {
		return nil
	}
	return core.E("web.Form", core.Invalid, "invalid fields: %s", strings.Join(f.order, ", "))
}
