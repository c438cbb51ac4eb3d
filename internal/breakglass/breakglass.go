// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package breakglass is the only road for an administrator to a person's
// private content (design §3; CARINE UTI-ESF-8, MCO-SVG-11, MCO-JAL-6,
// MCO-SEI-7): a recorded request with its legal basis (the person's consent
// or a judicial request, with its reference), the approval of the head of
// the establishment, a time limit, journal entries for every step and every
// use, and notices to the person concerned.
//
// # Life of a request
//
//	requested ──approve──▶ approved ──close──▶ closed
//	    │                      └──(until passes)──▶ expired
//	    ├──refuse──▶ refused
//	    ├──cancel──▶ cancelled
//	    └──(no decision within PendingLifetime)──▶ expired
//
// A technical admin (or a holder of core.RightBreakGlass) of one of the
// target's establishments asks; the head of that establishment, or an
// operator, decides — never the requester, never the target. Approval opens
// the window [approval, approval + duration]. The requester may cancel a
// request still waiting; the requester, the heads of the establishment and
// operators may close an access early; [Service.ExpireDue], run by a
// periodic job, ends the others. Each transition is journaled (actions
// breakglass.request, .approve, .refuse, .cancel, .close, .expire) in the
// same transaction as the change and as the portal notices it sends.
//
// # The contract for services (files, mail, logs, backup, supervision)
//
// A service that is about to show an administrator content that belongs
// privately to someone else (a PERSONNEL/PRIVÉ subtree, a mailbox, personal
// log lines, a backup of a home folder) calls, with the administrator's
// principal in ctx:
//
//	req, err := bg.Authorize(ctx, ownerPersonID, breakglass.ScopeFiles, "/home/lou/PERSONNEL/note.odt")
//	if err != nil {
//		return err // core.Permission: its message says why (no request, awaiting approval, expired…)
//	}
//
// Authorize succeeds only when the principal is the requester of a request
// approved for that person and scope whose window holds now, and whose
// object (when the request names one) is the object asked or a parent of
// it, and when the principal still serves the request's establishment (an
// access stops with the admin's role there). Each success writes a breakglass.use journal entry naming the object,
// and counts the use on the request (the person sees the count). Each
// failure is journaled as a refused breakglass.use and returns an error of
// kind core.Permission (core.NotFound never: the caller must not learn less
// than the admin is told). Call it once per object opened, not once per
// byte read: listing a folder is one use, opening a file another. A person
// reaching their own content, or a restore they start themselves, needs no
// break-glass: Authorize is for someone else's private content only.
//
// This package is a domain package: it imports neither database/sql nor
// net/http. Its store lives in internal/store, its pages in breakglassweb.
package breakglass

