// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"errors"
	"log/slog"

	"github.com/preau/preau/internal/core"
)

// ResultCode is an LDAP result code (RFC 4511 §4.1.9 and appendix A).
type ResultCode int

// Result codes.
const (
	ResultSuccess                      ResultCode = 0
	ResultOperationsError              ResultCode = 1
	ResultProtocolError                ResultCode = 2
	ResultTimeLimitExceeded            ResultCode = 3
	ResultSizeLimitExceeded            ResultCode = 4
	ResultCompareFalse                 ResultCode = 5
	ResultCompareTrue                  ResultCode = 6
	ResultAuthMethodNotSupported       ResultCode = 7
	ResultStrongerAuthRequired         ResultCode = 8
	ResultAdminLimitExceeded           ResultCode = 11
	ResultUnavailableCriticalExtension ResultCode = 12
	ResultConfidentialityRequired      ResultCode = 13
	ResultNoSuchAttribute              ResultCode = 16
	ResultUndefinedAttributeType       ResultCode = 17
	ResultInappropriateMatching        ResultCode = 18
	ResultConstraintViolation          ResultCode = 19
	ResultAttributeOrValueExists       ResultCode = 20
	ResultInvalidAttributeSyntax       ResultCode = 21
	ResultNoSuchObject                 ResultCode = 32
	ResultInvalidDNSyntax              ResultCode = 34
	ResultInappropriateAuthentication  ResultCode = 48
	ResultInvalidCredentials           ResultCode = 49
	ResultInsufficientAccessRights     ResultCode = 50
	ResultBusy                         ResultCode = 51
	ResultUnavailable                  ResultCode = 52
	ResultUnwillingToPerform           ResultCode = 53
	ResultNamingViolation              ResultCode = 64
	ResultObjectClassViolation         ResultCode = 65
	ResultNotAllowedOnNonLeaf          ResultCode = 66
	ResultNotAllowedOnRDN              ResultCode = 67
	ResultEntryAlreadyExists           ResultCode = 68
	ResultObjectClassModsProhibited    ResultCode = 69
	ResultAffectsMultipleDSAs          ResultCode = 71
	ResultOther                        ResultCode = 80
)

// resultTexts are the generic diagnostic messages, used when an error has no
// user-safe message of its own.
var resultTexts = map[ResultCode]string{
	ResultOperationsError:              "operations error",
	ResultProtocolError:                "protocol error",
	ResultTimeLimitExceeded:            "time limit exceeded",
	ResultSizeLimitExceeded:            "size limit exceeded",
	ResultNoSuchAttribute:              "no such attribute",
	ResultUndefinedAttributeType:       "undefined attribute type",
	ResultConstraintViolation:          "constraint violation",
	ResultAttributeOrValueExists:       "attribute or value exists",
	ResultInvalidAttributeSyntax:       "invalid attribute syntax",
	ResultNoSuchObject:                 "no such object",
	ResultInvalidDNSyntax:              "invalid DN syntax",
	ResultInvalidCredentials:           "invalid credentials",
	ResultInsufficientAccessRights:     "insufficient access rights",
	ResultBusy:                         "server busy, retry later",
	ResultUnavailable:                  "service unavailable, retry later",
	ResultUnwillingToPerform:           "unwilling to perform",
	ResultObjectClassViolation:         "object class violation",
	ResultNotAllowedOnNonLeaf:          "not allowed on a non-leaf entry",
	ResultNotAllowedOnRDN:              "not allowed on the RDN",
	ResultEntryAlreadyExists:           "entry already exists",
	ResultUnavailableCriticalExtension: "unavailable critical extension",
}

// ResultError lets a Directory choose the LDAP result code or the matchedDN
// of an error. Code 0 keeps the code derived from the error's kind.
type ResultError struct {
	Code      ResultCode
	MatchedDN string
	Err       error // the cause, whose core.MessageOf is the diagnostic message
}

// Error implements error.
func (e *ResultError) Error() string {
	if e.Err == nil {
		return "ldap result " + itoa(int(e.Code))
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *ResultError) Unwrap() error { return e.Err }

// WithCode returns err answered with result code c, e.g.
// WithCode(core.E(op, core.Conflict, "the group is not empty"), ResultNotAllowedOnNonLeaf).
func WithCode(err error, c ResultCode) error {
	return &ResultError{Code: c, Err: err}
}

// WithMatchedDN returns err (typically core.NotFound) answered with the
// given matchedDN: the deepest existing ancestor of the requested DN.
func WithMatchedDN(err error, matched string) error {
	return &ResultError{MatchedDN: matched, Err: err}
}

// ResultFor maps a Directory error to an LDAP result: the one place where
// core.Kind becomes a result code.
//
//   - core.Invalid → constraintViolation (19): the value is refused by a
//     rule (password quality, forbidden attribute, bad format). Use WithCode
//     for invalidAttributeSyntax (21), objectClassViolation (65)….
//   - core.NotFound → noSuchObject (32), core.Exists → entryAlreadyExists (68).
//   - core.Conflict → unwillingToPerform (53); notAllowedOnNonLeaf (66) only
//     through WithCode.
//   - core.Permission → insufficientAccessRights (50).
//   - core.Unauthenticated → invalidCredentials (49).
//   - core.Unavailable → unavailable (52), core.TooMany → busy (51).
//   - context.DeadlineExceeded → timeLimitExceeded (3).
//   - anything else (Internal) → other (80), logged with an incident id that
//     the diagnostic message repeats.
//
// The diagnostic message is core.MessageOf(err) or a generic text.
func ResultFor(err error, log *slog.Logger) (code ResultCode, matchedDN, msg string) {
	var re *ResultError
	if errors.As(err, &re) {
		code, matchedDN = re.Code, re.MatchedDN
	}
	if code == ResultSuccess {
		code = kindCode(err)
	}
	if code == ResultOther {
		id := core.NewIncidentID()
		if log != nil {
			log.Error("ldap operation failed", "incident", id, "err", err)
		}
		return code, matchedDN, "internal error, incident " + id
	}
	msg = core.MessageOf(err)
	if msg == "" {
		msg = resultTexts[code]
	}
	return code, matchedDN, msg
}

func kindCode(err error) ResultCode {
	if errors.Is(err, context.DeadlineExceeded) {
		return ResultTimeLimitExceeded
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		return ResultOther
	}
	switch ce.Kind {
	case core.Invalid:
		return ResultConstraintViolation
	case core.NotFound:
		return ResultNoSuchObject
	case core.Exists:
		return ResultEntryAlreadyExists
	case core.Conflict:
		return ResultUnwillingToPerform
	case core.Permission:
		return ResultInsufficientAccessRights
	case core.Unauthenticated:
		return ResultInvalidCredentials
	case core.Unavailable:
		return ResultUnavailable
	case core.TooMany:
		return ResultBusy
	}
	return ResultOther
}

// bindResultFor maps a Bind error: every refusal of the credentials is
// invalidCredentials (49) and says no more than the kind allows.
func bindResultFor(err error, log *slog.Logger) (ResultCode, string) {
	switch core.KindOf(err) {
	case core.Unauthenticated:
		return ResultInvalidCredentials, "invalid credentials"
	case core.TooMany:
		if m := core.MessageOf(err); m != "" {
			return ResultInvalidCredentials, m
		}
		return ResultInvalidCredentials, "too many failed attempts, retry later"
	case core.Permission:
		if m := core.MessageOf(err); m != "" {
			return ResultInvalidCredentials, m
		}
		return ResultInvalidCredentials, "account disabled"
	}
	code, _, msg := ResultFor(err, log)
	return code, msg
}
