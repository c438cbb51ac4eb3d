// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/journal"
)

// Writes over LDAP go through the directory service, which allows them to
// technical admins and heads only and journals every attempt with the
// attribute names (INF-ANN-4). What LDAP cannot change here (attributes
// Préau derives, renames) is refused, and the refusal journaled too.

// personOf returns the person entry at dn, visible to the principal.
func (d *Directory) personOf(ctx context.Context, dn string) (*Entry, error) {
	e := d.loader.Snapshot().Lookup(dn)
	if e == nil || !Visible(core.PrincipalFromContext(ctx), e) {
		return nil, core.E("dirldap", core.NotFound, "no such entry: %s", dn)
	}
	return e, nil
}

// refuse journals a refused LDAP write and returns a Permission error.
func (d *Directory) refuse(ctx context.Context, action, target string, attrs []string, reason string) error {
	e := journal.Entry{Action: action, TargetType: "entry", TargetName: target, Attributes: attrs,
		Result: journal.Refused, Reason: reason}
	e.SetActor(core.PrincipalFromContext(ctx))
	if err := d.jrnl.Journal(ctx, e); err != nil {
		d.log.Error("journaling a refused LDAP write failed", "err", err)
	}
	return ldapd.WithCode(core.E("dirldap", core.Permission, "%s", reason), ldapd.ResultUnwillingToPerform)
}

// writable maps the LDAP attributes an admin may change to person fields.
var writable = map[string]string{"givenname": "givenName", "sn": "sn", "displayname": "displayName",
	"cn": "cn", "mail": "mail"}

// Modify changes a person's names or address.
func (d *Directory) Modify(ctx context.Context, dn string, changes []ldapd.Change) error {
	var names []string
	for _, c := range changes {
		names = append(names, c.Attr.Name)
	}
	if err := directory.CheckFieldNames(names); err != nil {
		d.refuse(ctx, "directory.person.update", dn, names, core.MessageOf(err))
		return ldapd.WithCode(err, ldapd.ResultUnwillingToPerform)
	}
	e, err := d.personOf(ctx, dn)
	if err != nil {
		return err
	}
	if e.kind != kindPerson {
		return d.refuse(ctx, "directory.entry.update", dn, names, "only people can be changed over LDAP; use the console for groups")
	}
	var u directory.PersonUpdate
	for _, c := range changes {
		la := strings.ToLower(c.Attr.Name)
		if _, ok := writable[la]; !ok {
			return d.refuse(ctx, "directory.person.update", dn, names,
				fmt.Sprintf("attribute %s is managed by Préau and cannot be changed over LDAP", c.Attr.Name))
		}
		if c.Op == ldapd.ModDelete || len(c.Attr.Values) != 1 {
			return ldapd.WithCode(core.E("dirldap.Modify", core.Invalid, "%s takes exactly one value", c.Attr.Name),
				ldapd.ResultConstraintViolation)
		}
		v := c.Attr.Values[0]
		switch la {
		case "givenname":
			u.GivenName = &v
		case "sn":
			u.FamilyName = &v
		case "displayname", "cn":
			u.DisplayName = &v
		case "mail":
			u.Mail = &v
		}
	}
	_, err = d.writer.UpdatePerson(ctx, e.person, u)
	if err == nil {
		d.refreshSoon(ctx)
	}
	return err
}

// profileOf maps ENTPersonProfils values to profiles; staff by default.
func profileOf(vals []string) core.Profile {
	for _, v := range vals {
		for prof, c := range profileCodes {
			if strings.EqualFold(v, c.national) && prof != "admin" {
				return core.Profile(prof)
			}
		}
	}
	return core.ProfileStaff
}

