// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldaptest

import (
	"context"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
)

// writer checks that the principal in ctx may write.
func (m *MemDirectory) writer(ctx context.Context, op string) error {
	p := core.PrincipalFromContext(ctx)
	for _, u := range m.users {
		if u.Principal.PersonID == p.PersonID && u.ReadOnly {
			return core.E(op, core.Permission, "you may not change the directory")
		}
	}
	return nil
}

// Compare reports whether dn holds value in attr.
func (m *MemDirectory) Compare(ctx context.Context, dn, attr, value string) (bool, error) {
	const op = "ldaptest.Compare"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "Compare", dn, attr, value); err != nil {
		return false, err
	}
	i, ok := m.find(dn)
	if !ok {
		return false, ldapd.WithMatchedDN(core.E(op, core.NotFound, "no such entry"), m.matched(dn))
	}
	e := m.entries[i]
	present := &ldapd.Filter{Kind: ldapd.FilterPresent, Attr: attr}
	if !present.Match(e, m.schema) {
		return false, ldapd.WithCode(core.E(op, core.NotFound, "the entry has no attribute "+attr),
			ldapd.ResultNoSuchAttribute)
	}
	eq := &ldapd.Filter{Kind: ldapd.FilterEquality, Attr: attr, Value: value}
	return eq.Match(e, m.schema), nil
}

// Add creates e under an existing parent.
func (m *MemDirectory) Add(ctx context.Context, e *ldapd.Entry) error {
	const op = "ldaptest.Add"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "Add", e.DN); err != nil {
		return err
	}
	if err := m.writer(ctx, op); err != nil {
		return err
	}
	if _, ok := m.find(e.DN); ok {
		return core.E(op, core.Exists, "%s already exists", e.DN)
	}
	if p := ldapd.ParentOf(e.DN); p != "" && len(m.entries) > 0 {
		if _, ok := m.find(p); !ok {
			return ldapd.WithMatchedDN(core.E(op, core.NotFound, "the parent entry does not exist"), m.matched(e.DN))
		}
	}
	m.entries = append(m.entries, cloneEntry(e))
	m.reindex()
	return nil
}

// Modify applies changes to a copy of dn, then replaces it.
func (m *MemDirectory) Modify(ctx context.Context, dn string, changes []ldapd.Change) error {
	const op = "ldaptest.Modify"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "Modify", dn); err != nil {
		return err
	}
	if err := m.writer(ctx, op); err != nil {
		return err
	}
	i, ok := m.find(dn)
	if !ok {
		return ldapd.WithMatchedDN(core.E(op, core.NotFound, "no such entry"), m.matched(dn))
	}
	e := cloneEntry(m.entries[i])
	for _, ch := range changes {
		if err := applyChange(e, ch); err != nil {
			return err
		}
	}
	m.entries[i] = e
	m.reindex()
	return nil
}

func applyChange(e *ldapd.Entry, ch ldapd.Change) error {
	const op = "ldaptest.Modify"
	at := -1
	for i, a := range e.Attrs {
		if strings.EqualFold(a.Name, ch.Attr.Name) {
			at = i
		}
	}
	switch ch.Op {
	case ldapd.ModAdd:
		if at < 0 {
			e.Attrs = append(e.Attrs, ch.Attr)
			return nil
		}
		for _, v := range ch.Attr.Values {
			for _, old := range e.Attrs[at].Values {
				if strings.EqualFold(old, v) {
					return ldapd.WithCode(core.E(op, core.Exists, "value %s already present", v),
						ldapd.ResultAttributeOrValueExists)
				}
			}
			e.Attrs[at].Values = append(e.Attrs[at].Values, v)
		}
	case ldapd.ModDelete:
		if at < 0 {
			return ldapd.WithCode(core.E(op, core.NotFound, "no attribute %s", ch.Attr.Name), ldapd.ResultNoSuchAttribute)
		}
		if len(ch.Attr.Values) == 0 {
			e.Attrs = append(e.Attrs[:at], e.Attrs[at+1:]...)
			return nil
		}
		var keep []string
		for _, old := range e.Attrs[at].Values {
			drop := false
			for _, v := range ch.Attr.Values {
				drop = drop || strings.EqualFold(old, v)
			}
			if !drop {
				keep = append(keep, old)
			}
		}
		e.Attrs[at].Values = keep
	case ldapd.ModReplace:
		if at >= 0 {
			e.Attrs = append(e.Attrs[:at], e.Attrs[at+1:]...)
		}
		if len(ch.Attr.Values) > 0 {
			e.Attrs = append(e.Attrs, ch.Attr)
		}
	case ldapd.ModIncrement:
		if at < 0 || len(ch.Attr.Values) != 1 {
			return ldapd.WithCode(core.E(op, core.Invalid, "cannot increment %s", ch.Attr.Name), ldapd.ResultConstraintViolation)
		}
		by, err1 := strconv.Atoi(ch.Attr.Values[0])
		n, err2 := strconv.Atoi(e.Attrs[at].Values[0])
		if err1 != nil || err2 != nil {
			return core.E(op, core.Invalid, "%s is not an integer", ch.Attr.Name)
		}
		e.Attrs[at].Values = []string{strconv.Itoa(n + by)}
	}
	return nil
}

