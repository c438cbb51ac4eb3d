// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Strong authentication (INF-AUT-2): a TOTP authenticator app (RFC 6238)
// with single-use recovery codes. A session that proved a second factor
// has AuthLevel 2 and methods ["pwd", "otp"]; single sign-on passes that on
// (amr, acr, CAS authnContextClass).

// TOTPSecret is a person's authenticator-app key.
type TOTPSecret struct {
	PersonID  string
	Secret    string // base32, as in the otpauth:// URL
	Confirmed bool   // a first code was entered: the app is set up
	CreatedAt time.Time
	LastStep  int64 // the last 30-second step accepted; older or equal codes are replays
}

// SessionUpgrade is a new proof recorded on a session.
type SessionUpgrade struct {
	SessionID string
	Level     int
	Methods   []string
	At        time.Time
}

// strongStore persists second factors.
type strongStore interface {
	TOTP(ctx context.Context, personID string) (*TOTPSecret, error)
	PutTOTP(ctx context.Context, t *TOTPSecret) error
	ConfirmTOTP(ctx context.Context, personID string, step int64, codeHashes []string, up SessionUpgrade, e journal.Entry) error
	StepUp(ctx context.Context, personID string, step int64, codeHash string, up SessionUpgrade, e journal.Entry) error
	RecoveryCodesLeft(ctx context.Context, personID string) (int, error)
	RemoveTOTP(ctx context.Context, personID string, e journal.Entry) error
	// Passkeys (passkey.go). Passkeys returns a person's keys, oldest first.
	Passkeys(ctx context.Context, personID string) ([]*Passkey, error)
	// AddPasskey stores k, upgrades the session and journals e; core.Exists
	// when the key is already registered.
	AddPasskey(ctx context.Context, k *Passkey, up SessionUpgrade, e journal.Entry) error
	// UsePasskey stores a key's new record and last use, upgrades the
	// session and journals e; core.NotFound when the person has no such key.
	UsePasskey(ctx context.Context, personID, id string, data []byte, up SessionUpgrade, e journal.Entry) error
	RemovePasskey(ctx context.Context, personID, id string, e journal.Entry) error
	// PutPasskeyCeremony keeps a session's ceremony state until expires, in
	// place of one of the same kind; TakePasskeyCeremony returns it once,
	// core.NotFound when there is none or it expired.
	PutPasskeyCeremony(ctx context.Context, sessionID, kind string, state []byte, expires time.Time) error
	TakePasskeyCeremony(ctx context.Context, sessionID, kind string) ([]byte, error)
}

// RecoveryCodeCount is how many recovery codes enrolment gives.
const RecoveryCodeCount = 10

const totpPeriod = 30

// Issuer is the name authenticator apps show for Préau accounts.
const Issuer = "Préau"

// BeginTOTP makes a new authenticator key for the principal's own account
// and returns it (its otpauth:// URL for the QR code, and its secret for
// typing). It is not in force until ConfirmTOTP.
func (s *Service) BeginTOTP(ctx context.Context) (*otp.Key, error) {
	const op = "auth.BeginTOTP"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E(op, core.Unauthenticated, "")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: p.Login, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, core.E(op, core.Internal, "making a key: %v", err)
	}
	if err := s.store.PutTOTP(ctx, &TOTPSecret{PersonID: p.PersonID, Secret: key.Secret(), CreatedAt: s.clock.Now()}); err != nil {
		return nil, err
	}
	return key, nil
}

// ConfirmTOTP checks a first code from the app, puts the key in force,
// upgrades the current session to strong, and returns the recovery codes
// (shown once; only their hashes are kept).
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	const op = "auth.ConfirmTOTP"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E(op, core.Unauthenticated, "")
	}
	t, err := s.store.TOTP(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	if t.Confirmed {
		return nil, core.E(op, core.Conflict, "an authenticator app is already set up")
	}
	step, ok := s.checkTOTP(t, code)
	if !ok {
		return nil, core.E(op, core.Invalid, "this code is not the one the app shows: check the phone's clock and try again")
	}
	codes, hashes := newRecoveryCodes()
	now := s.clock.Now()
	e := s.entry(p, "auth.totp.enrol", "")
	up := SessionUpgrade{SessionID: p.SessionID, Level: 2, Methods: []string{"pwd", "otp"}, At: now}
	if err := s.store.ConfirmTOTP(ctx, p.PersonID, step, hashes, up, e); err != nil {
		return nil, err
	}
	return codes, nil
}

