// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

const settingQuery = `SELECT value FROM settings WHERE scope = $1 AND name = $2`

// Setting returns a stored setting, or core.NotFound. Scope is a service
// name or an establishment ID.
func (db *DB) Setting(ctx context.Context, scope, name string) (string, error) {
	var v string
	err := db.readRow(ctx, settingQuery, scope, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", core.E("store.Setting", core.NotFound, "no setting %s/%s", scope, name)
	}
	return v, db.classify("store.Setting", err)
}

// PutSetting stores a setting and journals the change (the name, never the
// value, which may be secret).
func (db *DB) PutSetting(ctx context.Context, scope, name, value string) error {
	return db.write(ctx, "store.PutSetting", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO settings (scope, name, value, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			scope, name, value, micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Action: "settings.put", TargetType: "setting", TargetName: scope + "/" + name,
			Attributes: []string{name}})
	})
}

// SwapSetting replaces a setting only if it still holds old (or, when
// existed is false, only if it is still unset), and journals e in the same
// transaction. It reports false, changing nothing, when another writer came
// first: the caller reads again and retries. It lets two administrators
// edit parts of one JSON setting at once without losing either change.
func (db *DB) SwapSetting(ctx context.Context, scope, name, old string, existed bool, value string, e journal.Entry) (bool, error) {
	swapped := false
	err := db.write(ctx, "store.SwapSetting", func(tx *Tx) error {
		var res sql.Result
		var err error
		if existed {
			res, err = tx.exec(`UPDATE settings SET value = $1, updated_at = $2 WHERE scope = $3 AND name = $4 AND value = $5`,
				value, micros(tx.now), scope, name, old)
		} else {
			res, err = tx.exec(`INSERT INTO settings (scope, name, value, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (scope, name) DO NOTHING`, scope, name, value, micros(tx.now))
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		swapped = true
		if e.TargetType == "" {
			e.TargetType, e.TargetName = "setting", scope+"/"+name
		}
		return tx.journal(e)
	})
	return swapped, err
}

// Secret returns the deployment secret called name: 32 random bytes made
// on first use. Concurrent first uses on several nodes agree, since the
// insert keeps the first row and every caller reads it back.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	const op = "store.Secret"
	if v, err := db.Setting(ctx, "secret", name); err == nil {
		return hex.DecodeString(v)
	} else if !core.IsKind(err, core.NotFound) {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, core.E(op, core.Internal, "no randomness: %v", err)
	}
	err := db.write(ctx, op, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO settings (scope, name, value, updated_at) VALUES ('secret', $1, $2, $3)
			ON CONFLICT (scope, name) DO NOTHING`, name, hex.EncodeToString(b), micros(tx.now))
		return err
	})
	if err != nil {
		return nil, err
	}
	v, err := db.Setting(ctx, "secret", name)
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
