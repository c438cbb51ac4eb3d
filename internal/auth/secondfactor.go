// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// HasSecondFactor reports whether a person can step up to strong
// authentication: an authenticator app or a passkey is set up. Single
// sign-on sends people who can to the second-factor page, and tells
// applications when they cannot.
func (s *Service) HasSecondFactor(ctx context.Context, personID string) (bool, error) {
	if has, _, err := s.HasTOTP(ctx, personID); err != nil || has {
		return has, err
	}
	keys, err := s.store.Passkeys(ctx, personID)
	return len(keys) > 0, err
}

// SecondFactor is one way a person steps up to strong authentication, as
// an administrator sees it: never the secret or the key itself.
type SecondFactor struct {
	ID        string // TOTPFactorID for the authenticator app, else the passkey's credential ID
	Kind      string // "totp" or "passkey"
	Name      string // the passkey's label; empty for the app
	CreatedAt time.Time
	LastUsed  time.Time // zero if unknown or never used
}

// TOTPFactorID names the authenticator app among a person's second factors.
const TOTPFactorID = "totp"

// SecondFactors lists the second factors of a person: the authenticator app
// (if confirmed) first, then the passkeys in creation order.
func (s *Service) SecondFactors(ctx context.Context, personID string) ([]SecondFactor, error) {
	var out []SecondFactor
	t, err := s.store.TOTP(ctx, personID)
	switch {
	case err == nil && t.Confirmed:
		out = append(out, SecondFactor{ID: TOTPFactorID, Kind: "totp", CreatedAt: t.CreatedAt})
	case err != nil && !core.IsKind(err, core.NotFound):
		return nil, err
	}
	keys, err := s.store.Passkeys(ctx, personID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		out = append(out, SecondFactor{ID: k.ID, Kind: "passkey", Name: k.Name, CreatedAt: k.CreatedAt, LastUsed: k.LastUsed})
	}
	return out, nil
}

// mayResetFactors loads the person of login and reports whether the
// principal may remove their second factors: the system, an operator, or an
// administrator of one of their establishments other than the person
// themself (who removes their own from their strong session instead). A
// refusal is journaled under action.
func (s *Service) mayResetFactors(ctx context.Context, op, login, action, reason string) (*directory.Person, journal.Entry, error) {
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return nil, journal.Entry{}, err
	}
	e := s.entry(p, action, reason)
	e.Chain, e.TargetID, e.TargetName = chainOf(person), person.ID, person.Login
	allowed := p.System || p.Operator()
	for _, est := range person.Establishments {
		allowed = allowed || (person.ID != p.PersonID && p.CanAdminister(est))
	}
	if !allowed {
		e.Result, e.Reason = journal.Refused, "not an administrator of the person's establishment"
		_ = s.store.Journal(ctx, e)
		return nil, e, core.E(op, core.Permission, "you may not reset this person's second factors")
	}
	return person, e, nil
}

// ResetSecondFactors removes every second factor of login (its
// authenticator app and passkeys), for a person who lost their phone or
// key: an administrator of their establishment, an operator or the CLI may;
// the person sets up a new one at their next visit to a strong area. Each
// removal is journaled; a refused attempt too.
func (s *Service) ResetSecondFactors(ctx context.Context, login string) (int, error) {
	person, e, err := s.mayResetFactors(ctx, "auth.ResetSecondFactors", login, "auth.secondfactor.reset", "lost second factor")
	if err != nil {
		return 0, err
	}
	n := 0
	if err := s.store.RemoveTOTP(ctx, person.ID, e); err == nil {
		n++
	} else if !core.IsKind(err, core.NotFound) {
		return n, err
	}
	keys, err := s.store.Passkeys(ctx, person.ID)
	if err != nil {
		return n, err
	}
	for _, k := range keys {
		if err := s.store.RemovePasskey(ctx, person.ID, k.ID, e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RemoveSecondFactor removes one second factor of login — TOTPFactorID or a
// passkey's ID — for a person who lost that one key but keeps the others:
// the same people as ResetSecondFactors may. NotFound when the person has
// no such factor. Journaled, a refused attempt too.
func (s *Service) RemoveSecondFactor(ctx context.Context, login, factorID string) error {
	const op = "auth.RemoveSecondFactor"
	person, e, err := s.mayResetFactors(ctx, op, login, "auth.secondfactor.remove", "lost second factor")
	if err != nil {
		return err
	}
	if factorID == TOTPFactorID {
		e.Attributes = append(e.Attributes, "factor:totp")
		return s.store.RemoveTOTP(ctx, person.ID, e)
	}
	keys, err := s.store.Passkeys(ctx, person.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == factorID {
			e.Attributes = append(e.Attributes, "factor:passkey", "passkey:"+k.Name)
			return s.store.RemovePasskey(ctx, person.ID, k.ID, e)
		}
	}
	return core.E(op, core.NotFound, "this person has no such second factor")
}
