// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// SetServiceScope sets or, with the zero scope, clears the LDAP read scope
// of a service account, journals the change and marks the directory changed
// so that every node's LDAP view reloads.
func (db *DB) SetServiceScope(ctx context.Context, p *directory.Person, scope directory.ServiceScope) error {
	return db.write(ctx, "store.SetServiceScope", func(tx *Tx) error { return tx.setServiceScope(p, scope) })
}

// setServiceScope writes the scope of service account p and its journal
// entry in tx.
func (tx *Tx) setServiceScope(p *directory.Person, scope directory.ServiceScope) error {
	profiles := make([]string, len(scope.Profiles))
	for i, pr := range scope.Profiles {
		profiles[i] = string(pr)
	}
	attrs, profs := strings.Join(scope.Attrs, ","), strings.Join(profiles, ",")
	var err error
	if scope.IsZero() {
		_, err = tx.exec(`DELETE FROM service_scopes WHERE person_id = $1`, p.ID)
	} else {
		_, err = tx.exec(`INSERT INTO service_scopes (person_id, attrs, profiles, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (person_id) DO UPDATE SET attrs = excluded.attrs, profiles = excluded.profiles,
			updated_at = excluded.updated_at`, p.ID, attrs, profs, tx.now.UnixMicro())
	}
	if err != nil {
		return err
	}
	tx.directoryChanged()
	reason := "default scope"
	if !scope.IsZero() {
		reason = "attributes: " + orAll(attrs) + "; profiles: " + orAll(profs)
	}
	return tx.journal(journal.Entry{Chain: chainOf(p.Establishments), Action: "directory.service.scope",
		TargetType: "person", TargetID: p.ID, TargetName: p.Login, Reason: reason})
}

func orAll(list string) string {
	if list == "" {
		return "default"
	}
	return list
}

// ServiceScopes returns every service account's scope by person ID.
func (db *DB) ServiceScopes(ctx context.Context) (map[string]directory.ServiceScope, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT person_id, attrs, profiles FROM service_scopes`)
	if err != nil {
		return nil, db.classify("store.ServiceScopes", err)
	}
	defer rows.Close()
	out := map[string]directory.ServiceScope{}
	for rows.Next() {
		var id, attrs, profs string
		if err := rows.Scan(&id, &attrs, &profs); err != nil {
			return nil, err
		}
		var s directory.ServiceScope
		if attrs != "" {
			s.Attrs = strings.Split(attrs, ",")
		}
		for _, pr := range strings.Split(profs, ",") {
			if pr != "" {
				s.Profiles = append(s.Profiles, core.Profile(pr))
			}
		}
		out[id] = s
	}
	return out, db.classify("store.ServiceScopes", rows.Err())
}
