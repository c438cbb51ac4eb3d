// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// GeneratedLength is the length of the passwords GeneratePassword makes:
// enough for the strictest default policy (admin, 14 characters).
const GeneratedLength = 14

// GeneratePassword returns a random initial password of GeneratedLength
// characters from an alphabet without look-alikes (no 0/O, 1/l/I), easy to
// copy from a sheet, with at least one lower-case letter, one upper-case
// letter and one digit, so that it meets every default policy. It is shown
// once and never stored in clear (INF-AUT-10).
func GeneratePassword() string {
	const (
		lower    = "abcdefghjkmnpqrstuvwxyz"
		upper    = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits   = "23456789"
		alphabet = lower + upper + digits
	)
	for {
		b := make([]byte, GeneratedLength)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic("crypto/rand failed: " + err.Error())
			}
			b[i] = alphabet[n.Int64()]
		}
		pw := string(b)
		if strings.ContainsAny(pw, lower) && strings.ContainsAny(pw, upper) && strings.ContainsAny(pw, digits) {
			return pw
		}
	}
}
