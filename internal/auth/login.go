// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// LoginRecord is what a login reads about a person, in one round trip.
type LoginRecord struct {
	Person *directory.Person
	Hash   string       // the password hash; "" when the person has none
	Grants []core.Grant // the grants in force now
	// PasswordChangedAt is when the password was set; zero without one.
	PasswordChangedAt time.Time
	// Policies is the deployment's password-policies setting
	// (SettingPasswordPolicies); "" when unset.
	Policies string
}

// Attempt describes where an authentication attempt comes from.
type Attempt struct {
	Login     string
	Password  string
	Channel   core.Channel
	Source    string // client IP
	UserAgent string
}

// Authenticate checks a login and password and returns the principal. It is
// the one door for every protocol (LDAP bind, WebDAV, proxy, IMAP, SMTP) and
// the web. Every attempt is journaled except successes on channels that
// authenticate each request (callers journal their own connection-level
// success); failures always are, with the login tried even when it matches
// nobody. Errors: core.Unauthenticated (unknown login or wrong password —
// the same message for both), core.Permission (account disabled or not
// active), core.TooMany (throttled).
func (s *Service) Authenticate(ctx context.Context, a Attempt) (core.Principal, *directory.Person, error) {
	const op = "auth.Authenticate"
	now := s.clock.Now()
	if wait, why := s.guard.blocked(a.Login, a.Source, now); wait > 0 {
		s.journalFailure(ctx, a, nil, fmt.Sprintf("throttled for %s: %s", wait.Round(time.Second), why))
		return core.Principal{}, nil, core.E(op, core.TooMany,
			"too many failed attempts: wait %s before trying again", wait.Round(1e9))
	}
	rec, err := s.store.FindLoginPerson(ctx, a.Login)
	if core.IsKind(err, core.NotFound) {
		_, _, _ = s.verify(s.dummy(), a.Password) // same cost as a real check
		s.guard.fail(a.Login, a.Source, now)
		s.journalFailure(ctx, a, nil, "unknown login")
		return core.Principal{}, nil, core.E(op, core.Unauthenticated, "wrong login or password")
	}
	if err != nil {
		return core.Principal{}, nil, err
	}
	person, hash := rec.Person, rec.Hash
	ok, rehash := false, false
	if hash != "" {
		ok, rehash, err = s.verify(hash, a.Password)
		if err != nil {
			s.log.Error("stored password hash unreadable", "login", person.Login, "err", err)
		}
	}
	if !ok {
		s.guard.fail(a.Login, a.Source, now)
		s.journalFailure(ctx, a, person, "wrong password")
		return core.Principal{}, nil, core.E(op, core.Unauthenticated, "wrong login or password")
	}
	if person.State != directory.Active || person.Service && a.Channel == core.ChannelWeb {
		reason := fmt.Sprintf("account is %s", person.State)
		if person.Service {
			reason = "service accounts cannot log in interactively"
		}
		s.journalFailure(ctx, a, person, reason)
		return core.Principal{}, nil, core.E(op, core.Permission, "this account cannot log in (%s)", person.State)
	}
	s.guard.succeed(a.Login, a.Source)
	if rehash {
		s.rehash(ctx, person, a)
	}
	p := s.principalWith(person, rec.Grants, s.expiredNow(person, rec))
	if p.MustChangePassword && !person.MustChangePassword {
		s.journalExpiry(ctx, person, a)
	}
	p.Channel, p.Source = a.Channel, a.Source
	return p, person, nil
}

// rehash stores a new hash made with the current parameters.
func (s *Service) rehash(ctx context.Context, person *directory.Person, a Attempt) {
	e := journal.Entry{Chain: chainOf(person), Action: "auth.password.rehash", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: []string{"password"},
		Reason: "argon2id parameters changed"}
	e.SetActor(core.Principal{PersonID: person.ID, Login: person.Login, Channel: a.Channel, Source: a.Source})
	if err := s.store.SetPasswordHash(ctx, person.ID, s.Hash(a.Password), person.MustChangePassword, e); err != nil {
		s.log.Warn("password rehash failed", "login", person.Login, "err", err)
	}
}

func (s *Service) journalFailure(ctx context.Context, a Attempt, person *directory.Person, reason string) {
	e := journal.Entry{Chain: journal.DeploymentChain, Action: "auth.login", TargetType: "person",
		TargetName: a.Login, Result: journal.Refused, Reason: reason, Attributes: []string{"method:pwd"}}
	if person != nil {
		e.Chain, e.TargetID, e.TargetName = chainOf(person), person.ID, person.Login
	}
	e.SetActor(core.Principal{Login: clipLogin(a.Login), Channel: a.Channel, Source: a.Source})
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a failed login failed", "err", err)
	}
}

// PrincipalFor builds the principal of a person: profile, establishments
// and the grants in force now. A password older than the person's policy
// allows restricts the principal to changing it, like a must-change flag
// (INF-AUT-8).
func (s *Service) principalFor(ctx context.Context, person *directory.Person) (core.Principal, error) {
	gs, err := s.store.FindGrants(ctx, person.ID)
	if err != nil {
		return core.Principal{}, err
	}
	now := s.clock.Now()
	var inForce []core.Grant
	for _, g := range gs {
		if g.InForce(now) {
			inForce = append(inForce, core.Grant{Right: g.Right, Establishment: g.Establishment, Zone: g.Zone})
		}
	}
	return s.principalWith(person, inForce, s.PasswordExpired(ctx, person)), nil
}

// principalWith builds the principal of a person with the grants in force;
// an expired password restricts it like a must-change flag.
func (s *Service) principalWith(person *directory.Person, grants []core.Grant, expired bool) core.Principal {
	return core.Principal{PersonID: person.ID, Login: person.Login, Profile: person.Profile,
		Establishments: person.Establishments, AuthLevel: 1, Grants: grants,
		MustChangePassword: person.MustChangePassword || expired, Service: person.Service}
}

// PrincipalForLogin returns the principal of an existing, active person, for
// trusted callers (the CLI acting as a named admin).
func (s *Service) PrincipalForLogin(ctx context.Context, login string) (core.Principal, error) {
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return core.Principal{}, err
	}
	return s.principalFor(ctx, person)
}

func chainOf(p *directory.Person) string {
	if e := p.MainEstablishment(); e != "" {
		return e
	}
	return journal.DeploymentChain
}

// clipLogin bounds an attempted login before it is journaled.
func clipLogin(s string) string {
	r := []rune(s)
	if len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
