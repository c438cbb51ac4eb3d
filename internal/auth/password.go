// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters. The defaults are OWASP's minimum
// (m = 19 MiB, t = 2, p = 1); deployments may raise them in the config, and
// hashes made with other parameters are transparently re-made at the next
// successful login.
type Params struct {
	MemoryKiB uint32 `toml:"memory_kib"`
	Time      uint32 `toml:"time"`
	Threads   uint8  `toml:"threads"`
}

// DefaultParams are the OWASP minimum for argon2id.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Validate refuses parameters below the OWASP minimum.
func (p Params) Validate() error {
	var errs []error
	if p.MemoryKiB < 19*1024 {
		errs = append(errs, fmt.Errorf("auth.argon2.memory_kib must be at least 19456 (19 MiB), got %d", p.MemoryKiB))
	}
	if p.Time < 2 && p.MemoryKiB < 46*1024 {
		errs = append(errs, fmt.Errorf("auth.argon2.time must be at least 2 with less than 46 MiB of memory, got %d", p.Time))
	}
	if p.Threads < 1 {
		errs = append(errs, errors.New("auth.argon2.threads must be at least 1"))
	}
	return errors.Join(errs...)
}

const saltLen, keyLen = 16, 32

// HashPassword returns the PHC string of an argon2id hash of pw with a fresh
// random salt: $argon2id$v=19$m=…,t=…,p=…$salt$hash. Only this string is ever
// stored (INF-AUT-10): it cannot be turned back into the password.
func HashPassword(pw string, p Params) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ErrMalformedHash is returned for a stored hash Préau cannot read.
var ErrMalformedHash = errors.New("malformed password hash")

// VerifyPassword checks pw against a PHC argon2id string in constant time.
// rehash is true when the hash was made with parameters other than want.
func VerifyPassword(encoded, pw string, want Params) (ok, rehash bool, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 || p.MemoryKiB > 4<<20 || p.Time > 100 {
		return false, false, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return false, false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != want, nil
}
