// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// ResetGenerated resets person's password to a new generated one (for a
// pupil, words they can read; for adults 14 mixed characters), sets
// must-change and journals the reset (ResetPassword). A password that
// happens to break the person's policy (it contains their name) is drawn
// again. The password is returned to be shown once; it is stored only hashed.
func (s *Service) ResetGenerated(ctx context.Context, person *directory.Person) (string, error) {
	var err error
	for range 5 {
		pw := GenerateFor(person.Profile)
		if err = s.ResetPassword(ctx, person.Login, pw); core.KindOf(err) != core.Invalid {
			if err != nil {
				return "", err
			}
			return pw, nil
		}
	}
	return "", err
}

// Reset is the outcome of one reset of a batch.
type Reset struct {
	Person   *directory.Person
	Password string // "" when Err is set
	Err      error
}

// ResetMany resets the passwords of people for a password sheet (INF-AUT-9).
// The principal must be allowed to reset every one of them (MayReset):
// otherwise nothing is reset, a refusal is journaled for each person refused
// and the error, of kind core.Permission, names them. Each reset is its own
// transaction and journal entry; one that fails is reported in its Reset and
// the others go on.
func (s *Service) ResetMany(ctx context.Context, people []*directory.Person) ([]Reset, error) {
	p := core.PrincipalFromContext(ctx)
	var refused []string
	for _, person := range people {
		ok, err := s.MayReset(ctx, person)
		if err != nil {
			return nil, err
		}
		if !ok {
			refused = append(refused, person.Login)
			e := journal.Entry{Chain: chainOf(person), Action: "auth.password.reset", TargetType: "person",
				TargetID: person.ID, TargetName: person.Login, Attributes: []string{"password", "mustChangePassword"},
				Result: journal.Refused, Reason: "password sheet: neither an administrator of the person's establishment nor their teacher"}
			e.SetActor(p)
			_ = s.store.Journal(ctx, e)
		}
	}
	if len(refused) > 0 {
		return nil, core.E("auth.ResetMany", core.Permission, "you may not reset the password of %s: nothing was reset",
			strings.Join(refused, ", "))
	}
	out := make([]Reset, len(people))
	for i, person := range people {
		pw, err := s.ResetGenerated(ctx, person)
		out[i] = Reset{Person: person, Password: pw, Err: err}
	}
	return out, nil
}

// EstablishmentName returns the name of an establishment for a password
// sheet, or "" when it cannot be read.
func (s *Service) EstablishmentName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	e, err := s.store.FindEstablishment(ctx, id)
	if err != nil {
		return ""
	}
	return e.Name
}