// StepUp checks a second factor (a code from the app, or a recovery code)
// for the principal's session and makes the session strong. Failures are
// journaled and throttled like passwords.
func (s *Service) StepUp(ctx context.Context, code string) error {
	const op = "auth.StepUp"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.SessionID == "" {
		return core.E(op, core.Unauthenticated, "")
	}
	now := s.clock.Now()
	key := "otp:" + p.Login // its own counters: a wrong code does not slow the password
	if wait, _ := s.guard.blocked(key, p.Source, now); wait > 0 {
		s.journalStepUp(ctx, p, journal.Refused, "throttled")
		return core.E(op, core.TooMany, "too many wrong codes: wait %s before trying again", wait.Round(time.Second))
	}
	t, err := s.store.TOTP(ctx, p.PersonID)
	if err != nil || !t.Confirmed {
		return core.E(op, core.Invalid, "no authenticator app is set up for this account")
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	var step int64
	var codeHash string
	method := "otp"
	if len(code) == 6 {
		var ok bool
		if step, ok = s.checkTOTP(t, code); !ok {
			s.guard.fail(key, p.Source, now)
			s.journalStepUp(ctx, p, journal.Refused, "wrong code")
			return core.E(op, core.Invalid, "wrong code")
		}
	} else {
		codeHash, method = hashRecoveryCode(code), "otp" // a recovery code is a one-time password too
	}
	up := SessionUpgrade{SessionID: p.SessionID, Level: 2, Methods: []string{"pwd", method}, At: now}
	e := s.entry(p, "auth.stepup", "")
	if codeHash != "" {
		e.Reason = "recovery code"
	}
	if err := s.store.StepUp(ctx, p.PersonID, step, codeHash, up, e); err != nil {
		if core.IsKind(err, core.Conflict) {
			s.guard.fail(key, p.Source, now)
			reason := "code replayed"
			if codeHash != "" {
				reason = "unknown or used recovery code"
			}
			s.journalStepUp(ctx, p, journal.Refused, reason)
			return core.E(op, core.Invalid, "wrong code, or a code already used")
		}
		return err
	}
	s.guard.succeed(key, p.Source)
	return nil
}

// HasTOTP reports whether a person has a confirmed authenticator app, and
// how many recovery codes are left.
func (s *Service) HasTOTP(ctx context.Context, personID string) (bool, int, error) {
	t, err := s.store.TOTP(ctx, personID)
	if core.IsKind(err, core.NotFound) {
		return false, 0, nil
	}
	if err != nil || !t.Confirmed {
		return false, 0, err
	}
	n, err := s.store.RecoveryCodesLeft(ctx, personID)
	return true, n, err
}

// RemoveTOTP removes the authenticator app of login: the person themself
// (from a strong session) or an administrator of their establishment (a
// lost phone). Journaled, refused attempts too.
func (s *Service) RemoveTOTP(ctx context.Context, login string) error {
	const op = "auth.RemoveTOTP"
	p := core.PrincipalFromContext(ctx)
	person, err := s.store.FindPersonByLogin(ctx, login)
	if err != nil {
		return err
	}
	self := person.ID == p.PersonID
	allowed := p.System || p.Operator() || (self && p.AuthLevel >= 2)
	for _, est := range person.Establishments {
		allowed = allowed || (!self && p.CanAdminister(est))
	}
	e := s.entry(p, "auth.totp.remove", "")
	e.Chain, e.TargetID, e.TargetName = chainOf(person), person.ID, person.Login
	if !allowed {
		e.Result, e.Reason = journal.Refused, "not allowed"
		_ = s.store.Journal(ctx, e)
		return core.E(op, core.Permission, "you may not remove this authenticator app")
	}
	return s.store.RemoveTOTP(ctx, person.ID, e)
}

// checkTOTP validates a 6-digit code at the current step ± 1 (phone clocks
// drift) and returns the step it matched. Replays are refused by the store
// (a step must be later than the last one accepted).
func (s *Service) checkTOTP(t *TOTPSecret, code string) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	now := s.clock.Now()
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(t.Secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix,
			Algorithm: otp.AlgorithmSHA1})
		if err == nil && want == code {
			step := at.Unix() / totpPeriod
			return step, step > t.LastStep
		}
	}
	return 0, false
}

func (s *Service) entry(p core.Principal, action, reason string) journal.Entry {
	e := journal.Entry{Action: action, TargetType: "person", TargetID: p.PersonID, TargetName: p.Login, Reason: reason,
		Attributes: []string{"method:otp"}}
	e.SetActor(p)
	if len(p.Establishments) > 0 {
		e.Chain = p.Establishments[0]
	}
	return e
}

func (s *Service) journalStepUp(ctx context.Context, p core.Principal, r journal.Result, reason string) {
	e := s.entry(p, "auth.stepup", reason)
	e.Result = r
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a step-up failed", "err", err)
	}
}

// newRecoveryCodes returns codes like "4kq7-x2mh-9pdt" and their hashes.
func newRecoveryCodes() (codes, hashes []string) {
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyz" // no 0/o, 1/l/i
	for range RecoveryCodeCount {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(c)%len(alphabet)])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, hashRecoveryCode(sb.String()))
	}
	return codes, hashes
}

// hashRecoveryCode hashes a recovery code as typed, ignoring case, spaces
// and dashes. Codes carry 59 bits of randomness and are single-use and
// throttled, so SHA-256 suffices.
func hashRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
	h := sha256.Sum256([]byte("preau-recovery\x00" + c))
	return hex.EncodeToString(h[:])
}