// Add creates a person under ou=people of an establishment.
func (d *Directory) Add(ctx context.Context, e *ldapd.Entry) error {
	var names []string
	for _, a := range e.Attrs {
		names = append(names, a.Name)
	}
	if err := directory.CheckFieldNames(names); err != nil {
		d.refuse(ctx, "directory.person.create", e.DN, names, core.MessageOf(err))
		return ldapd.WithCode(err, ldapd.ResultUnwillingToPerform)
	}
	_, parent, _ := strings.Cut(e.DN, ",")
	s := d.loader.Snapshot()
	container := s.Lookup(parent)
	if container == nil || container.kind != kindContainer || !strings.HasPrefix(NormDN(parent), "ou=people,") || len(container.ests) != 1 {
		return d.refuse(ctx, "directory.person.create", e.DN, names, "people are added under ou=people,ou=<UAI>")
	}
	first := func(a string) string {
		if v := e.Get(a); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	p := &directory.Person{Login: loginOf(e.DN), GivenName: first("givenName"), FamilyName: first("sn"),
		DisplayName: first("displayName"), Mail: first("mail"), Profile: profileOf(e.Get("ENTPersonProfils")),
		MustChangePassword: true, Establishments: container.ests}
	hash := ""
	if pw := first("userPassword"); pw != "" {
		if strings.HasPrefix(pw, "{") {
			return ldapd.WithCode(core.E("dirldap.Add", core.Invalid, "userPassword must be sent in clear over TLS; Préau hashes it"),
				ldapd.ResultConstraintViolation)
		}
		hash = d.auth.Hash(pw)
	}
	err := d.writer.CreatePerson(ctx, p, hash)
	if err == nil {
		d.refreshSoon(ctx)
	}
	return err
}

// Delete schedules the deletion of a person: the account is set to-delete
// and removed after a grace period, as for a leaver.
func (d *Directory) Delete(ctx context.Context, dn string) error {
	e, err := d.personOf(ctx, dn)
	if err != nil {
		return err
	}
	if e.kind != kindPerson {
		return d.refuse(ctx, "directory.entry.delete", dn, nil, "only people can be deleted over LDAP")
	}
	st := directory.ToDelete
	when := time.Now().Add(30 * 24 * time.Hour)
	_, err = d.writer.UpdatePerson(ctx, e.person, directory.PersonUpdate{State: &st, DeleteAfter: &when})
	if err == nil {
		d.refreshSoon(ctx)
	}
	return err
}

// ModifyDN is refused: a login change is made in the console, which keeps
// mail addresses and home folders consistent.
func (d *Directory) ModifyDN(ctx context.Context, dn, newRDN string, deleteOldRDN bool, newSuperior string) error {
	return d.refuse(ctx, "directory.entry.rename", dn, []string{"dn"},
		"renaming over LDAP is not supported: change the login in the console")
}

// PasswordModify changes the bound user's password (the old one is
// required), or, for an admin naming another user, resets it (the person
// must then change it). An empty new password asks for a generated one.
func (d *Directory) PasswordModify(ctx context.Context, userIdentity, oldPassword, newPassword string) (string, error) {
	p := core.PrincipalFromContext(ctx)
	target := p.Login
	if userIdentity != "" {
		target = loginOf(userIdentity)
	}
	generated := ""
	if newPassword == "" {
		generated = auth.GeneratePassword()
		newPassword = generated
	}
	var err error
	if strings.EqualFold(target, p.Login) {
		if oldPassword == "" {
			return "", ldapd.WithCode(core.E("dirldap.PasswordModify", core.Invalid, "the current password is required"),
				ldapd.ResultUnwillingToPerform)
		}
		err = d.auth.ChangePassword(ctx, oldPassword, newPassword)
	} else {
		err = d.auth.ResetPassword(ctx, target, newPassword)
	}
	if err != nil {
		return "", err
	}
	return generated, nil
}

// refreshSoon reloads the view after a write so that the writer reads it back.
func (d *Directory) refreshSoon(ctx context.Context) {
	if err := d.loader.Refresh(ctx); err != nil {
		d.log.Warn("LDAP view refresh after a write failed", "err", err)
	}
}
