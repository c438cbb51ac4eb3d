// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Entry is a directory entry. Attribute names keep their schema case
// ("objectClass", "uid"); lookups are case-insensitive. The server never
// modifies an Entry it receives from a Directory.
type Entry struct {
	DN    string
	Attrs []Attr
}

// Attr is one attribute of an entry with its values. An attribute sent to a
// client always has at least one value; empty attributes are skipped.
type Attr struct {
	Name   string
	Values []string
}

// Get returns the values of the attribute named name (case-insensitive,
// options such as ";lang-fr" are not stripped), or nil.
func (e *Entry) Get(name string) []string {
	for i := range e.Attrs {
		if strings.EqualFold(e.Attrs[i].Name, name) {
			return e.Attrs[i].Values
		}
	}
	return nil
}

// Directory is what the LDAP server serves. It is implemented by the
// directory service. Every method receives a ctx that carries the principal of
// the connection (core.PrincipalFromContext): after a successful bind, the
// principal returned by Bind; before, the anonymous principal. Either way its
// Channel is core.ChannelLDAP and its Source the client IP address.
// Implementations must be safe for concurrent use.
//
// Errors are *core.Error kinds, mapped to LDAP result codes by result.go
// (see ResultFor); wrap one with WithCode or WithMatchedDN to choose the result
// code or the matchedDN yourself.
type Directory interface {
	// Bind checks a simple bind. name is a DN or a bare login (as AD accepts a
	// UPN). Errors: core.Unauthenticated → invalidCredentials (49);
	// core.TooMany → 49 too, with its message; core.Permission → 49 with an
	// "account disabled" style message (do not leak more).
	Bind(ctx context.Context, name, password string) (BindResult, error)
	// Search emits candidate entries for req visible to the principal in ctx.
	// It may use req.Filter (e.g. its EqualityTerms) to narrow candidates
	// through indexes and may emit a superset: the server applies base and
	// scope, the filter, size and time limits, paging, attribute selection and
	// typesOnly itself. emit returns false to stop; Search then returns nil.
	// The *Entry passed to emit is only read during the call, so it may be
	// reused. Entries must come in a stable order (by DN or by id) for paged
	// results to be exact: a page skips the entries sent by earlier pages.
	// Search returns an error of kind core.NotFound for a missing base
	// (WithMatchedDN may say which ancestor exists), and ctx.Err() when ctx
	// ends (abandon, time limit, disconnection).
	Search(ctx context.Context, req *SearchRequest, emit func(*Entry) bool) error
	// Compare reports whether the entry dn holds value in attr. Wrap a
	// core.NotFound error with WithCode(err, ResultNoSuchAttribute) when the
	// entry exists but does not hold attr.
	Compare(ctx context.Context, dn, attr, value string) (bool, error)
	// Add creates e. core.Exists when it exists, core.NotFound when the parent
	// does not.
	Add(ctx context.Context, e *Entry) error
	// Modify applies changes to dn atomically, in order.
	Modify(ctx context.Context, dn string, changes []Change) error
	// Delete removes the leaf entry dn. Return WithCode(err,
	// ResultNotAllowedOnNonLeaf) for an entry that has children.
	Delete(ctx context.Context, dn string) error
	// ModifyDN renames dn to newRDN, deleting the old RDN values when
	// deleteOldRDN, and moves it under newSuperior when that is not empty.
	ModifyDN(ctx context.Context, dn, newRDN string, deleteOldRDN bool, newSuperior string) error
	// PasswordModify changes a password (RFC 3062). userIdentity may be empty
	// (the bound user); it is otherwise a DN or a login. oldPassword may be
	// empty when an administrator resets another user's password. When
	// newPassword is empty, the directory may generate one and return it.
	PasswordModify(ctx context.Context, userIdentity, oldPassword, newPassword string) (generated string, err error)
	// Schema describes what the server serves, for the subschema entry and for
	// matching rules. It should return the same *Schema on every call: the
	// server compiles it once per pointer.
	Schema() *Schema
}

// BindResult is the outcome of a successful bind.
type BindResult struct {
	// Principal is the identity the connection acts as from now on. The server
	// sets its Channel (core.ChannelLDAP), Source (client IP) and
	// MustChangePassword (from MustChange).
	Principal core.Principal
	// DN is the bound DN; WhoAmI answers "dn:<DN>" (or "u:<login>" when empty).
	DN string
	// MustChange says the password must be changed: the connection is
	// restricted to PasswordModify (and Unbind, Abandon, Bind, WhoAmI,
	// StartTLS and rootDSE reads) until the user changes it through Password
	// Modify. If the client sent the password policy request control
	// (1.3.6.1.4.1.42.2.27.8.5.1), the bind response carries the ppolicy
	// response control with error changeAfterReset (2), as OpenLDAP's ppolicy
	// overlay does. Other operations get unwillingToPerform (53) with a message
	// pointing to the portal.
	MustChange bool
}

// Scope is the scope of a search (RFC 4511 §4.5.1.2).
type Scope int

// Scopes. ScopeChildren is the subordinate scope of
// draft-sermersheim-ldap-subordinate-scope (the subtree minus the base).
const (
	ScopeBase     Scope = 0
	ScopeOne      Scope = 1
	ScopeSub      Scope = 2
	ScopeChildren Scope = 3
)

// String returns the LDAP URL name of s ("base", "one", "sub", "children").
func (s Scope) String() string {
	switch s {
	case ScopeBase:
		return "base"
	case ScopeOne:
		return "one"
	case ScopeSub:
		return "sub"
	case ScopeChildren:
		return "children"
	}
	return "scope(" + itoa(int(s)) + ")"
}

// Control is a request control (RFC 4511 §4.1.11).
type Control struct {
	OID      string
	Critical bool
	Value    []byte // nil when absent
}

// SearchRequest is a decoded search. The Directory must not modify it.
type SearchRequest struct {
	BaseDN       string
	Scope        Scope
	DerefAliases int // 0 never … 3 always; the server has no aliases
	SizeLimit    int // as sent by the client (0: none); the server enforces limits
	// TimeLimit is the effective limit: the client's, capped by
	// Config.MaxTimeLimit. ctx carries the matching deadline.
	TimeLimit  time.Duration
	TypesOnly  bool
	Filter     *Filter
	Attributes []string
	Controls   []Control
	// Paged is true for a page of a paged-results search (RFC 2696).
	Paged bool

	needed    []string // set by the server for the search it runs
	neededSet bool     // needed is known; otherwise every attribute may matter
}

// NeededAttributes returns the names of the attributes that can matter to
// the search (the ones the client asked for and the ones the filter
// tests), each under all its names and OID as the schema spells them; all
// is true when any attribute may matter ("*", "+" or no list asked for, an
// extensible match on every attribute, or a request the server did not
// prepare). A Directory may leave the other attributes (names compared
// without case, options ignored) out of the entries it emits: less to
// copy, the same answer.
func (r *SearchRequest) NeededAttributes() (names []string, all bool) {
	if !r.neededSet {
		return nil, true
	}
	return r.needed, false
}

// Change is one modification of a Modify request.
type Change struct {
	Op   int // ModAdd, ModDelete, ModReplace or ModIncrement
	Attr Attr
}

// Modification operations (RFC 4511 §4.6, RFC 4525 for increment).
const (
	ModAdd       = 0
	ModDelete    = 1
	ModReplace   = 2
	ModIncrement = 3
)

// itoa formats small integers without strconv in hot paths' error texts.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
