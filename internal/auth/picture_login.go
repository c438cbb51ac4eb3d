// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// PictureMethod is the method of a session opened by a picture sequence
// (package picture, INF-AUT-1). It is not an RFC 8176 value: single
// sign-on passes it on as is, so that applications can tell a pupil of
// maternelle from a password.
const PictureMethod = "pic"

// PictureAttempt describes where a picture login comes from.
type PictureAttempt struct {
	Source    string // client IP
	UserAgent string
	Class     string // code of the class board, journaled
}

// LoginWithPictures opens a web session for a pupil whose picture sequence
// package picture has just checked (it journals the failures itself). The
// session has level 1 and methods ["pic"]; it and its "auth.login" journal
// entry are written in one transaction, and a session already held by the
// browser is replaced, as Login does. It returns the cookie value (never
// stored) and the principal. Errors: core.Permission when the person may
// not log in (not active, a service account).
func (s *Service) LoginWithPictures(ctx context.Context, person *directory.Person, a PictureAttempt) (string, core.Principal, error) {
	const op = "auth.LoginWithPictures"
	if person.State != directory.Active || person.Service {
		return "", core.Principal{}, core.E(op, core.Permission, "this account cannot log in (%s)", person.State)
	}
	old := core.PrincipalFromContext(ctx)
	p, err := s.principalFor(ctx, person)
	if err != nil {
		return "", core.Principal{}, err
	}
	p.Channel, p.Source = core.ChannelWeb, a.Source
	p.MustChangePassword = false // see pictureOnly
	return s.openSession(ctx, old, p, person, a.UserAgent, []string{PictureMethod}, pictureAttributes(a.Class))
}

// pictureAttributes are the journal attributes of a picture login
// attempt: the method and the class board.
func pictureAttributes(class string) []string {
	a := []string{"method:" + PictureMethod}
	if class != "" {
		a = append(a, "class:"+class)
	}
	return a
}

// PictureAttributes returns the journal attributes of a picture login
// attempt on the board of class, so that failures journaled by package
// picture read like the successes journaled here.
func PictureAttributes(class string) []string { return pictureAttributes(class) }

// pictureOnly reports whether a session was opened by pictures alone. Such
// a session ignores the password's must-change flag and age: the pupil
// did not use the password, and cannot read the page that would ask for a
// new one (INF-AUT-7 applies to the password when it is used).
func pictureOnly(methods []string) bool {
	return slices.Equal(methods, []string{PictureMethod})
}
