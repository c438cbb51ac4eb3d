// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Login authenticates a person on the web and opens a session. It returns
// the cookie value (shown once, never stored) and the principal. The
// session and its "auth.login" journal entry are written in one
// transaction. A session already held by the browser (the principal in
// ctx, when the person proves their identity again for single sign-on) is
// replaced.
func (s *Service) Login(ctx context.Context, a Attempt) (cookie string, p core.Principal, err error) {
	old := core.PrincipalFromContext(ctx)
	p, person, err := s.Authenticate(ctx, a)
	if err != nil {
		return "", core.Principal{}, err
	}
	return s.openSession(ctx, old, p, person, a.UserAgent, []string{"pwd"}, []string{"method:pwd"})
}

// openSession stores a new session for person with the methods of the
// proof just made, journals the login (attrs) in the same transaction,
// and ends the session the browser held before (old), if any. It returns
// the cookie value and p completed with the session.
func (s *Service) openSession(ctx context.Context, old, p core.Principal, person *directory.Person, userAgent string,
	methods, attrs []string) (string, core.Principal, error) {
	clear, hash := randomToken()
	now := s.clock.Now()
	sess := &Session{ID: hash, PersonID: person.ID, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(s.cfg.SessionMax), Source: p.Source, UserAgent: clipUA(userAgent), AuthLevel: 1,
		Methods: methods, AuthTime: now}
	e := journal.Entry{Chain: chainOf(person), Action: "auth.login", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: attrs}
	e.SetActor(p)
	if err := s.store.CreateSession(ctx, sess, e); err != nil {
		return "", core.Principal{}, err
	}
	if old.SessionID != "" {
		e := journal.Entry{Chain: e.Chain, Action: "auth.session.replace", TargetType: "person",
			TargetID: old.PersonID, TargetName: old.Login, Reason: "new login in the same browser"}
		e.SetActor(p)
		if err := s.store.DeleteSession(ctx, old.SessionID, e); err != nil {
			s.log.Warn("ending the replaced session failed", "err", err)
		}
	}
	p.SessionID, p.AuthMethods, p.AuthTime = hash, sess.Methods, now
	if f := s.onLogin.Load(); f != nil {
		(*f)(ctx, p, hash, sess.ExpiresAt)
	}
	return clear, p, nil
}

// SessionPrincipal returns the principal of a live session cookie. It ends
// sessions past their idle or absolute timeout, and refreshes the last-seen
// time at most once a minute. Errors: core.Unauthenticated when the session
// is unknown, expired or its person may no longer log in.
func (s *Service) SessionPrincipal(ctx context.Context, cookie string) (core.Principal, error) {
	const op = "auth.SessionPrincipal"
	if cookie == "" || len(cookie) > 100 {
		return core.Principal{}, core.E(op, core.Unauthenticated, "")
	}
	id := hashToken(cookie)
	sess, rec, err := s.store.FindSessionPerson(ctx, id)
	if core.IsKind(err, core.NotFound) {
		return core.Principal{}, core.E(op, core.Unauthenticated, "your session has ended; please log in again")
	}
	if err != nil {
		return core.Principal{}, err
	}
	now := s.clock.Now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.cfg.SessionIdle {
		e := journal.Entry{Action: "auth.session.expire", TargetType: "session", Reason: "timeout"}
		e.SetActor(core.SystemPrincipal("system:sessions", core.ChannelSystem))
		_ = s.store.DeleteSession(ctx, id, e)
		return core.Principal{}, core.E(op, core.Unauthenticated, "your session has expired; please log in again")
	}
	person := rec.Person
	if person.State != directory.Active {
		return core.Principal{}, core.E(op, core.Unauthenticated, "this account is %s", person.State)
	}
	if now.Sub(sess.LastSeen) > time.Minute {
		if err := s.store.TouchSession(ctx, id, now); err != nil {
			s.log.Warn("session touch failed", "err", err)
		}
	}
	p := s.principalWith(person, rec.Grants, s.expiredNow(person, rec))
	p.SessionID, p.AuthLevel, p.Channel = id, sess.AuthLevel, core.ChannelWeb
	p.AuthMethods, p.AuthTime = sess.Methods, sess.AuthTime
	if pictureOnly(sess.Methods) {
		p.MustChangePassword = false
	}
	return p, nil
}

