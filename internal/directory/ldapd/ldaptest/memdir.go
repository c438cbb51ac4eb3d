// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package ldaptest provides an in-memory ldapd.Directory for tests and
// benchmarks, a standard schema, a synthetic school population and a
// self-signed TLS configuration.
package ldaptest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

// User is an account of a MemDirectory.
type User struct {
	Login    string
	DN       string
	Password string
	// Principal is returned by Bind; its PersonID and Login default to Login.
	Principal  core.Principal
	MustChange bool
	Disabled   bool // Bind fails with core.Permission
	ReadOnly   bool // writes fail with core.Permission
}

// Call is one recorded Directory call.
type Call struct {
	Method    string
	Principal core.Principal
	Args      []string
}

// MemDirectory is an ldapd.Directory over entries in a slice, with indexes
// on every attribute for the equality terms of a filter. It records calls.
// It is safe for concurrent use.
type MemDirectory struct {
	// OnSearch, when set, runs at the start of Search; a non-nil error is
	// returned as the Search error. Tests use it to block or to fail.
	OnSearch func(ctx context.Context, req *ldapd.SearchRequest) error
	// NoSearchRecord stops recording Search calls (benchmarks set it
	// before serving, so that the record does not grow the heap).
	NoSearchRecord bool

	schema *ldapd.Schema

	mu      sync.RWMutex
	entries []*ldapd.Entry
	norms   []string                    // normalised DNs, aligned with entries
	byDN    map[string]int              // normalised DN → index
	index   map[string]map[string][]int // lower attribute → normalised value → indices
	users   []*User
	calls   []Call
	fail    map[string]error
	gen     int
}

// NewMemDirectory returns a directory holding copies of entries and users,
// with StandardSchema. Entries are served in the given order.
func NewMemDirectory(entries []ldapd.Entry, users []User) *MemDirectory {
	m := &MemDirectory{schema: StandardSchema(), fail: map[string]error{}}
	for i := range entries {
		e := cloneEntry(&entries[i])
		m.entries = append(m.entries, e)
	}
	for i := range users {
		u := users[i]
		if u.Principal.PersonID == "" {
			u.Principal.PersonID = u.Login
		}
		if u.Principal.Login == "" {
			u.Principal.Login = u.Login
		}
		m.users = append(m.users, &u)
	}
	m.reindex()
	return m
}

// type check
var _ ldapd.Directory = (*MemDirectory)(nil)

// Schema returns StandardSchema (the same pointer on every call).
func (m *MemDirectory) Schema() *ldapd.Schema { return m.schema }

// FailNext makes the next call to method (e.g. "Add") return err.
func (m *MemDirectory) FailNext(method string, err error) {
	m.mu.Lock()
	m.fail[method] = err
	m.mu.Unlock()
}

// Calls returns the recorded calls to method, or every call for "".
func (m *MemDirectory) Calls(method string) []Call {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Call
	for _, c := range m.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Entry returns a copy of the entry dn.
func (m *MemDirectory) Entry(dn string) (ldapd.Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, ok := m.find(dn)
	if !ok {
		return ldapd.Entry{}, false
	}
	return *cloneEntry(m.entries[i]), true
}

// Password returns the current password of login.
func (m *MemDirectory) Password(login string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if u := m.user(login); u != nil {
		return u.Password
	}
	return ""
}

// record notes a call and returns the error planned for it, if any. It
// must be called with m.mu held for writing.
func (m *MemDirectory) record(ctx context.Context, method string, args ...string) error {
	m.calls = append(m.calls, Call{Method: method, Principal: core.PrincipalFromContext(ctx), Args: args})
	if err := m.fail[method]; err != nil {
		delete(m.fail, method)
		return err
	}
	return nil
}

// Bind checks login or DN and password.
func (m *MemDirectory) Bind(ctx context.Context, name, password string) (ldapd.BindResult, error) {
	const op = "ldaptest.Bind"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "Bind", name); err != nil {
		return ldapd.BindResult{}, err
	}
	u := m.user(name)
	switch {
	case u == nil || u.Password != password:
		return ldapd.BindResult{}, core.E(op, core.Unauthenticated, "unknown user or wrong password")
	case u.Disabled:
		return ldapd.BindResult{}, core.E(op, core.Permission, "account disabled")
	}
	return ldapd.BindResult{Principal: u.Principal, DN: u.DN, MustChange: u.MustChange}, nil
}

