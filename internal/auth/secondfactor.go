// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"

	"github.com/preau/preau/internal/core"
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

// ResetSecondFactors removes every second factor of login (its
// authenticator app and passkeys), for a person who lost their phone or
// key: an administrator of their establishment, an operator or the CLI may;
// the person sets up a new one at their next visit to a strong area. Each
// removal is journaled; a refused attempt too.
func (s *Service) ResetSecondFactors(ctx context.Context, login string) (int, error) {
	const op = "auth.ResetSecondFactors"
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return 0, err
	}
	e := s.entry(p, "auth.secondfactor.reset", "lost second factor")
	e.Chain, e.TargetID, e.TargetName = chainOf(person), person.ID, person.Login
	allowed := p.System || p.Operator()
	for _, est := range person.Establishments {
		allowed = allowed || (person.ID != p.PersonID && p.CanAdminister(est))
	}
	if !allowed {
		e.Result, e.Reason = journal.Refused, "not an administrator of the person's establishment"
		_ = s.store.Journal(ctx, e)
		return 0, core.E(op, core.Permission, "you may not reset this person's second factors")
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