// Delete removes a leaf entry.
func (m *MemDirectory) Delete(ctx context.Context, dn string) error {
	const op = "ldaptest.Delete"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "Delete", dn); err != nil {
		return err
	}
	if err := m.writer(ctx, op); err != nil {
		return err
	}
	i, ok := m.find(dn)
	if !ok {
		return ldapd.WithMatchedDN(core.E(op, core.NotFound, "no such entry"), m.matched(dn))
	}
	for _, e := range m.entries {
		if ldapd.InScope(dn, e.DN, ldapd.ScopeOne, m.schema) {
			return ldapd.WithCode(core.E(op, core.Conflict, "the entry has children"), ldapd.ResultNotAllowedOnNonLeaf)
		}
	}
	m.entries = append(m.entries[:i], m.entries[i+1:]...)
	m.reindex()
	return nil
}

// ModifyDN renames a leaf entry (entries with children are refused).
func (m *MemDirectory) ModifyDN(ctx context.Context, dn, newRDN string, deleteOld bool, newSuperior string) error {
	const op = "ldaptest.ModifyDN"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "ModifyDN", dn, newRDN, strconv.FormatBool(deleteOld), newSuperior); err != nil {
		return err
	}
	if err := m.writer(ctx, op); err != nil {
		return err
	}
	i, ok := m.find(dn)
	if !ok {
		return ldapd.WithMatchedDN(core.E(op, core.NotFound, "no such entry"), m.matched(dn))
	}
	parent := ldapd.ParentOf(dn)
	if newSuperior != "" {
		parent = newSuperior
	}
	target := newRDN
	if parent != "" {
		target += "," + parent
	}
	if _, exists := m.find(target); exists {
		return core.E(op, core.Exists, "%s already exists", target)
	}
	oldRDN, _ := ldapd.ParseDN(dn)
	rdn, _ := ldapd.ParseDN(newRDN)
	e := cloneEntry(m.entries[i])
	e.DN = target
	if deleteOld {
		for _, ava := range oldRDN[0] {
			_ = applyChange(e, ldapd.Change{Op: ldapd.ModDelete, Attr: ldapd.Attr{Name: ava.Type, Values: []string{ava.Value}}})
		}
	}
	for _, ava := range rdn[0] {
		_ = applyChange(e, ldapd.Change{Op: ldapd.ModAdd, Attr: ldapd.Attr{Name: ava.Type, Values: []string{ava.Value}}})
	}
	m.entries[i] = e
	m.reindex()
	return nil
}

// PasswordModify changes the password of userIdentity (the bound user when
// empty). Another user's password needs an admin principal. A new password
// shorter than 8 characters is core.Invalid; an empty one is generated.
func (m *MemDirectory) PasswordModify(ctx context.Context, userIdentity, oldPassword, newPassword string) (string, error) {
	const op = "ldaptest.PasswordModify"
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.record(ctx, "PasswordModify", userIdentity); err != nil {
		return "", err
	}
	p := core.PrincipalFromContext(ctx)
	name := userIdentity
	if name == "" {
		name = p.Login
	}
	u := m.user(name)
	switch {
	case u == nil:
		return "", core.E(op, core.NotFound, "no such user")
	case u.Principal.PersonID != p.PersonID && p.Profile != core.ProfileAdmin:
		return "", core.E(op, core.Permission, "you may change only your own password")
	case oldPassword != "" && oldPassword != u.Password:
		return "", core.E(op, core.Unauthenticated, "the old password is wrong")
	case newPassword != "" && len(newPassword) < 8:
		return "", core.E(op, core.Invalid, "the new password is too short: 8 characters at least")
	}
	gen := ""
	if newPassword == "" {
		m.gen++
		gen = "generated-" + strconv.Itoa(m.gen)
		newPassword = gen
	}
	u.Password, u.MustChange = newPassword, false
	return gen, nil
}