// user finds a user by login or DN.
func (m *MemDirectory) user(name string) *User {
	for _, u := range m.users {
		if strings.EqualFold(u.Login, name) || u.DN != "" && ldapd.EqualDN(u.DN, name, m.schema) {
			return u
		}
	}
	return nil
}

// Search emits the entries of the base's subtree, narrowed by the indexes
// of the filter's equality terms. It checks that the base exists.
func (m *MemDirectory) Search(ctx context.Context, req *ldapd.SearchRequest, emit func(*ldapd.Entry) bool) error {
	const op = "ldaptest.Search"
	if m.OnSearch != nil {
		if err := m.OnSearch(ctx, req); err != nil {
			return err
		}
	}
	if !m.NoSearchRecord {
		m.mu.Lock()
		err := m.record(ctx, "Search", req.BaseDN, req.Scope.String(), req.Filter.String())
		m.mu.Unlock()
		if err != nil {
			return err
		}
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if req.BaseDN != "" {
		if _, ok := m.find(req.BaseDN); !ok {
			return ldapd.WithMatchedDN(core.E(op, core.NotFound, "no such entry %s", req.BaseDN), m.matched(req.BaseDN))
		}
	}
	cands := m.candidates(req.Filter)
	for n, i := range cands {
		if n&255 == 255 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !emit(m.entries[i]) {
			return nil
		}
	}
	return nil
}

// candidates returns the indices to emit, in order: the smallest posting
// list among the indexed equality terms, or every entry.
func (m *MemDirectory) candidates(f *ldapd.Filter) []int {
	var best []int
	found := false
	for _, t := range f.EqualityTerms() {
		postings, ok := m.index[strings.ToLower(t.Attr)]
		if !ok {
			continue
		}
		key, ok := m.schema.NormalizeValue(t.Attr, t.Value)
		if !ok {
			continue
		}
		if p := postings[key]; !found || len(p) < len(best) {
			best, found = p, true
		}
	}
	if found {
		return best
	}
	all := make([]int, len(m.entries))
	for i := range all {
		all[i] = i
	}
	return all
}

// find returns the index of dn.
func (m *MemDirectory) find(dn string) (int, bool) {
	n, err := ldapd.NormalizeDN(dn, m.schema)
	if err != nil {
		return 0, false
	}
	i, ok := m.byDN[n]
	return i, ok
}

// matched returns the deepest existing ancestor of dn.
func (m *MemDirectory) matched(dn string) string {
	for p := ldapd.ParentOf(dn); p != ""; p = ldapd.ParentOf(p) {
		if _, ok := m.find(p); ok {
			return p
		}
	}
	return ""
}

// reindex rebuilds the DN map and the value indexes. Values whose syntax
// has no exact normal form (integers, times) are indexed by their normal
// form too, so lookups stay exact.
func (m *MemDirectory) reindex() {
	m.norms = m.norms[:0]
	m.byDN = make(map[string]int, len(m.entries))
	m.index = map[string]map[string][]int{}
	for i, e := range m.entries {
		n, _ := ldapd.NormalizeDN(e.DN, m.schema)
		m.norms = append(m.norms, n)
		m.byDN[n] = i
		for _, a := range e.Attrs {
			name, _, _ := strings.Cut(strings.ToLower(a.Name), ";")
			postings := m.index[name]
			if postings == nil {
				postings = map[string][]int{}
				m.index[name] = postings
			}
			for _, v := range a.Values {
				if key, ok := m.schema.NormalizeValue(a.Name, v); ok {
					if p := postings[key]; len(p) == 0 || p[len(p)-1] != i {
						postings[key] = append(p, i)
					}
				}
			}
		}
	}
}

func cloneEntry(e *ldapd.Entry) *ldapd.Entry {
	c := &ldapd.Entry{DN: e.DN, Attrs: make([]ldapd.Attr, len(e.Attrs))}
	for i, a := range e.Attrs {
		c.Attrs[i] = ldapd.Attr{Name: a.Name, Values: slices.Clone(a.Values)}
	}
	return c
}