import (
	"errors"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// State is where a request stands.
type State string

// States. The string values are stored.
const (
	Requested State = "requested"
	Approved  State = "approved"
	Refused   State = "refused"
	Cancelled State = "cancelled"
	Expired   State = "expired"
	Closed    State = "closed"
)

// States lists every state, in display order.
var States = []State{Requested, Approved, Refused, Cancelled, Expired, Closed}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether a request in state s may still give access: waiting
// for a decision, or approved.
func (s State) Open() bool { return s == Requested || s == Approved }

// Scope names the kind of private content a request opens.
type Scope string

// Scopes: one per service that holds private content.
const (
	ScopeFiles   Scope = "files"   // personal file space (UTI-ESF-8)
	ScopeMail    Scope = "mail"    // mailbox (UTI-MSG-n3)
	ScopeLogs    Scope = "logs"    // personal content of the logs (MCO-JAL-6)
	ScopeBackup  Scope = "backup"  // backup content (MCO-SVG-11)
	ScopeMonitor Scope = "monitor" // personal supervision data (MCO-SEI-7)
)

// Scopes lists every scope, in display order.
var Scopes = []Scope{ScopeFiles, ScopeMail, ScopeLogs, ScopeBackup, ScopeMonitor}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool {
	for _, v := range Scopes {
		if s == v {
			return true
		}
	}
	return false
}

// Basis is the legal ground of a request.
type Basis string

// Legal bases (CARINE: "the user's agreement or a judicial authority").
const (
	Consent  Basis = "consent"  // the person's written consent; Reference names the form
	Judicial Basis = "judicial" // a judicial request (réquisition); Reference is its number
)

// Bases lists the legal bases.
var Bases = []Basis{Consent, Judicial}

// Valid reports whether b is a known basis.
func (b Basis) Valid() bool { return b == Consent || b == Judicial }

// Bounds of a request.
const (
	DefaultDuration = 4 * time.Hour
	MinDuration     = 15 * time.Minute
	MaxDuration     = 72 * time.Hour
	// PendingLifetime is how long a request may wait for a decision before
	// it lapses (state expired): a stale request must be asked again.
	PendingLifetime = 7 * 24 * time.Hour

	MaxReference = 100
	MaxReason    = 2000
	MaxComment   = 1000
	MaxObject    = 1000
)

// Party is a person as a request records them: their ID, and their login and
// name at the time, so that the record reads without the directory.
type Party struct {
	ID    string
	Login string
	Name  string
}

// Request is one break-glass request and, once approved, access.
type Request struct {
	ID            string
	Establishment string // establishment ID: its head decides, its journal chain records
	Requester     Party
	Target        Party // the person whose content is opened
	Scope         Scope
	Object        string // optional: a path or object reference within the scope; "" is the whole scope
	Basis         Basis
	Reference     string // consent form number or judicial reference
	Reason        string
	Duration      time.Duration // asked; the window's length once approved
	State         State
	CreatedAt     time.Time
	Approver      Party     // who approved or refused
	DecidedAt     time.Time // approval or refusal time
	Comment       string    // the decision's comment
	From, Until   time.Time // the window, set at approval
	EndedAt       time.Time // cancelled, closed or expired at
	EndedBy       Party     // who cancelled or closed (empty for expiry)
	EndComment    string
	Uses          int // successful Authorize calls
	LastUsedAt    time.Time
}

// InForce reports whether r gives access at t.
func (r *Request) InForce(t time.Time) bool {
	return r.State == Approved && !t.Before(r.From) && t.Before(r.Until)
}

// WasApproved reports whether r ever gave access (the person concerned sees
// those requests).
func (r *Request) WasApproved() bool { return !r.From.IsZero() }

// Event is one line of a request's timeline: a transition or a use.
type Event struct {
	RequestID string
	At        time.Time
	Actor     Party  // empty for the system (expiry)
	Action    string // request, approve, refuse, cancel, close, expire, use
	Detail    string // comment, or the object used
}

// Notice is a portal notice a transition sends, written in the same
// transaction.
type Notice struct {
	PersonID string
	Subject  string
	Body     string
}

// Filter selects requests. Zero fields match all.
type Filter struct {
	Establishments []string // in any of these (nil: no restriction)
	Requester      string   // requester person ID
	Target         string   // target person ID
	NotTarget      string   // exclude requests about this person
	States         []State
	DueBefore      time.Time // approved with Until <= DueBefore, or requested with CreatedAt <= DueBefore-PendingLifetime
	Limit          int       // 0 means 200
}

// Validate checks the fields a requester gives and fills the defaults. It
// canonicalises Object and trims the texts.
func (r *Request) Validate() error {
	const op = "breakglass.Validate"
	if !r.Scope.Valid() {
		return core.E(op, core.Invalid, "scope %q is not one of files, mail, logs, backup, monitor", clip(string(r.Scope)))
	}
	obj, err := CleanObject(r.Object)
	if err != nil {
		return err
	}
	r.Object = obj
	if !r.Basis.Valid() {
		return core.E(op, core.Invalid, "the legal basis must be consent or judicial, not %q", clip(string(r.Basis)))
	}
	r.Reference = strings.TrimSpace(r.Reference)
	if err := checkReference(r.Reference); err != nil {
		return err
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if err := checkText("the reason", r.Reason, 10, MaxReason, true); err != nil {
		return err
	}
	if r.Duration == 0 {
		r.Duration = DefaultDuration
	}
	if r.Duration < MinDuration || r.Duration > MaxDuration {
		return core.E(op, core.Invalid, "the duration must be between %s and %d hours", MinDuration, int(MaxDuration.Hours()))
	}
	return nil
}

// checkReference accepts 3 to MaxReference printable characters with at
// least one letter or digit: "CNIL-2026-014", "PV 2026/118 TJ Lyon".
func checkReference(s string) error {
	const op = "breakglass.Validate"
	if s == "" {
		return core.E(op, core.Invalid, "the legal basis needs its reference (consent form number or judicial reference)")
	}
	if err := checkText("the reference", s, 3, MaxReference, false); err != nil {
		return err
	}
	if strings.IndexFunc(s, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }) < 0 {
		return core.E(op, core.Invalid, "the reference must contain a letter or a digit")
	}
	return nil
}

// CheckComment checks a decision or closing comment.
func CheckComment(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	min := 0
	if required {
		min = 3
	}
	return s, checkText("the comment", s, min, MaxComment, true)
}

func checkText(what, s string, minLen, maxLen int, multiline bool) error {
	const op = "breakglass.Validate"
	if !utf8.ValidString(s) {
		return core.E(op, core.Invalid, "%s is not valid UTF-8", what)
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		if n == 0 {
			return core.E(op, core.Invalid, "%s is required", what)
		}
		return core.E(op, core.Invalid, "%s needs at least %d characters", what, minLen)
	}
	if n > maxLen {
		return core.E(op, core.Invalid, "%s has at most %d characters", what, maxLen)
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\r' || c == '\t')) {
			return core.E(op, core.Invalid, "%s cannot contain control characters", what)
		}
	}
	return nil
}

