// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// CreateGroups inserts groups in one transaction, journaling each.
func (db *DB) CreateGroups(ctx context.Context, groups []*directory.Group) error {
	return db.write(ctx, "store.CreateGroups", func(tx *Tx) error { return tx.createGroups(groups) })
}

func (tx *Tx) createGroups(groups []*directory.Group) error {
	if len(groups) == 0 {
		return nil
	}
	tx.directoryChanged()
	first, err := tx.next("gid_number", int64(len(groups)))
	if err != nil {
		return err
	}
	if tx.groups == nil {
		tx.groups = map[string][2]string{}
	}
	for i, g := range groups {
		g.CreatedAt, g.UpdatedAt, g.GIDNumber = tx.now, tx.now, first+int64(i)
		tx.groups[g.ID] = [2]string{g.Establishment, g.Code}
		if _, err := tx.exec(`INSERT INTO school_groups (id, establishment_id, code, name, kind, school_year, level,
			created_at, updated_at, gid_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
			g.ID, g.Establishment, g.Code, g.Name, string(g.Kind), g.SchoolYear, g.Level, micros(tx.now), g.GIDNumber); err != nil {
			return err
		}
		if err := tx.journal(journal.Entry{Chain: g.Establishment, Action: "directory.group.create",
			TargetType: "group", TargetID: g.ID, TargetName: g.Code,
			Attributes: []string{"code", "name", "kind", "schoolYear", "level"}}); err != nil {
			return err
		}
	}
	return nil
}

// FindGroups lists groups with member and owner counts, by code.
func (db *DB) FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.ID != "" {
		where = append(where, "g.id = "+arg(f.ID))
	}
	if f.Establishment != "" {
		where = append(where, "g.establishment_id = "+arg(f.Establishment))
	}
	if f.Kind != "" {
		where = append(where, "g.kind = "+arg(f.Kind))
	}
	if f.SchoolYear != 0 {
		where = append(where, "g.school_year = "+arg(f.SchoolYear))
	}
	if f.Code != "" {
		where = append(where, "g.code = "+arg(f.Code))
	}
	counts := `(SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id AND m.role = 'member'),
		(SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id AND m.role = 'owner')`
	if f.NoCounts {
		counts = `0, 0`
	}
	q := `SELECT g.id, g.establishment_id, g.code, g.name, g.kind, g.school_year, g.level, g.created_at, g.updated_at,
		COALESCE(g.gid_number, 0), ` + counts + ` FROM school_groups g`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := db.r.QueryContext(ctx, q+" ORDER BY g.code", args...)
	if err != nil {
		return nil, db.classify("store.FindGroups", err)
	}
	defer rows.Close()
	var out []*directory.Group
	for rows.Next() {
		var g directory.Group
		var kind string
		var created, updated int64
		if err := rows.Scan(&g.ID, &g.Establishment, &g.Code, &g.Name, &kind, &g.SchoolYear, &g.Level,
			&created, &updated, &g.GIDNumber, &g.Members, &g.Owners); err != nil {
			return nil, db.classify("store.FindGroups", err)
		}
		g.Kind = directory.GroupKind(kind)
		g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &g)
	}
	return out, db.classify("store.FindGroups", rows.Err())
}

// AddMembers adds memberships (existing ones are left alone), journaling each
// new one on its group's establishment chain.
func (db *DB) AddMembers(ctx context.Context, ms []directory.Membership) error {
	return db.write(ctx, "store.AddMembers", func(tx *Tx) error { return tx.addMembers(ms) })
}

func (tx *Tx) addMembers(ms []directory.Membership) error {
	// A person this transaction created has no membership but those this
	// function adds: while it has not run before in the transaction, a
	// statement whose memberships are all of such people is a plain
	// INSERT of the ones not asked before, all new, and needs no RETURNING
	// (an import's hundred thousand). Other statements insert with ON
	// CONFLICT DO NOTHING and return what they added.
	fastOK := !tx.membersAdded
	tx.membersAdded = true
	type chunk struct {
		ms   []directory.Membership   // asked, in order
		wait func() ([]string, error) // what the statement added; nil: add
		add  []directory.Membership   // the new ones, in order, when wait is nil
	}
	var chunks []chunk
	freshAsked := map[directory.Membership]bool{} // of people this transaction created
	for start := 0; start < len(ms); start += rowsPerInsert {
		c := chunk{ms: ms[start:min(start+rowsPerInsert, len(ms))]}
		fast := fastOK
		for _, m := range c.ms {
			if _, created := tx.logins[m.PersonID]; !created {
				fast = false
				break
			}
		}
		values := make([]any, 0, 3*len(c.ms))
		for _, m := range c.ms {
			if fast && freshAsked[m] {
				continue // asked before: added by an earlier statement
			}
			if _, created := tx.logins[m.PersonID]; created {
				freshAsked[m] = true
			}
			if fast {
				c.add = append(c.add, m)
			}
			values = append(values, m.GroupID, m.PersonID, m.Role)
		}
		if fast {
			if err := tx.insertRows("memberships", membershipColumns, "", values); err != nil {
				return err
			}
		} else {
			waits, err := tx.insertRowsReturning("memberships", membershipColumns,
				`ON CONFLICT (group_id, person_id, role) DO NOTHING RETURNING group_id || ' ' || person_id || ' ' || role`, values)
			if err != nil {
				return err
			}
			c.wait = waits[0] // one statement: at most rowsPerInsert rows
		}
		chunks = append(chunks, c)
	}
	// Journaled in the order asked, once each: a membership asked twice
	// was added once (by the first statement asking for it). Each
	// statement's new memberships are journaled while the next statements
	// run.
	for _, c := range chunks {
		add := c.add
		if c.wait != nil {
			added, err := c.wait()
			if err != nil {
				return err
			}
			isNew := make(map[string]bool, len(added))
			for _, k := range added {
				isNew[k] = true
			}
			add = nil
			for _, m := range c.ms {
				if k := m.GroupID + " " + m.PersonID + " " + m.Role; isNew[k] {
					delete(isNew, k)
					add = append(add, m)
				}
			}
		}
		if len(add) > 0 {
			tx.directoryChanged()
		}
		for _, m := range add {
			est, code, login, err := tx.memberNames(m)
			if err != nil {
				return err
			}
			if err := tx.journal(journal.Entry{Chain: est, Action: "directory.group.member.add", TargetType: "group",
				TargetID: m.GroupID, TargetName: code, Attributes: []string{m.Role + ":" + login}}); err != nil {
				return err
			}
		}
	}
	return nil
}

var membershipColumns = []string{"group_id", "person_id", "role"}

// memberNames returns the names a membership's journal entry carries,
// from what this transaction created or else from the database.
func (tx *Tx) memberNames(m directory.Membership) (est, code, login string, err error) {
	g, gok := tx.groups[m.GroupID]
	login, lok := tx.logins[m.PersonID]
	if gok && lok {
		return g[0], g[1], login, nil
	}
	err = tx.queryRow(`SELECT g.establishment_id, g.code, p.login FROM school_groups g, people p
		WHERE g.id = $1 AND p.id = $2`, m.GroupID, m.PersonID).Scan(&est, &code, &login)
	if err == sql.ErrNoRows {
		return "", "", "", core.E("store.AddMembers", core.NotFound, "no such group or person")
	}
	return est, code, login, err
}

// RemoveMember removes a membership and journals it.
func (db *DB) RemoveMember(ctx context.Context, m directory.Membership) error {
	return db.write(ctx, "store.RemoveMember", func(tx *Tx) error { return tx.removeMember(m) })
}

func (tx *Tx) removeMember(m directory.Membership) error {
	var est, code, login string
	err := tx.queryRow(`SELECT g.establishment_id, g.code, p.login FROM memberships m
		JOIN school_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE m.group_id = $1 AND m.person_id = $2 AND m.role = $3`, m.GroupID, m.PersonID, m.Role).Scan(&est, &code, &login)
	if err == sql.ErrNoRows {
		return core.E("store.RemoveMember", core.NotFound, "no such membership")
	}
	if err != nil {
		return err
	}
	tx.directoryChanged()
	if _, err := tx.exec(`DELETE FROM memberships WHERE group_id = $1 AND person_id = $2 AND role = $3`,
		m.GroupID, m.PersonID, m.Role); err != nil {
		return err
	}
	return tx.journal(journal.Entry{Chain: est, Action: "directory.group.member.remove", TargetType: "group",
		TargetID: m.GroupID, TargetName: code, Attributes: []string{m.Role + ":" + login}})
}

// FindMemberships lists the groups of a person with the role.
func (db *DB) FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT g.id, g.establishment_id, g.code, g.name, g.kind, g.school_year, g.level, m.role
		FROM memberships m JOIN school_groups g ON g.id = m.group_id WHERE m.person_id = $1 ORDER BY g.code, m.role`, personID)
	if err != nil {
		return nil, db.classify("store.FindMemberships", err)
	}
	defer rows.Close()
	var out []directory.PersonGroup
	for rows.Next() {
		var g directory.Group
		var kind, role string
		if err := rows.Scan(&g.ID, &g.Establishment, &g.Code, &g.Name, &kind, &g.SchoolYear, &g.Level, &role); err != nil {
			return nil, err
		}
		g.Kind = directory.GroupKind(kind)
		out = append(out, directory.PersonGroup{Group: &g, Role: role})
	}
	return out, rows.Err()
}

// CreateGrant inserts a grant to a person or a group and journals it.
func (db *DB) CreateGrant(ctx context.Context, g *directory.Grant) error {
	return db.write(ctx, "store.CreateGrant", func(tx *Tx) error {
		g.CreatedAt = tx.now
		var est sql.NullString
		if g.Establishment != "" {
			est = sql.NullString{String: g.Establishment, Valid: true}
		}
		e := journal.Entry{Chain: grantChain(g.Establishment), Action: "directory.grant.create",
			Attributes: grantAttributes(string(g.Right), g.Zone)}
		if g.GroupID != "" {
			if _, err := tx.exec(`INSERT INTO group_grants (id, establishment_id, group_id, right_name, zone, granted_by,
				valid_from, valid_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				g.ID, g.Establishment, g.GroupID, string(g.Right), g.Zone, g.GrantedBy, micros(g.From),
				nullMicros(g.Until), micros(tx.now)); err != nil {
				return err
			}
			e.TargetType, e.TargetID = "group", g.GroupID
			if err := tx.queryRow(`SELECT name FROM school_groups WHERE id = $1`, g.GroupID).Scan(&e.TargetName); err != nil {
				return err
			}
			return tx.journal(e)
		}
		if _, err := tx.exec(`INSERT INTO grants (id, establishment_id, person_id, right_name, zone, granted_by, valid_from,
			valid_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			g.ID, est, g.PersonID, string(g.Right), g.Zone, g.GrantedBy, micros(g.From), nullMicros(g.Until), micros(tx.now)); err != nil {
			return err
		}
		e.TargetType, e.TargetID = "person", g.PersonID
		if err := tx.queryRow(`SELECT login FROM people WHERE id = $1`, g.PersonID).Scan(&e.TargetName); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// grantAttributes names a grant in the journal: its right, and its zone
// when it has one.
func grantAttributes(right, zone string) []string {
	if zone == "" {
		return []string{right}
	}
	return []string{right, "zone:" + zone}
}

// grantChain is the chain of a grant: its establishment's, or the
// deployment's for operator grants.
func grantChain(est string) string {
	if est == "" {
		return journal.DeploymentChain
	}
	return est
}

// RevokeGrant ends a grant (to a person or a group) now and journals it.
func (db *DB) RevokeGrant(ctx context.Context, id string) error {
	return db.write(ctx, "store.RevokeGrant", func(tx *Tx) error {
		var est sql.NullString
		var right, zone string
		e := journal.Entry{Action: "directory.grant.revoke", TargetType: "person"}
		table := "grants"
		err := tx.queryRow(`SELECT g.establishment_id, g.right_name, g.zone, g.person_id, p.login FROM grants g
			JOIN people p ON p.id = g.person_id WHERE g.id = $1 AND g.revoked_at IS NULL`, id).Scan(
			&est, &right, &zone, &e.TargetID, &e.TargetName)
		if err == sql.ErrNoRows {
			table, e.TargetType = "group_grants", "group"
			err = tx.queryRow(`SELECT g.establishment_id, g.right_name, g.zone, g.group_id, sg.name FROM group_grants g
				JOIN school_groups sg ON sg.id = g.group_id WHERE g.id = $1 AND g.revoked_at IS NULL`, id).Scan(
				&est, &right, &zone, &e.TargetID, &e.TargetName)
		}
		if err == sql.ErrNoRows {
			return core.E("store.RevokeGrant", core.NotFound, "no such grant in force")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE `+table+` SET revoked_at = $1 WHERE id = $2`, micros(tx.now), id); err != nil {
			return err
		}
		e.Chain, e.Attributes = grantChain(est.String), grantAttributes(right, zone)
		return tx.journal(e)
	})
}

// grantColumns are read by scanGrants, from grants or group_grants (g) with
// the target's name.
const grantColumns = `g.id, COALESCE(g.establishment_id, ''), %s, g.right_name, g.zone, g.granted_by,
	g.valid_from, g.valid_until, g.revoked_at, g.created_at, %s`

// grantsQuery lists a person's grants: their own and those of their groups.
var grantsQuery = `SELECT ` + fmt.Sprintf(grantColumns, "g.person_id, ''", "''") + ` FROM grants g WHERE g.person_id = $1
	UNION ALL
	SELECT ` + fmt.Sprintf(grantColumns, "'', g.group_id", "sg.name") + ` FROM memberships m
	JOIN group_grants g ON g.group_id = m.group_id JOIN school_groups sg ON sg.id = g.group_id
	WHERE m.person_id = $1 ORDER BY 10`

// FindGrants lists every grant of a person, in force or not: given to them
// (GroupID empty) or to a group they belong to (GroupID and TargetName
// set). A group grant appears once per role the person has in the group.
func (db *DB) FindGrants(ctx context.Context, personID string) ([]*directory.Grant, error) {
	return db.findGrants(ctx, "store.FindGrants", grantsQuery, personID)
}

// FindGroupGrants lists every grant given to a group, in force or not.
func (db *DB) FindGroupGrants(ctx context.Context, groupID string) ([]*directory.Grant, error) {
	return db.findGrants(ctx, "store.FindGroupGrants", `SELECT `+fmt.Sprintf(grantColumns, "'', g.group_id", "sg.name")+`
		FROM group_grants g JOIN school_groups sg ON sg.id = g.group_id WHERE g.group_id = $1 ORDER BY g.created_at`, groupID)
}

// FindEstablishmentGrants lists the grants of an establishment, to people
// and to groups, in force or not, newest first, with the target's name.
func (db *DB) FindEstablishmentGrants(ctx context.Context, est string) ([]*directory.Grant, error) {
	return db.findGrants(ctx, "store.FindEstablishmentGrants", `SELECT `+fmt.Sprintf(grantColumns, "g.person_id, ''", "p.login")+`
		FROM grants g JOIN people p ON p.id = g.person_id WHERE g.establishment_id = $1
		UNION ALL
		SELECT `+fmt.Sprintf(grantColumns, "'', g.group_id", "sg.name")+`
		FROM group_grants g JOIN school_groups sg ON sg.id = g.group_id WHERE g.establishment_id = $1
		ORDER BY 10 DESC`, est)
}

func (db *DB) findGrants(ctx context.Context, op, query string, arg string) ([]*directory.Grant, error) {
	rows, err := db.readRows(ctx, query, arg)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*directory.Grant
	for rows.Next() {
		var g directory.Grant
		var right string
		var from, created int64
		var until, revoked sql.NullInt64
		if err := rows.Scan(&g.ID, &g.Establishment, &g.PersonID, &g.GroupID, &right, &g.Zone, &g.GrantedBy,
			&from, &until, &revoked, &created, &g.TargetName); err != nil {
			return nil, db.classify(op, err)
		}
		g.Right = core.Right(right)
		g.From, g.Until, g.RevokedAt, g.CreatedAt = fromMicros(from), fromNullMicros(until), fromNullMicros(revoked), fromMicros(created)
		out = append(out, &g)
	}
	return out, rows.Err()
}

// PutZone creates or replaces a zone by (establishment, name).
func (db *DB) PutZone(ctx context.Context, z *directory.Zone) error {
	return db.write(ctx, "store.PutZone", func(tx *Tx) error {
		z.UpdatedAt = tx.now
		cidrs := make([]string, len(z.CIDRs))
		for i, c := range z.CIDRs {
			cidrs[i] = c.String()
		}
		if _, err := tx.exec(`INSERT INTO zones (id, establishment_id, name, cidrs, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (establishment_id, name) DO UPDATE SET cidrs = excluded.cidrs, updated_at = excluded.updated_at`,
			z.ID, z.Establishment, z.Name, jsonList(cidrs), micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: z.Establishment, Action: "directory.zone.put", TargetType: "zone",
			TargetName: z.Name, Attributes: []string{"cidrs"}})
	})
}

// DeleteZone deletes the zone of an establishment by name and journals it.
// Grants bound to that zone stay, and hold from nowhere until a zone of
// that name exists again: a deleted range never widens a right.
func (db *DB) DeleteZone(ctx context.Context, establishment, name string) error {
	return db.write(ctx, "store.DeleteZone", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM zones WHERE establishment_id = $1 AND name = $2`, establishment, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.DeleteZone", core.NotFound, "no zone %q in this establishment", name)
		}
		return tx.journal(journal.Entry{Chain: establishment, Action: "directory.zone.delete", TargetType: "zone",
			TargetName: name})
	})
}

// FindZones lists the zones of an establishment ("" for all).
func (db *DB) FindZones(ctx context.Context, establishment string) ([]*directory.Zone, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, establishment_id, name, cidrs, updated_at FROM zones
		WHERE $1 = '' OR establishment_id = $1 ORDER BY establishment_id, name`, establishment)
	if err != nil {
		return nil, db.classify("store.FindZones", err)
	}
	defer rows.Close()
	var out []*directory.Zone
	for rows.Next() {
		var z directory.Zone
		var cidrs string
		var updated int64
		if err := rows.Scan(&z.ID, &z.Establishment, &z.Name, &cidrs, &updated); err != nil {
			return nil, err
		}
		var list []string
		_ = json.Unmarshal([]byte(cidrs), &list)
		for _, c := range list {
			if p, err := netip.ParsePrefix(c); err == nil {
				z.CIDRs = append(z.CIDRs, p)
			}
		}
		z.UpdatedAt = fromMicros(updated)
		out = append(out, &z)
	}
	return out, rows.Err()
}

// AllMemberships lists every membership of the deployment, for the LDAP
// view's snapshot.
func (db *DB) AllMemberships(ctx context.Context) ([]directory.Membership, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT group_id, person_id, role FROM memberships ORDER BY group_id, person_id`)
	if err != nil {
		return nil, db.classify("store.AllMemberships", err)
	}
	defer rows.Close()
	var out []directory.Membership
	for rows.Next() {
		var m directory.Membership
		if err := rows.Scan(&m.GroupID, &m.PersonID, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
