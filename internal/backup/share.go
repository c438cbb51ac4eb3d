// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"filippo.io/age"

	"github.com/preau/preau/internal/core"
)

// The two-person procedure (MCO-SVG-11): the recovery key is split into two
// shares, for instance one for the head of the establishment and one for
// the technician. Each share alone is random noise; a restore needs both.
// A share is one line:
//
//	PREAU-RECOVERY-SHARE-1 <n>/2 <age recipient> <base64>
//
// where share 1 is random bytes R and share 2 is the identity XOR R; the
// recipient (public) lets a reader check that two shares belong together.
const sharePrefix = "PREAU-RECOVERY-SHARE-1"

// SplitKey splits a recovery key into two shares.
func (k *RecoveryKey) SplitKey() (first, second string, err error) {
	id := []byte(k.Identity)
	r := make([]byte, len(id))
	if _, err := rand.Read(r); err != nil {
		return "", "", err
	}
	x := make([]byte, len(id))
	for i := range id {
		x[i] = id[i] ^ r[i]
	}
	line := func(n int, b []byte) string {
		return fmt.Sprintf("%s %d/2 %s %s\n", sharePrefix, n, k.Recipient, base64.StdEncoding.EncodeToString(b))
	}
	return line(1, r), line(2, x), nil
}

// IsShare reports whether text holds a key share.
func IsShare(text string) bool { return strings.Contains(text, sharePrefix+" ") }

func parseShare(text string) (n int, recipient string, b []byte, err error) {
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != sharePrefix {
			continue
		}
		if f[1] != "1/2" && f[1] != "2/2" {
			break
		}
		b, err := base64.StdEncoding.DecodeString(f[3])
		if err != nil {
			break
		}
		return int(f[1][0] - '0'), f[2], b, nil
	}
	return 0, "", nil, core.E("backup.CombineShares", core.Invalid, "not a Préau recovery key share")
}

// CombineShares rebuilds the recovery key from its two shares, in any
// order, and checks it against the recipient they name.
func CombineShares(a, b string) ([]age.Identity, error) {
	const op = "backup.CombineShares"
	na, ra, ba, err := parseShare(a)
	if err != nil {
		return nil, err
	}
	nb, rb, bb, err := parseShare(b)
	if err != nil {
		return nil, err
	}
	if na == nb || ra != rb || len(ba) != len(bb) {
		return nil, core.E(op, core.Invalid, "these two shares are not the two halves of one recovery key")
	}
	id := make([]byte, len(ba))
	for i := range ba {
		id[i] = ba[i] ^ bb[i]
	}
	x, err := age.ParseX25519Identity(string(id))
	if err != nil || x.Recipient().String() != ra {
		return nil, core.E(op, core.Invalid, "these two shares do not rebuild the recovery key of %s", ra)
	}
	return []age.Identity{x}, nil
}