// CleanObject canonicalises an object reference: "" stays "" (the whole
// scope); a path becomes absolute and clean ("/home/lou/PERSONNEL"). A
// reference that climbs out of its root ("..") or holds control characters
// is refused, so that a request for one folder never covers another.
func CleanObject(s string) (string, error) {
	const op = "breakglass.CleanObject"
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxObject {
		return "", core.E(op, core.Invalid, "the object reference must be valid text of at most %d characters", MaxObject)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", core.E(op, core.Invalid, "the object reference cannot contain control characters")
	}
	s = strings.ReplaceAll(s, "\\", "/")
	for _, part := range strings.Split(s, "/") {
		if part == ".." {
			return "", core.E(op, core.Invalid, "the object reference cannot contain \"..\"")
		}
	}
	c := path.Clean("/" + s)
	if c == "/" {
		return "", nil
	}
	return c, nil
}

// Covers reports whether a request for object reference granted (clean, ""
// for the whole scope) covers the object asked: the same object or one
// below it.
func Covers(granted, asked string) bool {
	if granted == "" {
		return true
	}
	a, err := CleanObject(asked)
	if err != nil || a == "" {
		return false
	}
	return a == granted || strings.HasPrefix(a, granted+"/")
}

// Refusals. Errors of this package wrap one of them (errors.Is) so that
// pages can explain a refusal in the reader's language; their core.Error
// message says it in English for logs and protocol clients.
var (
	ErrMayNotRequest = errors.New("breakglass: may not request")
	ErrOwnData       = errors.New("breakglass: own data")
	ErrNotHead       = errors.New("breakglass: not the head")
	ErrOwnRequest    = errors.New("breakglass: own request")
	ErrNotRequester  = errors.New("breakglass: not the requester")
	ErrNotInvolved   = errors.New("breakglass: not involved")
	ErrState         = errors.New("breakglass: wrong state")
	ErrDuplicate     = errors.New("breakglass: duplicate")
	ErrUnknownPerson = errors.New("breakglass: unknown person")
	ErrNoRequest     = errors.New("breakglass: no request")
	ErrAwaiting      = errors.New("breakglass: awaiting approval")
	ErrEnded         = errors.New("breakglass: ended")
	ErrNotCovered    = errors.New("breakglass: object not covered")
)

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}
