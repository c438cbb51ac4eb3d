// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
)

func TestRPHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host, want string
		available  bool
	}{
		{"ent.clg.test", "ent.clg.test", true},
		{"ENT.Clg.Test:8443", "ent.clg.test", true},
		{"localhost:44321", "localhost", true},
		{"192.0.2.10:443", "192.0.2.10", false},
		{"192.0.2.10", "192.0.2.10", false},
		{"[2001:db8::1]:443", "2001:db8::1", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = tc.host
			if got := rpHost(r); got != tc.want {
				t.Errorf("rpHost = %q, want %q", got, tc.want)
			}
			if got := passkeysAvailable(r); got != tc.available {
				t.Errorf("passkeysAvailable = %v, want %v", got, tc.available)
			}
			if _, err := newRelyingParty(r); (err == nil) != tc.available {
				t.Errorf("newRelyingParty: %v", err)
			}
		})
	}
}

// softKey is a software authenticator: an ES256 key that answers
// WebAuthn ceremonies as a browser and a security key would, with "none"
// attestation.
type softKey struct {
	t      *testing.T
	priv   *ecdsa.PrivateKey
	id     []byte
	count  uint32
	synced bool // backup eligible: a passkey the keychain copies between devices
}

func newSoftKey(t *testing.T, synced bool) *softKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{t: t, priv: priv, id: id, synced: synced}
}

var b64 = base64.RawURLEncoding

func (k *softKey) authData(rpID string, attested bool) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags := byte(0x01 | 0x04) // user present, user verified
	if k.synced {
		flags |= 0x08 | 0x10 // backup eligible, backed up
	}
	if attested {
		flags |= 0x40
	}
	b := append(h[:], flags)
	b = binary.BigEndian.AppendUint32(b, k.count)
	if attested {
		b = append(b, make([]byte, 16)...) // AAGUID: none
		b = binary.BigEndian.AppendUint16(b, uint16(len(k.id)))
		b = append(b, k.id...)
		pub, err := k.priv.PublicKey.ECDH()
		if err != nil {
			k.t.Fatal(err)
		}
		raw := pub.Bytes() // 0x04 || X || Y
		cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
		if err != nil {
			k.t.Fatal(err)
		}
		b = append(b, cose...)
	}
	return b
}

// options reads the challenge and relying party of a ceremony's options.
func (k *softKey) options(options []byte) (challenge, rpID string) {
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		k.t.Fatal(err)
	}
	return o.PublicKey.Challenge, o.PublicKey.RPID + o.PublicKey.RP.ID
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// create answers navigator.credentials.create from origin.
func (k *softKey) create(options []byte, origin string) []byte {
	challenge, rpID := k.options(options)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{},
		"authData": k.authData(rpID, true)})
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id),
		"type": "public-key", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(clientData("webauthn.create", challenge, origin)),
			"attestationObject": b64.EncodeToString(att), "transports": []string{"usb"}}})
	return b
}

// get answers navigator.credentials.get from origin, moving the signature
// counter forward.
func (k *softKey) get(options []byte, origin string) []byte {
	challenge, rpID := k.options(options)
	k.count++
	ad := k.authData(rpID, false)
	cd := clientData("webauthn.get", challenge, origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id),
		"type": "public-key", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig)}})
	return b
}

func relyingPartyAt(t *testing.T, host string) *relyingParty {
	t.Helper()
	r := httptest.NewRequest("POST", "https://"+host+"/", nil)
	rp, err := newRelyingParty(r)
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// CARINE: INF-AUT-2 — the go-webauthn relying party, against a software
// key: a key added at one host name answers there; a replayed answer, an
// answer for another origin (a phishing site relaying the ceremony), and
// a signature counter that goes backwards (a cloned key) are refused; a
// key added under another host name is not offered; the public-key
// record only is kept; a synced passkey is reported as such.
func TestRelyingPartyCeremonies_INF_AUT_2(t *testing.T) {
	t.Parallel()
	const host, origin = "ent.clg.test", "https://ent.clg.test"
	rp := relyingPartyAt(t, host)
	user := auth.PasskeyUser{ID: []byte("01a225ee-5009-7b32-a5de-4a9a6a6639fe"), Name: "sam.tech", DisplayName: "Sam Tech"}
	key := newSoftKey(t, false)

	options, state, err := rp.BeginRegistration(user, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(options), `"attestation":"none"`) || strings.Contains(string(options), "sam.tech@") {
		t.Errorf("creation options: %s", options)
	}
	if _, err := rp.FinishRegistration(user, state, key.create(options, "https://evil.test")); core.KindOf(err) != core.Invalid {
		t.Fatalf("a registration from another origin: %v", err)
	}
	proof, err := rp.FinishRegistration(user, state, key.create(options, origin))
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	if proof.ID != b64.EncodeToString(key.id) || proof.Synced {
		t.Fatalf("proof: %+v", proof)
	}
	var rec passkeyRecord
	if err := json.Unmarshal(proof.Data, &rec); err != nil || rec.RPID != host || len(rec.Credential.PublicKey) == 0 {
		t.Fatalf("stored record: %v %s", err, proof.Data)
	}
	keys := []*auth.Passkey{{ID: proof.ID, Name: "Clé", Data: proof.Data}}

	// A second registration excludes the key already added.
	options, _, err = rp.BeginRegistration(user, keys)
	if err != nil || !strings.Contains(string(options), `"excludeCredentials":[{"type":"public-key","id":"`+proof.ID+`"`) {
		t.Fatalf("exclusions: %v %s", err, options)
	}

	options, state, err = rp.BeginLogin(user, keys)
	if err != nil {
		t.Fatal(err)
	}
	answer := key.get(options, origin)
	used, err := rp.FinishLogin(user, keys, state, answer)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	keys[0].Data = used.Data

	_, state, _ = rp.BeginLogin(user, keys)
	if _, err := rp.FinishLogin(user, keys, state, answer); core.KindOf(err) != core.Invalid {
		t.Fatalf("a replayed answer: %v", err)
	}
	options, state, _ = rp.BeginLogin(user, keys)
	if _, err := rp.FinishLogin(user, keys, state, key.get(options, "https://evil.test")); core.KindOf(err) != core.Invalid {
		t.Fatalf("an answer relayed from another origin: %v", err)
	}
	key.count = 0 // a copy of the key that has signed less
	options, state, _ = rp.BeginLogin(user, keys)
	_, err = rp.FinishLogin(user, keys, state, key.get(options, origin))
	if core.KindOf(err) != core.Invalid || !strings.Contains(core.MessageOf(err), "cloned") {
		t.Fatalf("a signature counter going backwards: %v", err)
	}

	if _, _, err := relyingPartyAt(t, "preau.lan").BeginLogin(user, keys); core.MessageOf(err) != "auth.passkey.other_host" {
		t.Fatalf("a key of another host name: %v", err)
	}

	synced := newSoftKey(t, true)
	options, state, _ = rp.BeginRegistration(user, keys)
	if proof, err := rp.FinishRegistration(user, state, synced.create(options, origin)); err != nil || !proof.Synced {
		t.Fatalf("a synced passkey: %v %+v", err, proof)
	}
}
