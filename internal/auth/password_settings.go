// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// MaxForgottenPasswordText bounds the forgotten-password procedure, in
// characters: a paragraph or two on the login page.
const MaxForgottenPasswordText = 2000

// MayEditDeploymentSettings reports whether the principal in ctx may change
// what applies to the whole deployment (the default password policies, the
// forgotten-password procedure): operators, and the administrators (head,
// technical admin) of a deployment that serves a single establishment,
// where the deployment is their school.
func (s *Service) MayEditDeploymentSettings(ctx context.Context) (bool, error) {
	p := core.PrincipalFromContext(ctx)
	if p.Operator() {
		return true, nil
	}
	if p.Profile != core.ProfileAdmin && p.Profile != core.ProfileHead {
		return false, nil
	}
	ests, err := s.store.ListEstablishments(ctx, nil)
	if err != nil {
		return false, err
	}
	return len(ests) == 1 && p.CanAdminister(ests[0].ID), nil
}

// SetPasswordPolicy sets the password policy of a profile (INF-AUT-6,
// INF-AUT-8) in one establishment, or, with est "", for the whole
// deployment; pol nil removes that establishment's override (or gives the
// deployment's profile its default back). Administrators of est may change
// its overrides; the deployment's policies need MayEditDeploymentSettings.
// The change is journaled with the new rules; a refusal too. Concurrent
// edits of other profiles or establishments are kept (compare and swap).
func (s *Service) SetPasswordPolicy(ctx context.Context, est string, profile core.Profile, pol *policy.Policy) error {
	const op = "auth.SetPasswordPolicy"
	p := core.PrincipalFromContext(ctx)
	e := journal.Entry{Chain: est, Action: "auth.password_policy.set", TargetType: "establishment", TargetID: est,
		Attributes: []string{string(profile)}}
	if est == "" {
		e.Chain, e.TargetType = journal.DeploymentChain, "deployment"
	}
	e.SetActor(p)
	allowed := est != "" && p.CanAdminister(est)
	if est == "" {
		var err error
		if allowed, err = s.MayEditDeploymentSettings(ctx); err != nil {
			return err
		}
	}
	if !allowed {
		e.Result, e.Reason = journal.Refused, "not an administrator of this scope"
		_ = s.store.Journal(ctx, e)
		return core.E(op, core.Permission, "you may not change these password policies")
	}
	if !profile.Valid() {
		return core.E(op, core.Invalid, "unknown profile %q", profile)
	}
	if pol != nil {
		if err := pol.Validate(); err != nil {
			return core.E(op, core.Invalid, "%s", err.Error())
		}
		e.Reason = DescribePolicy(*pol)
	} else {
		e.Reason = "override removed"
	}
	return s.swapSetting(ctx, op, SettingPasswordPolicies, e, func(old string, existed bool) (string, error) {
		ps := policy.Defaults()
		if existed {
			ps = policy.Policies{}
			if err := json.Unmarshal([]byte(old), &ps); err != nil || ps.Validate() != nil {
				ps = policy.Defaults() // an unreadable setting is replaced, as Policies reads it
			}
		}
		if ps.Profiles == nil {
			ps.Profiles = map[core.Profile]policy.Policy{}
		}
		switch {
		case est == "" && pol != nil:
			ps.Profiles[profile] = *pol
		case est == "":
			ps.Profiles[profile] = policy.Default(profile)
		case pol != nil:
			if ps.Establishments == nil {
				ps.Establishments = map[string]map[core.Profile]policy.Policy{}
			}
			if ps.Establishments[est] == nil {
				ps.Establishments[est] = map[core.Profile]policy.Policy{}
			}
			ps.Establishments[est][profile] = *pol
		default:
			delete(ps.Establishments[est], profile)
			if len(ps.Establishments[est]) == 0 {
				delete(ps.Establishments, est)
			}
		}
		b, err := json.Marshal(ps)
		return string(b), err
	})
}

// SetForgottenPasswordText sets the forgotten-password procedure shown on
// the login page (INF-AUT-9); "" gives the default text back. It needs
// MayEditDeploymentSettings; journaled, a refusal too.
func (s *Service) SetForgottenPasswordText(ctx context.Context, text string) error {
	const op = "auth.SetForgottenPasswordText"
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	e := journal.Entry{Chain: journal.DeploymentChain, Action: "auth.forgotten_password_text.set", TargetType: "deployment"}
	e.SetActor(core.PrincipalFromContext(ctx))
	ok, err := s.MayEditDeploymentSettings(ctx)
	if err != nil {
		return err
	}
	if !ok {
		e.Result, e.Reason = journal.Refused, "not an operator of the deployment"
		_ = s.store.Journal(ctx, e)
		return core.E(op, core.Permission, "you may not change the forgotten-password procedure")
	}
	if n := utf8.RuneCountInString(text); n > MaxForgottenPasswordText {
		return core.E(op, core.Invalid, "the text is %d characters long; at most %d", n, MaxForgottenPasswordText)
	}
	if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }) {
		return core.E(op, core.Invalid, "the text holds control characters")
	}
	e.Reason = fmt.Sprintf("%d characters", utf8.RuneCountInString(text))
	if text == "" {
		e.Reason = "default text"
	}
	return s.swapSetting(ctx, op, SettingForgottenPassword, e, func(string, bool) (string, error) { return text, nil })
}

// swapSetting applies change to an auth setting with compare and swap,
// retrying when another writer came first.
func (s *Service) swapSetting(ctx context.Context, op, name string, e journal.Entry, change func(old string, existed bool) (string, error)) error {
	for range 5 {
		old, err := s.store.Setting(ctx, SettingScope, name)
		existed := err == nil
		if err != nil && !core.IsKind(err, core.NotFound) {
			return err
		}
		next, err := change(old, existed)
		if err != nil {
			return core.E(op, core.Internal, "%v", err)
		}
		if existed && next == old {
			return s.store.Journal(ctx, e) // nothing to write; the request is still traced
		}
		ok, err := s.store.SwapSetting(ctx, SettingScope, name, old, existed, next, e)
		if err != nil || ok {
			return err
		}
	}
	return core.E(op, core.Conflict, "the setting kept changing under this edit; try again")
}

// DescribePolicy states a policy's rules in a line, for the journal.
func DescribePolicy(p policy.Policy) string {
	age := "never"
	if p.MaxAge > 0 {
		age = fmt.Sprintf("%d days", int(p.MaxAge/policy.Day))
	}
	return fmt.Sprintf("min length %d, %d kinds, common refused %t, personal refused %t, history %d, max age %s",
		p.MinLength, p.MinClasses, p.RejectCommon, p.RejectPersonal, p.History, age)
}
