// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"github.com/restic/chunker"

	"github.com/preau/preau/internal/core"
)

// ID is a 32-byte identifier: a keyed chunk ID or the SHA-256 of a stored
// object (pack, index, snapshot, key file).
type ID [32]byte

// String returns the lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex digits, for display.
func (id ID) Short() string { return id.String()[:8] }

// IsZero reports whether id is all zeroes.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses 64 hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, core.E("backup.ParseID", core.Invalid, fmt.Sprintf("%q is not a 64-digit identifier", s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, core.E("backup.ParseID", core.Invalid, fmt.Sprintf("%q is not a hexadecimal identifier", s))
	}
	return id, nil
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	*id = v
	return err
}

// Hash returns the SHA-256 of b: the name of a stored object.
func Hash(b []byte) ID { return sha256.Sum256(b) }

// Secret is what the server needs to deduplicate: the key of the chunk IDs
// and the chunker polynomial. It reveals only whether two chunks are equal
// (and lets whoever holds it confirm a guessed chunk), never their content.
// The server keeps it in its data folder; each repository keeps it wrapped
// for the recipients, so that a restore on a fresh machine recovers it.
type Secret struct {
	IDKey      []byte      `json:"id_key"`     // 32 bytes
	Polynomial chunker.Pol `json:"polynomial"` // irreducible, degree 53
}

// NewSecret draws a fresh dedup key and chunker polynomial.
func NewSecret() (*Secret, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	pol, err := chunker.RandomPolynomial()
	if err != nil {
		return nil, err
	}
	return &Secret{IDKey: k, Polynomial: pol}, nil
}

// ParseSecret decodes a secret written by Marshal.
func ParseSecret(b []byte) (*Secret, error) {
	var s Secret
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, core.E("backup.ParseSecret", core.Invalid, "the dedup key file is not valid JSON: "+err.Error())
	}
	if len(s.IDKey) != 32 || !s.Polynomial.Irreducible() || s.Polynomial.Deg() != 53 {
		return nil, core.E("backup.ParseSecret", core.Invalid, "the dedup key file holds no 32-byte key and degree-53 irreducible polynomial")
	}
	return &s, nil
}

// Marshal encodes the secret as JSON.
func (s *Secret) Marshal() []byte {
	b, _ := json.Marshal(s)
	return b
}

// ChunkID is the keyed identifier of a chunk's plaintext: HMAC-SHA-256
// under the dedup key.
func (s *Secret) ChunkID(data []byte) ID {
	m := hmac.New(sha256.New, s.IDKey)
	m.Write(data)
	var id ID
	m.Sum(id[:0])
	return id
}

// RecoveryKey is a freshly generated deployment recovery key: the private
// part is shown once to the data controller and never stored by the server.
type RecoveryKey struct {
	Identity  string // AGE-SECRET-KEY-1…
	Recipient string // age1…
}

// NewRecoveryKey generates an X25519 age key pair.
func NewRecoveryKey() (*RecoveryKey, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &RecoveryKey{Identity: id.String(), Recipient: id.Recipient().String()}, nil
}

// Sheet is the printable text of the recovery key.
func (k *RecoveryKey) Sheet(deployment string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Préau — clé de secours des sauvegardes / backup recovery key\n")
	fmt.Fprintf(&b, "# Déploiement / deployment: %s\n", deployment)
	fmt.Fprintf(&b, "# Clé publique / public key: %s\n", k.Recipient)
	fmt.Fprintf(&b, "# Conservez cette feuille hors du serveur (coffre du responsable de traitement).\n")
	fmt.Fprintf(&b, "# Sans elle, aucune sauvegarde ne peut être restaurée. Préau ne la garde pas.\n")
	fmt.Fprintf(&b, "# Keep this sheet away from the server. Without it no backup can be restored.\n")
	fmt.Fprintf(&b, "%s\n", k.Identity)
	return b.String()
}

// ParseRecipients reads age recipients (age1…), one a line; # starts a comment.
func ParseRecipients(r io.Reader) ([]age.Recipient, error) {
	rs, err := age.ParseRecipients(r)
	if err != nil {
		return nil, core.E("backup.ParseRecipients", core.Invalid, "reading the backup recipients: "+err.Error())
	}
	return rs, nil
}

// ParseIdentities reads age identities (a recovery key file).
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(r)
	if err != nil {
		return nil, core.E("backup.ParseIdentities", core.Invalid, "reading the recovery key: "+err.Error())
	}
	return ids, nil
}

// wrap encrypts b for the recipients with age.
func wrap(b []byte, rs []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unwrap decrypts an age file with the identities.
func unwrap(b []byte, ids []age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(b), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, 1<<20))
}
