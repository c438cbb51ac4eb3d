// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Passkeys and security keys (WebAuthn / FIDO2) as a second factor
// (INF-AUT-2), beside the authenticator app. The person's device keeps the
// private key and, when it checks a fingerprint, a face or a PIN, does so
// itself: the server receives a public key at enrolment and a signature at
// each use, never biometric data (INF-AUT-12).
//
// The cryptographic half of a ceremony (challenges, attestation and
// signature checks) is a RelyingParty that the web layer makes for each
// request, since the relying-party ID is the host name the browser sees and
// the WebAuthn library is an HTTP-side dependency. This package keeps the
// rules: who may add a key, the ceremony state between begin and finish,
// throttling, the session upgrade and the journal.

// Passkey is a WebAuthn credential of a person: a passkey on a phone or a
// computer, or a hardware security key.
type Passkey struct {
	ID        string // credential ID, unpadded base64url
	PersonID  string
	Name      string // the person's label for it ("Clé bleue", "Téléphone")
	Data      []byte // the credential record (public key, sign count, flags), opaque here: the RelyingParty's
	CreatedAt time.Time
	LastUsed  time.Time // zero if never used to step up
}

// PasskeyUser is the account a ceremony is for.
type PasskeyUser struct {
	ID          []byte // the WebAuthn user handle: the person ID, which never changes (a login may)
	Name        string // the login
	DisplayName string
}

// PasskeyProof is what a RelyingParty verified at the end of a ceremony.
type PasskeyProof struct {
	ID   string // credential ID, unpadded base64url
	Data []byte // the credential record to store, with its new sign count
	// Synced reports a backup-eligible credential: a passkey that the
	// device's keychain copies to the person's other devices, so not bound
	// to one piece of hardware.
	Synced bool
}

// RelyingParty runs the cryptographic half of WebAuthn ceremonies for one
// relying-party ID. Begin methods return the options for the browser
// (navigator.credentials.create or .get, as JSON) and the state to present
// again at the finish. Finish methods read the browser's JSON response and
// return an error of kind core.Invalid, whose message is a short reason fit
// for the journal, when it does not verify.
type RelyingParty interface {
	BeginRegistration(u PasskeyUser, existing []*Passkey) (options, state []byte, err error)
	FinishRegistration(u PasskeyUser, state, response []byte) (*PasskeyProof, error)
	// BeginLogin fails with core.Invalid when none of keys belongs to this
	// relying party (keys added under another host name).
	BeginLogin(u PasskeyUser, keys []*Passkey) (options, state []byte, err error)
	FinishLogin(u PasskeyUser, keys []*Passkey, state, response []byte) (*PasskeyProof, error)
}

// PasskeyCeremonyTTL is how long a ceremony may take between begin and
// finish.
const PasskeyCeremonyTTL = 5 * time.Minute

// MaxPasskeys bounds the keys of one person.
const MaxPasskeys = 10

// Kinds of ceremony state (one of each per session at a time).
const (
	ceremonyRegister = "register"
	ceremonyStepUp   = "stepup"
)

// passkeyMethod is the RFC 8176 method of a key proof: "swk" for a synced
// passkey, whose private key the keychain copies between devices, "hwk"
// for a key bound to one authenticator (a security key, or a platform
// authenticator's secure hardware). The attachment (platform or
// cross-platform) does not tell: a phone's non-synced key is hardware.
func passkeyMethod(synced bool) string {
	if synced {
		return "swk"
	}
	return "hwk"
}

// BeginPasskeyRegistration starts adding a key to the principal's own
// account and returns the options for navigator.credentials.create. A
// person who already has a second factor must have proved it in this
// session first: otherwise a stolen password would be enough to add the
// thief's own key.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, rp RelyingParty) ([]byte, error) {
	const op = "auth.BeginPasskeyRegistration"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.SessionID == "" {
		return nil, core.E(op, core.Unauthenticated, "")
	}
	keys, err := s.mayAddPasskey(ctx, op, p)
	if err != nil {
		return nil, err
	}
	u, err := s.passkeyUser(ctx, p)
	if err != nil {
		return nil, err
	}
	options, state, err := rp.BeginRegistration(u, keys)
	if err != nil {
		return nil, err
	}
	if err := s.store.PutPasskeyCeremony(ctx, p.SessionID, ceremonyRegister, state,
		s.clock.Now().Add(PasskeyCeremonyTTL)); err != nil {
		return nil, err
	}
	return options, nil
}

