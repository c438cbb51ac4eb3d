// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package journal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Checkpoint records, before a retention purge deletes the oldest entries of
// a chain, the sequence and hash of the last deleted entry, signed with the
// deployment's Ed25519 key. The remaining chain verifies from it.
type Checkpoint struct {
	Chain     string
	Seq       int64     // sequence of the last purged entry
	Hash      string    // its hash
	At        time.Time // when the purge ran
	KeyID     string    // KeyID of the signing key
	Signature string    // base64 Ed25519 signature over SignedBytes
}

// SignedBytes returns what the signature covers.
func (c *Checkpoint) SignedBytes() []byte {
	return fmt.Appendf(nil, "preau-journal-checkpoint-v1\n%s\n%d\n%s\n%d", c.Chain, c.Seq, c.Hash, c.At.UTC().UnixMicro())
}

// Sign signs c with key.
func (c *Checkpoint) Sign(key ed25519.PrivateKey) {
	c.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.SignedBytes()))
}

// Verify checks c's signature with pub.
func (c *Checkpoint) Verify(pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return fmt.Errorf("checkpoint %s/%d: signature is not base64", c.Chain, c.Seq)
	}
	if c.KeyID != KeyID(pub) {
		return fmt.Errorf("checkpoint %s/%d: signed by key %s, not by this deployment's key %s", c.Chain, c.Seq, c.KeyID, KeyID(pub))
	}
	if !ed25519.Verify(pub, c.SignedBytes(), sig) {
		return fmt.Errorf("checkpoint %s/%d: bad signature", c.Chain, c.Seq)
	}
	return nil
}

// KeyID returns a short identifier of a public key: the first 8 bytes of its
// SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}
