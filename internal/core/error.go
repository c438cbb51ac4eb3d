// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// Kind classifies an error so that each protocol can map it to its own
// wire code (HTTP status, LDAP result code, SMTP reply) in one place.
type Kind int

// Error kinds. The zero value is Internal so that an unclassified error is
// never mistaken for a user mistake.
const (
	Internal        Kind = iota // a bug or an unexpected failure; details are logged, not shown
	Invalid                     // the input is wrong; Msg names what is wrong
	NotFound                    // the object does not exist (or is not visible to the caller)
	Exists                      // the object already exists (unique login, UAI …)
	Conflict                    // the change conflicts with the current state
	Permission                  // the caller is known but not allowed
	Unauthenticated             // the caller is not known (no or bad credentials)
	Unavailable                 // a dependency is down or the service is not ready; retry later
	TooMany                     // throttled; retry later
)

var kindNames = [...]string{"internal", "invalid", "not_found", "exists", "conflict",
	"permission", "unauthenticated", "unavailable", "too_many"}

// String returns the stable snake_case name of k, used in JSON error bodies.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the one error type of Préau. Msg is safe to show to an end user;
// Err is the cause, logged but never shown.
type Error struct {
	Op   string // operation, e.g. "directory.CreatePerson"
	Kind Kind
	Msg  string // user-safe message; empty means a generic text for Kind
	Err  error  // underlying cause, may be nil
}

// Error implements error. It includes the cause for logs.
func (e *Error) Error() string {
	s := e.Op
	if s != "" {
		s += ": "
	}
	if e.Msg != "" {
		s += e.Msg
	} else {
		s += e.Kind.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. Msg may be formatted with args.
func E(op string, kind Kind, msg string, args ...any) *Error {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	return &Error{Op: op, Kind: kind, Msg: msg}
}

// Wrap returns an *Error of the given kind whose cause is err. If err is nil,
// Wrap returns nil.
func Wrap(op string, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// MessageOf returns the user-safe message of err: the Msg of the first *Error
// in the chain that has one, or "" when there is none (callers then show a
// generic text for the kind). Internal errors never expose a message.
func MessageOf(err error) string {
	if KindOf(err) == Internal {
		return ""
	}
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Msg != "" {
			return e.Msg
		}
		err = e.Err
	}
	return ""
}

// IsKind reports whether err is of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// NewIncidentID returns a short random identifier that ties an internal error
// shown to a user to the log line that describes it.
func NewIncidentID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
