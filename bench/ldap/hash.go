// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
)

// slapdPassword returns the userPassword value slapd gets for an argon2id
// PHC string made by Préau (auth.HashPassword). slapd's argon2 module reads
// the same PHC format under the {ARGON2} scheme, so both servers verify the
// very same hash. Without the module, slapd gets {SSHA} of the clear
// password (when known; a random one otherwise), and the output says so.
func slapdPassword(phc, clear string, argon2 bool) string {
	if argon2 {
		return "{ARGON2}" + phc
	}
	if clear == "" {
		clear = randomSecret()
	}
	return ssha(clear)
}

// ssha returns the {SSHA} (salted SHA-1) form of pw, slapd's default scheme.
func ssha(pw string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	h := sha1.New()
	h.Write([]byte(pw))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...))
}

// randomSecret returns a random password nobody knows.
func randomSecret() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
