// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Settings of the auth scope.
const (
	SettingScope = "auth"
	// SettingPasswordPolicies holds the policy.Policies as JSON; unset, the
	// policy.Defaults apply.
	SettingPasswordPolicies = "password_policies"
	// SettingForgottenPassword holds the text of the forgotten-password
	// procedure shown on the login page (INF-AUT-9); unset, the page shows
	// DefaultForgottenPasswordText (translated).
	SettingForgottenPassword = "forgotten_password_text"
)

// DefaultForgottenPasswordText is the forgotten-password procedure shown
// when the deployment has not written its own (INF-AUT-9).
const DefaultForgottenPasswordText = "Mot de passe oublié ? Adressez-vous à votre professeur principal (élèves) " +
	"ou à l’administrateur de l’établissement (personnels) : il vous remettra un nouveau mot de passe provisoire."

// Policies returns the password policies of the deployment, read from the
// store at each call (one small row), or the defaults when the setting is
// unset or unreadable (the latter is logged).
func (s *Service) Policies(ctx context.Context) policy.Policies {
	v, err := s.store.Setting(ctx, SettingScope, SettingPasswordPolicies)
	if core.IsKind(err, core.NotFound) {
		v, err = "", nil
	}
	return s.parsePolicies(v, err)
}

// parsePolicies returns the policies of the setting's value v ("" when
// unset), or the defaults when it is unset, unreadable (err) or invalid
// (the last two logged).
func (s *Service) parsePolicies(v string, err error) policy.Policies {
	if err != nil {
		s.log.Error("reading the password policies failed; the defaults apply", "err", err)
		return policy.Defaults()
	}
	if v == "" {
		return policy.Defaults()
	}
	var ps policy.Policies
	if err := json.Unmarshal([]byte(v), &ps); err != nil {
		s.log.Error("the password policies setting is not valid JSON; the defaults apply", "err", err)
		return policy.Defaults()
	}
	if err := ps.Validate(); err != nil {
		s.log.Error("the password policies setting is invalid; the defaults apply", "err", err)
		return policy.Defaults()
	}
	return ps
}

// CurrentPerson returns the person of the principal in ctx, for the
// password page. Errors: core.Unauthenticated when ctx has no person.
func (s *Service) CurrentPerson(ctx context.Context) (*directory.Person, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("auth.CurrentPerson", core.Unauthenticated, "")
	}
	return s.store.FindPerson(ctx, p.PersonID)
}

// PolicyFor returns the password policy of a person: that of their profile
// in their main establishment.
func (s *Service) PolicyFor(ctx context.Context, person *directory.Person) policy.Policy {
	return s.Policies(ctx).For(person.MainEstablishment(), person.Profile)
}

// CheckPassword returns the rules of the person's policy that pw breaks,
// except the history (which needs a hash verification per past password):
// the live check of the password page.
func (s *Service) CheckPassword(ctx context.Context, person *directory.Person, pw string) []policy.Violation {
	return policy.Check(s.PolicyFor(ctx, person), pw, personOf(person))
}

// PasswordExpired reports whether the person's password is older than the
// MaxAge of their policy (INF-AUT-8). Service accounts never expire: no one
// could change their password at a login. A failure to read the date is
// logged and counts as not expired.
func (s *Service) PasswordExpired(ctx context.Context, person *directory.Person) bool {
	at, ok := s.PasswordExpiresAt(ctx, person)
	return ok && !s.clock.Now().Before(at)
}

// PasswordExpiresAt returns when the person's password expires under their
// policy, and false when it never does (no MaxAge, a service account, no
// password, or a date that cannot be read, which is logged).
func (s *Service) PasswordExpiresAt(ctx context.Context, person *directory.Person) (time.Time, bool) {
	if person.Service {
		return time.Time{}, false
	}
	pol := s.PolicyFor(ctx, person)
	if pol.MaxAge <= 0 {
		return time.Time{}, false
	}
	at, err := s.store.PasswordChangedAt(ctx, person.ID)
	if err != nil {
		if !core.IsKind(err, core.NotFound) {
			s.log.Error("reading the password date failed", "login", person.Login, "err", err)
		}
		return time.Time{}, false
	}
	return at.Add(pol.MaxAge), true
}

// expiredNow is PasswordExpired from what a login or session read already
// holds: the policies setting and the password's date (zero: no password,
// never expired).
func (s *Service) expiredNow(person *directory.Person, rec LoginRecord) bool {
	if person.Service || rec.PasswordChangedAt.IsZero() {
		return false
	}
	pol := s.parsePolicies(rec.Policies, nil).For(person.MainEstablishment(), person.Profile)
	return pol.MaxAge > 0 && !s.clock.Now().Before(rec.PasswordChangedAt.Add(pol.MaxAge))
}

// ForgottenPasswordText returns the deployment's forgotten-password
// procedure, or "" when it has not written one (callers then show
// DefaultForgottenPasswordText, translated).
func (s *Service) ForgottenPasswordText(ctx context.Context) string {
	v, err := s.store.Setting(ctx, SettingScope, SettingForgottenPassword)
	if err != nil {
		if !core.IsKind(err, core.NotFound) {
			s.log.Error("reading the forgotten-password text failed", "err", err)
		}
		return ""
	}
	return strings.TrimSpace(v)
}

// checkNewPassword checks pw against the person's policy, then, if it
// meets every other rule, against their last History passwords. The error
// is of kind core.Invalid, its message names every broken rule in English,
// and its cause is the policy.Violations.
func (s *Service) checkNewPassword(ctx context.Context, op string, person *directory.Person, pw string) error {
	pol := s.PolicyFor(ctx, person)
	vs := policy.Check(pol, pw, personOf(person))
	if len(vs) == 0 && pol.History > 0 {
		reused, err := s.reused(ctx, person.ID, pw, pol.History)
		if err != nil {
			return err
		}
		if reused {
			vs = append(vs, policy.Violation{Code: policy.CodeReused, Limit: pol.History})
		}
	}
	if len(vs) > 0 {
		return &core.Error{Op: op, Kind: core.Invalid, Msg: policy.Message(vs), Err: policy.Violations(vs)}
	}
	return nil
}

// reused reports whether pw is one of the person's last n passwords, the
// current one included. Each verification is an argon2id hash, so they go
// through the hashing semaphore like logins.
func (s *Service) reused(ctx context.Context, personID, pw string, n int) (bool, error) {
	var hashes []string
	cur, err := s.store.PasswordHash(ctx, personID)
	if err != nil && !core.IsKind(err, core.NotFound) {
		return false, err
	}
	if cur != "" {
		hashes = append(hashes, cur)
	}
	old, err := s.store.PasswordHistory(ctx, personID, n-len(hashes))
	if err != nil {
		return false, err
	}
	for _, h := range append(hashes, old...) {
		ok, _, _ := s.verify(h, pw) // an unreadable old hash matches nothing
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// journalExpiry records that a login found the password expired and
// restricted the session to changing it.
func (s *Service) journalExpiry(ctx context.Context, person *directory.Person, a Attempt) {
	e := journal.Entry{Chain: chainOf(person), Action: "auth.password.expire", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: []string{"mustChangePassword"},
		Reason: "password expired"}
	e.SetActor(core.Principal{PersonID: person.ID, Login: person.Login, Channel: a.Channel, Source: a.Source})
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a password expiry failed", "err", err)
	}
}

func personOf(p *directory.Person) policy.Person {
	return policy.Person{Login: p.Login, GivenName: p.GivenName, FamilyName: p.FamilyName}
}
