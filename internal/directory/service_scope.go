// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
)

// ServiceScope narrows what one service account (an application reading the
// directory: Moodle, Nextcloud, a Wi-Fi controller, a printer) reads over
// LDAP, within its establishments (INF-ANN-1, INF-ANN-6: only what the
// application needs). The zero value means the default: the service
// attribute set, every profile.
type ServiceScope struct {
	// Attrs lists the attribute names it reads of people (lower case); empty
	// for the default set. National join keys are readable only when named.
	Attrs []string
	// Profiles lists the profiles of the people it sees; empty for all.
	// Groups stay visible; their members are only those the scope sees.
	Profiles []core.Profile
}

// IsZero reports whether s is the default scope.
func (s ServiceScope) IsZero() bool { return len(s.Attrs) == 0 && len(s.Profiles) == 0 }

// SeesProfile reports whether the scope shows people of profile pr.
func (s ServiceScope) SeesProfile(pr core.Profile) bool {
	return len(s.Profiles) == 0 || slices.Contains(s.Profiles, pr)
}

// forbiddenServiceAttrs are never readable by an application, whatever its
// scope says.
var forbiddenServiceAttrs = []string{"userpassword", "authpassword", "sambantpassword"}

// ParseServiceScope reads the comma-separated attribute and profile lists an
// administrator typed. canon, when not nil, gives the served schema's
// primary name of an attribute (aliases accepted) and whether it
// exists. Each problem is named.
func ParseServiceScope(attrs, profiles string, canon func(string) (string, bool)) (ServiceScope, error) {
	const op = "directory.ParseServiceScope"
	var s ServiceScope
	for _, a := range splitList(attrs) {
		a = strings.ToLower(a)
		switch {
		case !validAttrName(a):
			return s, core.E(op, core.Invalid, "attribute %q is not an LDAP attribute name", clip(a))
		case ForbiddenServiceAttr(a):
			return s, core.E(op, core.Invalid, "attribute %s is never readable by an application", a)
		}
		if canon != nil {
			c, ok := canon(a)
			if !ok {
				return s, core.E(op, core.Invalid, "attribute %s is not in the directory's schema", a)
			}
			a = c
		}
		if !slices.Contains(s.Attrs, a) {
			s.Attrs = append(s.Attrs, a)
		}
	}
	for _, pr := range splitList(profiles) {
		p := core.Profile(strings.ToLower(pr))
		if !p.Valid() {
			return s, core.E(op, core.Invalid, "profile %q is not one of pupil, teacher, staff, head, admin", clip(pr))
		}
		if !slices.Contains(s.Profiles, p) {
			s.Profiles = append(s.Profiles, p)
		}
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// validAttrName accepts LDAP attribute descriptors (RFC 4512 §1.4:
// a letter, then letters, digits and hyphens).
func validAttrName(a string) bool {
	if a == "" || len(a) > 64 || a[0] < 'a' || a[0] > 'z' {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// SetServiceScope sets the read scope of the service account login. Only
// operators and administrators of one of its establishments may; the change
// and a refusal are journaled. The LDAP view applies it at its next reload
// (within seconds, on every node).
func (s *Service) SetServiceScope(ctx context.Context, login string, scope ServiceScope) error {
	const action = "directory.service.scope"
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return err
	}
	if !person.Service {
		return core.E(action, core.Invalid, "%s is not a service account (preau user add --service)", person.Login)
	}
	p := core.PrincipalFromContext(ctx)
	if !p.Operator() && !slices.ContainsFunc(person.Establishments, p.CanAdminister) {
		return s.refuse(ctx, chainOf(person.Establishments), action, "person", person.ID, person.Login, nil,
			fmt.Sprintf("%s may not change the scope of %s", nameOf(p), person.Login))
	}
	return s.store.SetServiceScope(ctx, person, scope)
}

// CreateServiceAccount creates the service account person (an application's
// directory account: Service set, no password change demanded, staff
// profile unless another is given) with its password hash and LDAP read
// scope in one transaction: the account never exists with a scope other
// than the one asked for. The principal must administer every establishment
// it joins, as for CreatePerson; the creation and the scope are journaled.
func (s *Service) CreateServiceAccount(ctx context.Context, person *Person, passwordHash string, scope ServiceScope) error {
	person.Service, person.MustChangePassword = true, false
	if person.Profile == "" {
		person.Profile = core.ProfileStaff
	}
	return s.createPerson(ctx, NewPerson{Person: person, PasswordHash: passwordHash, Scope: &scope})
}

// ForbiddenServiceAttr reports whether attribute a (any case) is one no
// application may read, whatever its scope (secrets).
func ForbiddenServiceAttr(a string) bool {
	return slices.Contains(forbiddenServiceAttrs, strings.ToLower(strings.TrimSpace(a)))
}
