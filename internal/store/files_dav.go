// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/preau/preau/internal/core"
)

// credentialStampQuery runs on every WebDAV request (a hot read).
const credentialStampQuery = `SELECT p.id, p.state, p.must_change, COALESCE(c.hash, '') FROM people p
	LEFT JOIN credentials c ON c.person_id = p.id WHERE p.login = $1`

// CredentialStamp returns a short fingerprint of what makes a person's
// password valid — the stored hash, the account's state and the
// must-change flag — for protocols that cache verified credentials
// (WebDAV): every node reads it with one primary-key query per request, and
// a password change or reset, a disabled account or a forced change alters
// it at once. It holds no hash (a SHA-256 of one). A core.NotFound error
// when no person has the login.
func (db *DB) CredentialStamp(ctx context.Context, login string) (string, error) {
	const op = "store.CredentialStamp"
	var id, state, hash string
	var must bool
	err := db.readRow(ctx, credentialStampQuery, strings.ToLower(strings.TrimSpace(login))).Scan(&id, &state, &must, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", core.E(op, core.NotFound, "no such person")
	}
	if err != nil {
		return "", db.classify(op, err)
	}
	m := "0"
	if must {
		m = "1"
	}
	sum := sha256.Sum256([]byte(id + "\x00" + state + "\x00" + m + "\x00" + hash))
	return hex.EncodeToString(sum[:16]), nil
}