// FinishPasskeyRegistration verifies the browser's response to the options
// of BeginPasskeyRegistration, stores the key under name, and makes the
// session strong, as confirming an authenticator app does. A response that
// does not verify is journaled.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, rp RelyingParty, name string, response io.Reader) error {
	const op = "auth.FinishPasskeyRegistration"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.SessionID == "" {
		return core.E(op, core.Unauthenticated, "")
	}
	name, err := passkeyName(op, name)
	if err != nil {
		return err
	}
	body, err := readPasskeyResponse(op, response)
	if err != nil {
		return err
	}
	state, err := s.store.TakePasskeyCeremony(ctx, p.SessionID, ceremonyRegister)
	if core.IsKind(err, core.NotFound) {
		return core.E(op, core.Invalid, "no key registration is in progress, or it took too long: start again")
	}
	if err != nil {
		return err
	}
	if _, err := s.mayAddPasskey(ctx, op, p); err != nil {
		return err
	}
	u, err := s.passkeyUser(ctx, p)
	if err != nil {
		return err
	}
	proof, err := rp.FinishRegistration(u, state, body)
	if err != nil {
		if core.KindOf(err) != core.Invalid {
			return err
		}
		e := s.passkeyEntry(p, "auth.passkey.enrol", "hwk", core.MessageOf(err))
		e.Result = journal.Refused
		s.journalPasskey(ctx, e)
		return &core.Error{Op: op, Kind: core.Invalid, Msg: "the key's answer could not be verified: try again", Err: err}
	}
	now := s.clock.Now()
	method := passkeyMethod(proof.Synced)
	k := &Passkey{ID: proof.ID, PersonID: p.PersonID, Name: name, Data: proof.Data, CreatedAt: now}
	up := SessionUpgrade{SessionID: p.SessionID, Level: 2, Methods: []string{"pwd", method}, At: now}
	return s.store.AddPasskey(ctx, k, up, s.passkeyEntry(p, "auth.passkey.enrol", method, ""))
}

// BeginPasskeyStepUp starts proving a key for the principal's session and
// returns the options for navigator.credentials.get.
func (s *Service) BeginPasskeyStepUp(ctx context.Context, rp RelyingParty) ([]byte, error) {
	const op = "auth.BeginPasskeyStepUp"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.SessionID == "" {
		return nil, core.E(op, core.Unauthenticated, "")
	}
	if err := s.passkeyThrottled(ctx, op, p); err != nil {
		return nil, err
	}
	keys, err := s.store.Passkeys(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, core.E(op, core.Invalid, "no key is registered for this account")
	}
	u, err := s.passkeyUser(ctx, p)
	if err != nil {
		return nil, err
	}
	options, state, err := rp.BeginLogin(u, keys)
	if err != nil {
		return nil, err
	}
	if err := s.store.PutPasskeyCeremony(ctx, p.SessionID, ceremonyStepUp, state,
		s.clock.Now().Add(PasskeyCeremonyTTL)); err != nil {
		return nil, err
	}
	return options, nil
}

// FinishPasskeyStepUp verifies the browser's response to the options of
// BeginPasskeyStepUp and makes the session strong, recording the key's new
// signature counter and last use. Failures are journaled ("auth.stepup",
// refused, with the reason) and throttled with wrong codes: a person has
// one budget of second-factor failures.
func (s *Service) FinishPasskeyStepUp(ctx context.Context, rp RelyingParty, response io.Reader) error {
	const op = "auth.FinishPasskeyStepUp"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.SessionID == "" {
		return core.E(op, core.Unauthenticated, "")
	}
	if err := s.passkeyThrottled(ctx, op, p); err != nil {
		return err
	}
	body, err := readPasskeyResponse(op, response)
	if err != nil {
		return err
	}
	state, err := s.store.TakePasskeyCeremony(ctx, p.SessionID, ceremonyStepUp)
	if core.IsKind(err, core.NotFound) {
		s.journalPasskey(ctx, s.refusedStepUp(p, "no key check in progress, or it took too long"))
		return core.E(op, core.Invalid, "no key check is in progress, or it took too long: start again")
	}
	if err != nil {
		return err
	}
	keys, err := s.store.Passkeys(ctx, p.PersonID)
	if err != nil {
		return err
	}
	u, err := s.passkeyUser(ctx, p)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	proof, err := rp.FinishLogin(u, keys, state, body)
	if err != nil {
		if core.KindOf(err) != core.Invalid {
			return err
		}
		s.guard.fail(secondFactorKey(p), p.Source, now)
		s.journalPasskey(ctx, s.refusedStepUp(p, core.MessageOf(err)))
		return &core.Error{Op: op, Kind: core.Invalid, Msg: "the key's answer could not be verified: try again", Err: err}
	}
	method := passkeyMethod(proof.Synced)
	up := SessionUpgrade{SessionID: p.SessionID, Level: 2, Methods: []string{"pwd", method}, At: now}
	if err := s.store.UsePasskey(ctx, p.PersonID, proof.ID, proof.Data, up,
		s.passkeyEntry(p, "auth.stepup", method, "")); err != nil {
		return err
	}
	s.guard.succeed(secondFactorKey(p), p.Source)
	return nil
}

