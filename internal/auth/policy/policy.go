// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package policy holds the password policies of CARINE INF-AUT-6 (length
// and composition) and INF-AUT-8 (change frequency): one Policy per profile,
// optionally overridden per establishment, and the Check of a candidate
// password against a policy. It does no I/O; the auth service loads the
// Policies from the "auth/password_policies" setting and checks the history
// of previous passwords itself. Any package may import it.
//
// The common-password list common-passwords.txt is generated from the
// frequency-ranked lists of the zxcvbn-ts language packages (MIT). To
// regenerate it (needs npm and its registry), run in this folder:
//
//	go generate
//
// which runs gen/regen.sh: it fetches @zxcvbn-ts/language-common and
// @zxcvbn-ts/language-fr with npm pack into a temporary folder, and
// gen/main.go writes the folded, deduplicated list.
package policy

//go:generate sh gen/regen.sh

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
)

// MaxLength is the longest password accepted, in characters, whatever the
// policy: argon2id hashes any length, but a bound keeps requests small.
const MaxLength = 256

// MaxHistory is the largest History a policy may ask for; the store keeps
// the last MaxHistory hashes of each person.
const MaxHistory = 20

// Day is the unit of MaxAge in JSON.
const Day = 24 * time.Hour

// Policy is the password policy of one profile (in one establishment).
type Policy struct {
	// MinLength is the least number of characters (runes).
	MinLength int `json:"min_length"`
	// MinClasses is how many of the four kinds of characters (lower case,
	// upper case, digits, others) the password must mix, 0 to 4.
	MinClasses int `json:"min_classes"`
	// RejectCommon refuses passwords of the common-password list, also once
	// digits and signs around them are taken off ("Soleil2024!").
	RejectCommon bool `json:"reject_common"`
	// RejectPersonal refuses passwords that contain the login, the given name
	// or the family name (each part of 3 characters or more), in any case,
	// with or without accents, forwards or backwards.
	RejectPersonal bool `json:"reject_personal"`
	// History is how many of the person's last passwords, the current one
	// included, may not be chosen again; 0 checks none.
	History int `json:"history"`
	// MaxAge is how long a password stays valid before its owner must change
	// it at their next login; 0 means it never expires. JSON holds it in
	// whole days, as max_age_days.
	MaxAge time.Duration `json:"-"`
}

// policyJSON is the JSON form of a Policy: MaxAge in days.
type policyJSON struct {
	plainPolicy
	MaxAgeDays int `json:"max_age_days"`
}

type plainPolicy Policy

// MarshalJSON implements json.Marshaler.
func (p Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(policyJSON{plainPolicy: plainPolicy(p), MaxAgeDays: int(p.MaxAge / Day)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var j policyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Policy(j.plainPolicy)
	p.MaxAge = time.Duration(j.MaxAgeDays) * Day
	return nil
}

// Validate reports every out-of-range field of p.
func (p Policy) Validate() error {
	var errs []error
	if p.MinLength < 1 || p.MinLength > MaxLength {
		errs = append(errs, fmt.Errorf("min_length must be between 1 and %d, got %d", MaxLength, p.MinLength))
	}
	if p.MinClasses < 0 || p.MinClasses > 4 {
		errs = append(errs, fmt.Errorf("min_classes must be between 0 and 4, got %d", p.MinClasses))
	}
	if p.History < 0 || p.History > MaxHistory {
		errs = append(errs, fmt.Errorf("history must be between 0 and %d, got %d", MaxHistory, p.History))
	}
	if p.MaxAge < 0 || (p.MaxAge > 0 && p.MaxAge < Day) {
		errs = append(errs, fmt.Errorf("max_age must be 0 (never) or at least one day, got %s", p.MaxAge))
	}
	return errors.Join(errs...)
}

// Default returns the default policy of a profile (INF-AUT-6, INF-AUT-8):
//
//	pupil                 8 characters, 2 kinds, no history, no expiry
//	teacher, staff, head 12 characters, 3 kinds, last 5 refused, no expiry
//	admin                14 characters, 3 kinds, last 10 refused, one year
//
// Every policy refuses common and personal passwords. An unknown profile
// gets the staff policy.
func Default(profile core.Profile) Policy {
	switch profile {
	case core.ProfilePupil:
		return Policy{MinLength: 8, MinClasses: 2, RejectCommon: true, RejectPersonal: true}
	case core.ProfileAdmin:
		return Policy{MinLength: 14, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 10,
			MaxAge: 365 * Day}
	default:
		return Policy{MinLength: 12, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 5}
	}
}

// Policies are the policies of a deployment: one per profile, and
// overrides for some profiles of some establishments. A profile missing
// from Profiles has its Default policy. An override is a whole policy.
type Policies struct {
	Profiles map[core.Profile]Policy `json:"profiles"`
	// Establishments maps an establishment ID to per-profile overrides.
	Establishments map[string]map[core.Profile]Policy `json:"establishments,omitempty"`
}

// Defaults returns the default policy of every profile and no override.
func Defaults() Policies {
	ps := Policies{Profiles: map[core.Profile]Policy{}}
	for _, pr := range core.Profiles {
		ps.Profiles[pr] = Default(pr)
	}
	return ps
}

// For returns the policy of a profile in an establishment: the
// establishment's override, else the deployment's policy of the profile,
// else its default.
func (ps Policies) For(establishment string, profile core.Profile) Policy {
	if p, ok := ps.Establishments[establishment][profile]; ok {
		return p
	}
	if p, ok := ps.Profiles[profile]; ok {
		return p
	}
	return Default(profile)
}

// Validate reports every invalid policy and unknown profile of ps.
func (ps Policies) Validate() error {
	var errs []error
	check := func(where string, m map[core.Profile]Policy) {
		for _, pr := range slices.Sorted(maps.Keys(m)) {
			if !pr.Valid() {
				errs = append(errs, fmt.Errorf("%s: unknown profile %q", where, pr))
			}
			if err := m[pr].Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s, %s: %w", where, pr, err))
			}
		}
	}
	check("password policies", ps.Profiles)
	for _, est := range slices.Sorted(maps.Keys(ps.Establishments)) {
		if est == "" {
			errs = append(errs, errors.New("password policies: an override has no establishment"))
		}
		check("password policies of establishment "+est, ps.Establishments[est])
	}
	return errors.Join(errs...)
}
