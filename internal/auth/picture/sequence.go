// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"crypto/rand"
	"math/big"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
)

// Sequence is the ordered list of picture IDs a pupil taps.
type Sequence []string

// String is the canonical encoding of a sequence: the picture IDs joined
// by "-". It is what the pupil's secret hashes (with the person ID, see
// hashInput) and what the sign-in pages carry between steps.
func (s Sequence) String() string { return strings.Join(s, "-") }

// maxPosted bounds the posted sequence before it is split, so that a
// hostile form cannot make the parser allocate.
const maxPosted = 200

// ParseSequence parses a posted sequence (the canonical encoding; "" is
// the empty sequence) of at most maxLen pictures, each of which must be in
// grid. A picture may repeat: pupils tap what they tap, and a repeated
// picture simply does not match any generated sequence. Errors are of kind
// core.Invalid; an accepted sequence only holds IDs of grid.
func ParseSequence(raw string, grid []string, maxLen int) (Sequence, error) {
	const op = "picture.ParseSequence"
	if raw == "" {
		return Sequence{}, nil
	}
	if len(raw) > maxPosted {
		return nil, core.E(op, core.Invalid, "the picture sequence is too long")
	}
	parts := strings.Split(raw, "-")
	if len(parts) > maxLen {
		return nil, core.E(op, core.Invalid, "the picture sequence has more than %d pictures", maxLen)
	}
	for _, id := range parts {
		if !slices.Contains(grid, id) {
			return nil, core.E(op, core.Invalid, "the picture sequence names a picture that is not on the grid")
		}
	}
	return Sequence(parts), nil
}

// ParseAvatar checks a posted avatar ID against the avatars of a class
// board. Errors are of kind core.Invalid.
func ParseAvatar(raw string, board []string) (string, error) {
	if len(raw) > 40 || !slices.Contains(board, raw) {
		return "", core.E("picture.ParseAvatar", core.Invalid, "this avatar is not one of the class")
	}
	return raw, nil
}

// randomSequence draws n different pictures of grid in random order.
func randomSequence(grid []string, n int) Sequence {
	pool := slices.Clone(grid)
	out := make(Sequence, 0, n)
	for range n {
		i := randomInt(len(pool))
		out = append(out, pool[i])
		pool = slices.Delete(pool, i, i+1)
	}
	return out
}

// randomInt returns a uniform random int in [0, n).
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return int(v.Int64())
}

// hashInput is what a pupil's secret hashes: the person ID and the
// canonical sequence. The salt of each hash already makes equal sequences
// hash differently; the person ID also binds a stolen hash to its pupil.
func hashInput(personID string, s Sequence) string {
	return "preau-pictures-v1:" + personID + ":" + s.String()
}

// codeAlphabet is the alphabet of class codes: capital letters and digits
// without the ones children and adults confuse (0/O, 1/I/L, 5/S, 2/Z, 8/B,
// U/V).
const codeAlphabet = "ACDEFGHJKMNPQRTWXY34679"

// CodeLength is the length of a class code.
const CodeLength = 6

// newCode returns a random class code.
func newCode() string {
	b := make([]byte, CodeLength)
	for i := range b {
		b[i] = codeAlphabet[randomInt(len(codeAlphabet))]
	}
	return string(b)
}

// ParseCode normalises a class code typed by a person (case, spaces and
// dashes do not matter) and checks it. Errors are of kind core.Invalid.
func ParseCode(raw string) (string, error) {
	if len(raw) > 40 {
		return "", core.E("picture.ParseCode", core.Invalid, "a class code has %d letters or digits", CodeLength)
	}
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(raw))
	if len(c) != CodeLength || strings.Trim(c, codeAlphabet) != "" {
		return "", core.E("picture.ParseCode", core.Invalid, "a class code has %d letters or digits", CodeLength)
	}
	return c, nil
}