// maxPasskeyResponse bounds a browser's answer to a ceremony (an
// attestation with its certificate chain is a few kilobytes).
const maxPasskeyResponse = 64 << 10

func readPasskeyResponse(op string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPasskeyResponse+1))
	if err != nil {
		return nil, core.E(op, core.Invalid, "reading the key's answer: %v", err)
	}
	if len(b) > maxPasskeyResponse {
		return nil, core.E(op, core.Invalid, "the key's answer is larger than %d bytes", maxPasskeyResponse)
	}
	return b, nil
}

// Passkeys returns the principal's own keys, oldest first.
func (s *Service) Passkeys(ctx context.Context) ([]*Passkey, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("auth.Passkeys", core.Unauthenticated, "")
	}
	return s.store.Passkeys(ctx, p.PersonID)
}

// RemovePasskey removes one of the principal's own keys. The session must be
// strong: a stolen password must not be enough to remove a factor. Refusals
// are journaled too.
func (s *Service) RemovePasskey(ctx context.Context, id string) error {
	const op = "auth.RemovePasskey"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return core.E(op, core.Unauthenticated, "")
	}
	e := s.passkeyEntry(p, "auth.passkey.remove", "", "")
	if p.AuthLevel < 2 {
		e.Result, e.Reason = journal.Refused, "session not strong"
		s.journalPasskey(ctx, e)
		return core.E(op, core.Permission, "prove your second factor in this session before removing a key")
	}
	return s.store.RemovePasskey(ctx, p.PersonID, id, e)
}

// mayAddPasskey returns the principal's keys when it may add one: fewer
// than MaxPasskeys, and a strong session when the person already has a
// second factor.
func (s *Service) mayAddPasskey(ctx context.Context, op string, p core.Principal) ([]*Passkey, error) {
	keys, err := s.store.Passkeys(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	if len(keys) >= MaxPasskeys {
		return nil, core.E(op, core.Invalid, "this account already has %d keys: remove one first", MaxPasskeys)
	}
	if p.AuthLevel >= 2 {
		return keys, nil
	}
	hasTOTP, _, err := s.HasTOTP(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	if hasTOTP || len(keys) > 0 {
		return nil, core.E(op, core.Permission, "prove your second factor in this session before adding a key")
	}
	return keys, nil
}

func (s *Service) passkeyUser(ctx context.Context, p core.Principal) (PasskeyUser, error) {
	person, err := s.store.FindPerson(ctx, p.PersonID)
	if err != nil {
		return PasskeyUser{}, err
	}
	display := person.DisplayName
	if display == "" {
		display = strings.TrimSpace(person.GivenName + " " + person.FamilyName)
	}
	if display == "" {
		display = person.Login
	}
	return PasskeyUser{ID: []byte(person.ID), Name: person.Login, DisplayName: display}, nil
}

// passkeyThrottled refuses (and journals) a step-up while the person's
// second-factor failures are throttled.
func (s *Service) passkeyThrottled(ctx context.Context, op string, p core.Principal) error {
	if wait, _ := s.guard.blocked(secondFactorKey(p), p.Source, s.clock.Now()); wait > 0 {
		s.journalPasskey(ctx, s.refusedStepUp(p, "throttled"))
		return core.E(op, core.TooMany, "too many failed checks: wait %s before trying again", wait.Round(time.Second))
	}
	return nil
}

// secondFactorKey is the throttling key of a person's second-factor
// failures, shared with authenticator-app codes (see StepUp).
func secondFactorKey(p core.Principal) string { return "otp:" + p.Login }

func (s *Service) passkeyEntry(p core.Principal, action, method, reason string) journal.Entry {
	e := s.entry(p, action, reason)
	e.Attributes = nil
	if method != "" {
		e.Attributes = []string{"method:" + method}
	}
	return e
}

func (s *Service) refusedStepUp(p core.Principal, reason string) journal.Entry {
	e := s.passkeyEntry(p, "auth.stepup", "hwk", reason)
	e.Result = journal.Refused
	return e
}

func (s *Service) journalPasskey(ctx context.Context, e journal.Entry) {
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a key check failed", "err", err, "action", e.Action)
	}
}

// passkeyName checks the person's label for a key: 1 to 64 characters,
// no control characters.
func passkeyName(op, name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return "", core.E(op, core.Invalid, "give the key a name")
	}
	if utf8.RuneCountInString(name) > 64 {
		return "", core.E(op, core.Invalid, "a key name has at most 64 characters")
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", core.E(op, core.Invalid, "a key name cannot contain control characters")
	}
	return name, nil
}
