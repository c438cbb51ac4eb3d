// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
)

// Key lifetimes. A key signs for keySignFor, then stays in the JWKS for
// keyPublishAfter so that tokens it signed still verify; nodes reload the
// key set every keyReload, so a key made by one node reaches the others.
const (
	keySignFor      = 90 * 24 * time.Hour
	keyPublishAfter = 7 * 24 * time.Hour
	keyReload       = 5 * time.Minute
)

// keyRing holds the provider's ES256 signing keys, shared by every node
// through the store.
type keyRing struct {
	st    sso.Store
	clock core.Clock
	log   *slog.Logger

	mu     sync.Mutex
	loaded time.Time
	keys   []*signingKey // newest first
}

type signingKey struct {
	kid       string
	priv      *ecdsa.PrivateKey
	signer    jose.Signer
	retiresAt time.Time
}

// signer returns the signer of the newest key still signing, making and
// storing a new key when none is.
func (k *keyRing) signer(ctx context.Context) (jose.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.clock.Now()
	if now.Sub(k.loaded) > keyReload || len(k.keys) == 0 || !now.Before(k.keys[0].retiresAt) {
		if err := k.load(ctx); err != nil {
			return nil, err
		}
	}
	if len(k.keys) == 0 || !now.Before(k.keys[0].retiresAt) {
		if err := k.rotate(ctx, now); err != nil {
			return nil, err
		}
	}
	return k.keys[0].signer, nil
}

// public returns the JWKS: the public halves of every published key.
func (k *keyRing) public(ctx context.Context) (jose.JSONWebKeySet, error) {
	if _, err := k.signer(ctx); err != nil { // makes the first key
		return jose.JSONWebKeySet{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, sk := range k.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: sk.priv.Public(), KeyID: sk.kid,
			Algorithm: string(jose.ES256), Use: "sig"})
	}
	return set, nil
}

func (k *keyRing) load(ctx context.Context) error {
	stored, err := k.st.SigningKeys(ctx)
	if err != nil {
		return err
	}
	keys := make([]*signingKey, 0, len(stored))
	for _, s := range stored {
		sk, err := parseKey(s)
		if err != nil {
			k.log.Error("unreadable OIDC signing key skipped", "kid", s.KID, "err", err)
			continue
		}
		keys = append(keys, sk)
	}
	k.keys, k.loaded = keys, k.clock.Now()
	return nil
}

func (k *keyRing) rotate(ctx context.Context, now time.Time) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	s := &sso.SigningKey{KID: core.NewID(), Alg: string(jose.ES256),
		PrivatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		CreatedAt:  now, RetiresAt: now.Add(keySignFor), ExpiresAt: now.Add(keySignFor + keyPublishAfter)}
	if err := k.st.AddSigningKey(ctx, s); err != nil {
		return err
	}
	k.log.Info("new OIDC signing key", "kid", s.KID)
	return k.load(ctx)
}

func parseKey(s *sso.SigningKey) (*signingKey, error) {
	if s.Alg != string(jose.ES256) {
		return nil, fmt.Errorf("algorithm %s is not supported", s.Alg)
	}
	b, _ := pem.Decode([]byte(s.PrivatePEM))
	if b == nil {
		return nil, errors.New("not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256,
		Key: jose.JSONWebKey{Key: priv, KeyID: s.KID}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return &signingKey{kid: s.KID, priv: priv, signer: signer, retiresAt: s.RetiresAt}, nil
}

// verifyKey returns the public key with this kid, for tokens Préau signed.
func (k *keyRing) verifyKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	set, err := k.public(ctx)
	if err != nil {
		return nil, err
	}
	for _, jk := range set.Key(kid) {
		if pub, ok := jk.Key.(*ecdsa.PublicKey); ok {
			return pub, nil
		}
	}
	return nil, errors.New("unknown key")
}
