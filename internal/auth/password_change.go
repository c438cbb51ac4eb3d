// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// ChangePassword changes the principal's own password after checking the
// current one, and clears the must-change flag. The new password must meet
// the policy of the person's profile in their main establishment and
// differ from their last passwords (INF-AUT-6); a refusal is of kind
// core.Invalid, names every broken rule and carries the policy.Violations.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	const op = "auth.ChangePassword"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return core.E(op, core.Unauthenticated, "")
	}
	_, person, err := s.Authenticate(ctx, Attempt{Login: p.Login, Password: current, Channel: p.Channel, Source: p.Source})
	if err != nil {
		if core.IsKind(err, core.Unauthenticated) {
			return core.E(op, core.Invalid, "the current password is wrong")
		}
		return err
	}
	if current == next {
		return core.E(op, core.Invalid, "the new password must differ from the current one")
	}
	if err := s.checkNewPassword(ctx, op, person, next); err != nil {
		return err
	}
	e := journal.Entry{Action: "auth.password.change", TargetType: "person", TargetID: p.PersonID,
		TargetName: p.Login, Attributes: []string{"password"}}
	e.SetActor(p)
	if len(p.Establishments) > 0 {
		e.Chain = p.Establishments[0]
	}
	return s.store.SetPasswordHash(ctx, p.PersonID, s.Hash(next), false, e)
}

// ResetPassword sets a new password for a person on an admin's request and
// makes them change it at next login (not a service account, which no
// person logs in as). The principal must administer one of
// the person's establishments (or be a system principal). A refused attempt
// is journaled. The password must meet the person's policy, as for
// ChangePassword.
func (s *Service) ResetPassword(ctx context.Context, login, next string) error {
	const op = "auth.ResetPassword"
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return err
	}
	e := journal.Entry{Chain: chainOf(person), Action: "auth.password.reset", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: []string{"password", "mustChangePassword"}}
	e.SetActor(p)
	allowed, err := s.MayReset(ctx, person)
	if err != nil {
		return err
	}
	if !allowed {
		e.Result, e.Reason = journal.Refused, "neither an administrator of the person's establishment nor their teacher"
		_ = s.store.Journal(ctx, e)
		return core.E(op, core.Permission, "you may not reset this person's password")
	}
	if err := s.checkNewPassword(ctx, op, person, next); err != nil {
		return err
	}
	// A service account's password is typed into an application's
	// settings, never changed by a person: no change is demanded of it.
	if err := s.store.SetPasswordHash(ctx, person.ID, s.Hash(next), !person.Service, e); err != nil {
		return err
	}
	if s.notifier != nil {
		body := fmt.Sprintf("Bonjour %s,\n\nLe mot de passe de votre compte %s a été réinitialisé le %s par %s. "+
			"Vous devrez en choisir un nouveau à votre prochaine connexion.\n\n"+
			"Si vous n’êtes pas à l’origine de cette demande, prévenez l’administrateur de l’établissement.\n",
			person.GivenName, person.Login, s.clock.Now().In(paris).Format("02/01/2006 à 15:04"), p.Login)
		if err := s.notifier.NotifyPerson(ctx, person, "Votre mot de passe a été réinitialisé", body); err != nil {
			s.log.Warn("password reset notice failed", "login", person.Login, "err", err)
		}
	}
	return nil
}

// paris is the zone times are written in for people; UTC if unavailable.
var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()
