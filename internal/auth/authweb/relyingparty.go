// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
)

// relyingParty implements auth.RelyingParty with go-webauthn for the host
// name of one request. It lives in the web layer because the library
// depends on net/http, which the auth domain must not (layering test).
type relyingParty struct {
	wa *webauthn.WebAuthn
	id string // relying-party ID: the host name, without port
}

// passkeyRecord is the credential record kept in auth.Passkey.Data: the
// library's record and the relying-party ID it belongs to. A key answers
// only for the host name it was added under, so a deployment reached under
// several names checks, at each, only the keys added there.
type passkeyRecord struct {
	RPID       string              `json:"rpId"`
	Credential webauthn.Credential `json:"credential"`
}

// rpHost returns the host name of r without its port, in lower case.
func rpHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// passkeysAvailable reports whether WebAuthn can work at the host the
// browser used: it needs a domain name, never an IP address.
func passkeysAvailable(r *http.Request) bool {
	h := rpHost(r)
	return h != "" && net.ParseIP(h) == nil
}

// newRelyingParty returns the relying party of r's host: RP ID the host
// name, origin "https://" + Host. core.Invalid on an IP address.
func newRelyingParty(r *http.Request) (*relyingParty, error) {
	const op = "authweb.newRelyingParty"
	if !passkeysAvailable(r) {
		return nil, core.E(op, core.Invalid, "auth.passkey.error.ip_host")
	}
	id := rpHost(r)
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          id,
		RPDisplayName: auth.Issuer,
		RPOrigins:     []string{"https://" + strings.ToLower(r.Host)},
		// No attestation: which model of key a person uses is none of the
		// school's business, and a passkey vendor's certificate proves
		// nothing more about the person.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			// Discoverable where the key can (passkeys), so a future
			// passwordless login needs no new enrolment; security keys
			// with few slots may decline.
			ResidentKey: protocol.ResidentKeyRequirementPreferred,
			// The key is the factor: a PIN or a fingerprint on the
			// device adds to it but is not required (a plain security
			// key has neither).
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{ // the browser's prompt; the store enforces the TTL
			Login:        webauthn.TimeoutConfig{Timeout: auth.PasskeyCeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: auth.PasskeyCeremonyTTL},
		},
	})
	if err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	return &relyingParty{wa: wa, id: id}, nil
}

// waUser is the account as go-webauthn sees it.
type waUser struct {
	auth.PasskeyUser
	creds []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.ID }
func (u *waUser) WebAuthnName() string                       { return u.Name }
func (u *waUser) WebAuthnDisplayName() string                { return u.DisplayName }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// user returns u with those of keys that belong to this relying party.
func (rp *relyingParty) user(u auth.PasskeyUser, keys []*auth.Passkey) (*waUser, error) {
	wu := &waUser{PasskeyUser: u}
	for _, k := range keys {
		var rec passkeyRecord
		if err := json.Unmarshal(k.Data, &rec); err != nil {
			return nil, core.Wrap("authweb.relyingParty", core.Internal, err)
		}
		if rec.RPID == rp.id {
			wu.creds = append(wu.creds, rec.Credential)
		}
	}
	return wu, nil
}

func (rp *relyingParty) BeginRegistration(u auth.PasskeyUser, existing []*auth.Passkey) ([]byte, []byte, error) {
	wu, err := rp.user(u, existing)
	if err != nil {
		return nil, nil, err
	}
	// Excluding the keys already added stops the browser from adding the
	// same authenticator twice.
	creation, session, err := rp.wa.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()))
	if err != nil {
		return nil, nil, core.Wrap("authweb.BeginRegistration", core.Internal, err)
	}
	return marshalCeremony(creation, session)
}

func (rp *relyingParty) FinishRegistration(u auth.PasskeyUser, state, response []byte) (*auth.PasskeyProof, error) {
	const op = "authweb.FinishRegistration"
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, rejected(op, "malformed answer", err)
	}
	cred, err := rp.wa.CreateCredential(&waUser{PasskeyUser: u}, session, parsed)
	if err != nil {
		return nil, rejected(op, "key not verified", err)
	}
	return rp.proof(cred)
}

func (rp *relyingParty) BeginLogin(u auth.PasskeyUser, keys []*auth.Passkey) ([]byte, []byte, error) {
	wu, err := rp.user(u, keys)
	if err != nil {
		return nil, nil, err
	}
	if len(wu.creds) == 0 {
		return nil, nil, core.E("authweb.BeginLogin", core.Invalid, "auth.passkey.other_host")
	}
	assertion, session, err := rp.wa.BeginLogin(wu)
	if err != nil {
		return nil, nil, core.Wrap("authweb.BeginLogin", core.Internal, err)
	}
	return marshalCeremony(assertion, session)
}

func (rp *relyingParty) FinishLogin(u auth.PasskeyUser, keys []*auth.Passkey, state, response []byte) (*auth.PasskeyProof, error) {
	const op = "authweb.FinishLogin"
	wu, err := rp.user(u, keys)
	if err != nil {
		return nil, err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, rejected(op, "malformed answer", err)
	}
	cred, err := rp.wa.ValidateLogin(wu, session, parsed)
	var unknown *protocol.ErrorUnknownCredential
	switch {
	case errors.As(err, &unknown):
		return nil, rejected(op, "unknown key", err)
	case err != nil:
		return nil, rejected(op, "signature not verified", err)
	case cred.Authenticator.CloneWarning:
		// The key's signature counter did not move forward: two copies of
		// its private key may exist.
		return nil, rejected(op, "signature counter went backwards (cloned key?)", nil)
	}
	return rp.proof(cred)
}

func (rp *relyingParty) proof(cred *webauthn.Credential) (*auth.PasskeyProof, error) {
	data, err := json.Marshal(passkeyRecord{RPID: rp.id, Credential: *cred})
	if err != nil {
		return nil, core.Wrap("authweb.relyingParty", core.Internal, err)
	}
	return &auth.PasskeyProof{ID: base64.RawURLEncoding.EncodeToString(cred.ID), Data: data,
		Synced: cred.Flags.BackupEligible}, nil
}

// rejected is a response that does not verify: kind Invalid, with reason as
// its message (it goes to the journal) and the library's error as cause.
func rejected(op, reason string, cause error) error {
	var pe *protocol.Error
	if errors.As(cause, &pe) && pe.DevInfo != "" {
		cause = errors.Join(cause, errors.New(pe.DevInfo))
	}
	return &core.Error{Op: op, Kind: core.Invalid, Msg: reason, Err: cause}
}

// marshalCeremony returns the options for the browser and the state to keep.
func marshalCeremony(options any, session *webauthn.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, core.Wrap("authweb.marshalCeremony", core.Internal, err)
	}
	var s bytes.Buffer
	if err := json.NewEncoder(&s).Encode(session); err != nil {
		return nil, nil, core.Wrap("authweb.marshalCeremony", core.Internal, err)
	}
	return o, bytes.TrimSpace(s.Bytes()), nil
}
