// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// TOTP returns a person's TOTP secret, core.NotFound if none.
func (db *DB) TOTP(ctx context.Context, personID string) (*auth.TOTPSecret, error) {
	var t auth.TOTPSecret
	var c int64
	err := db.r.QueryRowContext(ctx, `SELECT person_id, secret, confirmed, created_at, last_step FROM totp_secrets
		WHERE person_id = $1`, personID).Scan(&t.PersonID, &t.Secret, &t.Confirmed, &c, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.TOTP", core.NotFound, "no authenticator app is set up")
	}
	if err != nil {
		return nil, db.classify("store.TOTP", err)
	}
	t.CreatedAt = fromMicros(c)
	return &t, nil
}

// PutTOTP stores a new, unconfirmed secret in place of an unconfirmed one.
// A confirmed secret is replaced only after RemoveTOTP.
func (db *DB) PutTOTP(ctx context.Context, t *auth.TOTPSecret) error {
	return db.write(ctx, "store.PutTOTP", func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM totp_secrets WHERE person_id = $1 AND NOT confirmed`, t.PersonID); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO totp_secrets (person_id, secret, confirmed, created_at, last_step)
			VALUES ($1, $2, FALSE, $3, 0)`, t.PersonID, t.Secret, micros(t.CreatedAt))
		if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
			return core.E("store.PutTOTP", core.Conflict, "an authenticator app is already set up; remove it first")
		}
		return err
	})
}

// ConfirmTOTP marks the secret confirmed, records the step used, replaces
// the recovery codes (hashes), upgrades the session that confirmed, and
// journals e, in one transaction.
func (db *DB) ConfirmTOTP(ctx context.Context, personID string, step int64, codeHashes []string,
	up auth.SessionUpgrade, e journal.Entry) error {
	return db.write(ctx, "store.ConfirmTOTP", func(tx *Tx) error {
		res, err := tx.exec(`UPDATE totp_secrets SET confirmed = TRUE, last_step = $1 WHERE person_id = $2 AND NOT confirmed`,
			step, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.ConfirmTOTP", core.Conflict, "no authenticator app is waiting for confirmation")
		}
		if _, err := tx.exec(`DELETE FROM recovery_codes WHERE person_id = $1`, personID); err != nil {
			return err
		}
		for _, h := range codeHashes {
			if _, err := tx.exec(`INSERT INTO recovery_codes (person_id, hash) VALUES ($1, $2)`, personID, h); err != nil {
				return err
			}
		}
		if err := tx.upgradeSession(up); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// StepUp consumes a second factor and upgrades the session, journaling e,
// in one transaction: a TOTP step later than the last one accepted
// (step > 0), or an unused recovery code (codeHash != ""). core.Conflict
// when the code was already used.
func (db *DB) StepUp(ctx context.Context, personID string, step int64, codeHash string, up auth.SessionUpgrade,
	e journal.Entry) error {
	return db.write(ctx, "store.StepUp", func(tx *Tx) error {
		var res sql.Result
		var err error
		if codeHash != "" {
			res, err = tx.exec(`UPDATE recovery_codes SET used_at = $1 WHERE person_id = $2 AND hash = $3 AND used_at IS NULL`,
				micros(tx.now), personID, codeHash)
		} else {
			res, err = tx.exec(`UPDATE totp_secrets SET last_step = $1 WHERE person_id = $2 AND confirmed AND last_step < $1`,
				step, personID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.StepUp", core.Conflict, "this code was already used")
		}
		if err := tx.upgradeSession(up); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// RecoveryCodesLeft counts a person's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, personID string) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL`,
		personID).Scan(&n)
	return n, db.classify("store.RecoveryCodesLeft", err)
}

// RemoveTOTP removes a person's authenticator app and recovery codes and
// journals e.
func (db *DB) RemoveTOTP(ctx context.Context, personID string, e journal.Entry) error {
	return db.write(ctx, "store.RemoveTOTP", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM totp_secrets WHERE person_id = $1`, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.RemoveTOTP", core.NotFound, "no authenticator app is set up")
		}
		if _, err := tx.exec(`DELETE FROM recovery_codes WHERE person_id = $1`, personID); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// upgradeSession records a new proof on a session.
func (tx *Tx) upgradeSession(up auth.SessionUpgrade) error {
	if up.SessionID == "" {
		return nil
	}
	_, err := tx.exec(`UPDATE sessions SET auth_level = $1, methods = $2, auth_time = $3 WHERE id = $4`,
		up.Level, strings.Join(up.Methods, " "), micros(up.At), up.SessionID)
	return err
}
