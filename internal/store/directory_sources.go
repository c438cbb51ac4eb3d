// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"encoding/json"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// sourceSetting is the setting, in the establishment's scope, that holds
// its declaration of a generic source.
func sourceSetting(source string) string { return "directory.source." + source }

// DeclareSource records (or replaces) an establishment's declaration of a
// generic directory source and journals it in the same transaction, with
// the justification as the reason (INF-ANN-7). d must be valid (see
// SourceDeclaration.Validate); RecordedBy and RecordedAt are set here.
func (db *DB) DeclareSource(ctx context.Context, estID string, d directory.SourceDeclaration) error {
	const op = "store.DeclareSource"
	if err := d.Validate(); err != nil {
		return err
	}
	return db.write(ctx, op, func(tx *Tx) error {
		d.RecordedBy, d.RecordedAt = tx.p.Login, tx.now
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO settings (scope, name, value, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			estID, sourceSetting(d.Source), string(v), micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: estID, Action: "directory.source.declare", TargetType: "establishment",
			TargetID: estID, Attributes: []string{"source:" + d.Source, "reference:" + d.Reference}, Reason: d.Justification})
	})
}

// SourceDeclaration returns an establishment's declaration of a generic
// source, core.NotFound when there is none.
func (db *DB) SourceDeclaration(ctx context.Context, estID, source string) (directory.SourceDeclaration, error) {
	var d directory.SourceDeclaration
	v, err := db.Setting(ctx, estID, sourceSetting(source))
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(v), &d); err != nil {
		return d, core.E("store.SourceDeclaration", core.Internal, "the declaration of %s is unreadable: %v", source, err)
	}
	return d, nil
}