// Logout ends the session of the principal in ctx.
func (s *Service) Logout(ctx context.Context) error {
	p := core.PrincipalFromContext(ctx)
	if p.SessionID == "" {
		return nil
	}
	e := journal.Entry{Action: "auth.logout", TargetType: "person", TargetID: p.PersonID, TargetName: p.Login}
	e.SetActor(p)
	if len(p.Establishments) > 0 {
		e.Chain = p.Establishments[0]
	}
	return s.store.DeleteSession(ctx, p.SessionID, e)
}

// Sessions lists the live sessions of the principal's own account.
func (s *Service) Sessions(ctx context.Context) ([]*Session, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("auth.Sessions", core.Unauthenticated, "")
	}
	return s.store.FindSessions(ctx, p.PersonID)
}

// CSRFToken derives the CSRF token of a session: an HMAC of its ID, so it
// needs no storage and dies with the session.
func CSRFToken(sessionID string) string {
	m := hmac.New(sha256.New, []byte("preau-csrf-v1"))
	m.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CreateToken creates an API bearer token for the person with the given
// login and returns its clear value, shown once. Only system principals (the
// CLI) and technical admins of the person's establishment may.
func (s *Service) CreateToken(ctx context.Context, login, name string, ttl time.Duration) (string, error) {
	const op = "auth.CreateToken"
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return "", err
	}
	if !p.System && !(p.Profile == core.ProfileAdmin && (p.Operator() || p.AttachedTo(person.MainEstablishment()))) {
		return "", core.E(op, core.Permission, "only a technical admin may create API tokens")
	}
	if name == "" || len(name) > 100 {
		return "", core.E(op, core.Invalid, "a token needs a name of at most 100 characters")
	}
	clear, hash := randomToken()
	now := s.clock.Now()
	t := &Token{ID: core.NewID(), PersonID: person.ID, Name: name, Hash: hash, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	e := journal.Entry{Chain: chainOf(person), Action: "auth.token.create", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login, Attributes: []string{"token:" + name}}
	e.SetActor(p)
	if err := s.store.CreateToken(ctx, t, e); err != nil {
		return "", err
	}
	return "preau_" + clear, nil
}

// TokenPrincipal returns the principal of a bearer token.
func (s *Service) TokenPrincipal(ctx context.Context, bearer string) (core.Principal, error) {
	const op = "auth.TokenPrincipal"
	clear, ok := cutPrefix(bearer, "preau_")
	if !ok || len(clear) > 100 {
		return core.Principal{}, core.E(op, core.Unauthenticated, "invalid API token")
	}
	t, err := s.store.FindToken(ctx, hashToken(clear))
	if err != nil {
		return core.Principal{}, core.E(op, core.Unauthenticated, "invalid API token")
	}
	now := s.clock.Now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && now.After(t.ExpiresAt)) {
		return core.Principal{}, core.E(op, core.Unauthenticated, "this API token has expired or was revoked")
	}
	person, err := s.store.FindPerson(ctx, t.PersonID)
	if err != nil || person.State != directory.Active {
		return core.Principal{}, core.E(op, core.Unauthenticated, "the account of this API token cannot log in")
	}
	p, err := s.principalFor(ctx, person)
	if err != nil {
		return core.Principal{}, err
	}
	// A token is a 256-bit key issued only by a technician on the server
	// or an admin in a strong session: it counts as strong (INF-AUT-2).
	p.Channel, p.AuthLevel, p.AuthMethods = core.ChannelAPI, 2, []string{"swk"}
	return p, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

func clipUA(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// SessionHandle names a session on the sessions page without revealing
// its ID (the CSRF token is derived from the ID).
func SessionHandle(id string) string { return hashToken("handle\x00" + id)[:16] }

// EndOwnSession ends one of the principal's own sessions, named by its
// handle, and journals it. Ending the current session is a logout.
func (s *Service) EndOwnSession(ctx context.Context, handle string) error {
	const op = "auth.EndOwnSession"
	p := core.PrincipalFromContext(ctx)
	sessions, err := s.Sessions(ctx)
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		if SessionHandle(sess.ID) == handle {
			e := journal.Entry{Action: "auth.session.end", TargetType: "person", TargetID: p.PersonID,
				TargetName: p.Login, Reason: "ended by its owner"}
			e.SetActor(p)
			if len(p.Establishments) > 0 {
				e.Chain = p.Establishments[0]
			}
			return s.store.DeleteSession(ctx, sess.ID, e)
		}
	}
	return core.E(op, core.NotFound, "this session has already ended")
}
