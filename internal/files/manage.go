// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// node resolves a path to a stored node the caller reaches at level min.
func (s *Service) node(ctx context.Context, op, vpath string, min Level) (*caller, *target, *Node, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, nil, nil, err
	}
	n := t.node()
	if n == nil {
		return nil, nil, nil, core.E(op, core.Invalid, "%s is not a stored file or folder", t.vpath)
	}
	if t.glass && min > Read || t.level < min {
		return nil, nil, nil, core.E(op, core.Permission, "you may not do this on %s", t.vpath)
	}
	return c, t, n, nil
}

// Share gives (or, with level None, takes back) access to a folder for a
// person (by login) or a group (by code, in the space's establishment).
// Private folders cannot be shared (UTI-ESF-6); the grantee must belong to
// the space's establishment. The change is journaled.
func (s *Service) Share(ctx context.Context, vpath, granteeKind, grantee string, level Level) error {
	const op = "files.Share"
	c, t, n, err := s.node(ctx, op, vpath, Manage)
	if err != nil {
		return err
	}
	if t.private {
		return &core.Error{Op: op, Kind: core.Permission, Err: ErrPrivate,
			Msg: "a private (PERSONNEL/PRIVÉ) folder cannot be shared"}
	}
	if !n.Dir {
		return core.E(op, core.Invalid, "only folders can be shared")
	}
	a := ACL{Node: n.ID, GranteeKind: granteeKind, Level: level, GrantedBy: c.p.PersonID, GrantedAt: s.clock.Now()}
	name := grantee
	switch granteeKind {
	case GranteePerson:
		p, err := s.dir.FindPersonByLogin(ctx, grantee)
		if err != nil || !slices.Contains(p.Establishments, t.space.Establishment) {
			return core.E(op, core.Invalid, "no person with login %q in this establishment", grantee)
		}
		if p.ID == c.p.PersonID {
			return core.E(op, core.Invalid, "you already reach your own folder")
		}
		a.GranteeID = p.ID
	case GranteeGroup:
		id, err := s.groupByCode(ctx, t.space.Establishment, grantee)
		if err != nil {
			return err
		}
		a.GranteeID = id
	default:
		return core.E(op, core.Invalid, "share with a person or a group")
	}
	action := "files.share"
	if level == None {
		action = "files.unshare"
	}
	e := journal.Entry{Chain: t.space.Establishment, Action: action, TargetType: "folder", TargetID: n.ID,
		TargetName: t.space.Name + t.spacePath(),
		Attributes: []string{granteeKind + ":" + name, "level:" + level.String()}}
	return s.st.SetACL(ctx, a, e)
}

func (s *Service) groupByCode(ctx context.Context, est, code string) (string, error) {
	type finder interface {
		FindGroupByCode(ctx context.Context, est, code string) (string, error)
	}
	if f, ok := s.st.(finder); ok {
		id, err := f.FindGroupByCode(ctx, est, code)
		if err != nil {
			return "", core.E("files.Share", core.Invalid, "no group with code %q in this establishment", code)
		}
		return id, nil
	}
	return "", core.E("files.Share", core.Invalid, "groups cannot be found")
}

// ShareInfo is one ACL as the owner sees it.
type ShareInfo struct {
	ACL
	Grantee string // login or group code
}

// Shares lists the ACLs on a folder (for its managers).
func (s *Service) Shares(ctx context.Context, vpath string) ([]ACL, error) {
	_, _, n, err := s.node(ctx, "files.Shares", vpath, Manage)
	if err != nil {
		return nil, err
	}
	return s.st.FindACLs(ctx, []string{n.ID})
}

// Versions lists the previous contents of a file, newest first.
func (s *Service) Versions(ctx context.Context, vpath string) ([]*Version, error) {
	_, _, n, err := s.node(ctx, "files.Versions", vpath, Read)
	if err != nil {
		return nil, err
	}
	vs, err := s.st.FindVersions(ctx, n.ID)
	slices.SortFunc(vs, func(a, b *Version) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return vs, err
}

// RestoreVersion makes a previous content current again; the current one
// becomes a version.
func (s *Service) RestoreVersion(ctx context.Context, vpath, versionID string) error {
	c, t, n, err := s.node(ctx, "files.RestoreVersion", vpath, Write)
	if err != nil {
		return err
	}
	return s.st.RestoreVersion(ctx, n.ID, versionID, c.p.PersonID, s.limit(ctx, t.space))
}

// OpenVersion reads a previous content.
func (s *Service) OpenVersion(ctx context.Context, vpath, versionID string) (*Version, error) {
	vs, err := s.Versions(ctx, vpath)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.ID == versionID {
			return v, nil
		}
	}
	return nil, core.E("files.OpenVersion", core.NotFound, "no such version")
}

// TrashItem is a trashed file or folder.
type TrashItem struct {
	Node
	Path string // where it was, in its space
}

// Trash lists the trash of the space vpath lies in (its managers only).
func (s *Service) Trash(ctx context.Context, vpath string) ([]TrashItem, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, err
	}
	if t.space == nil || t.glass || t.level < Write || t.base > 0 {
		return nil, core.E("files.Trash", core.Permission, "you may not see this trash")
	}
	ns, err := s.st.FindTrash(ctx, t.space.ID)
	if err != nil {
		return nil, err
	}
	var out []TrashItem
	for _, n := range ns {
		chain, err := s.ancestry(ctx, n)
		if err != nil {
			continue
		}
		p := ""
		priv := false
		for _, x := range chain {
			p += "/" + x.Name
			priv = priv || s.isPrivate(x.Name)
		}
		if priv && t.space.Kind != Personal && n.CreatedBy != c.p.PersonID {
			continue
		}
		out = append(out, TrashItem{Node: *n, Path: p})
	}
	return out, nil
}

// RestoreTrash takes an item out of the trash, back where it was (with a
// new name if that one is taken).
func (s *Service) RestoreTrash(ctx context.Context, vpath, nodeID string) error {
	items, err := s.Trash(ctx, vpath)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.ID != nodeID {
			continue
		}
		name := it.Name
		for i := 1; i < 100; i++ {
			if _, err := s.st.FindChild(ctx, it.Space, it.Parent, name); core.IsKind(err, core.NotFound) {
				break
			}
			name = fmt.Sprintf("%s (%d)", it.Name, i)
		}
		return s.st.RestoreNode(ctx, it.ID, name)
	}
	return core.E("files.RestoreTrash", core.NotFound, "no such item in the trash")
}

// PurgeTrash deletes items of the trash for good (all of them when ids is
// empty), freeing their space.
func (s *Service) PurgeTrash(ctx context.Context, vpath string, ids ...string) (int, error) {
	items, err := s.Trash(ctx, vpath)
	if err != nil {
		return 0, err
	}
	var del []string
	for _, it := range items {
		if len(ids) == 0 || slices.Contains(ids, it.ID) {
			del = append(del, it.ID)
		}
	}
	if len(del) == 0 {
		return 0, nil
	}
	freed, err := s.st.PurgeNodes(ctx, del, nil)
	if err != nil {
		return 0, err
	}
	s.free(ctx, freed)
	return len(del), nil
}

// Maintain applies the retention policy: trash older than TrashAge is
// purged, versions beyond the count or older than VersionAge are deleted.
// A periodic job runs it; it returns how many items it removed.
func (s *Service) Maintain(ctx context.Context) (int, error) {
	now := s.clock.Now()
	old, err := s.st.ExpiredTrash(ctx, now.Add(-s.cfg.TrashAge))
	if err != nil {
		return 0, err
	}
	total := 0
	if len(old) > 0 {
		ids := make([]string, len(old))
		for i, n := range old {
			ids[i] = n.ID
		}
		e := &journal.Entry{Chain: journal.DeploymentChain, Action: "files.trash.purge", TargetType: "trash",
			Attributes: []string{fmt.Sprintf("items:%d", len(ids))}, Reason: "trash retention"}
		freed, err := s.st.PurgeNodes(ctx, ids, e)
		if err != nil {
			return 0, err
		}
		s.free(ctx, freed)
		total += len(ids)
	}
	freed, err := s.st.PruneVersions(ctx, s.keepVersions(), now.Add(-s.cfg.VersionAge))
	if err != nil {
		return total, err
	}
	s.free(ctx, freed)
	total += len(freed)
	// The personal spaces of people deleted after their grace period go
	// with them (their data is not kept beyond the account).
	orphans, err := s.st.FindOrphanSpaces(ctx)
	if err != nil {
		return total, err
	}
	for _, id := range orphans {
		sp, err := s.st.FindSpace(ctx, id)
		if err != nil {
			continue
		}
		e := journal.Entry{Chain: sp.Establishment, Action: "files.space.delete", TargetType: "space", TargetID: id,
			TargetName: string(sp.Kind) + ":" + sp.Name, Reason: "owner deleted",
			Attributes: []string{fmt.Sprintf("bytes:%d", sp.Used)}}
		keys, err := s.st.DeleteSpace(ctx, id, e)
		if err != nil {
			return total, err
		}
		s.free(ctx, keys)
		total++
	}
	return total, nil
}

// warnQuota sends a portal notice, and a mail when the person has an
// address and a relay is configured, when a personal space's usage crosses
// 80% or 95% of its quota (UTI-ESF-4): once per threshold crossing (the
// store decides in one transaction on the space's locked row, so two
// uploads, even on two nodes, cannot both tell it), and rearms below. The
// common case, no change of level, costs no write.
func (s *Service) warnQuota(ctx context.Context, spaceID string) {
	sp, err := s.st.FindSpace(ctx, spaceID)
	if err != nil {
		return
	}
	s.warnQuotaAt(ctx, sp, s.limit(ctx, sp), sp.Used, sp.Warned)
}

// warnQuotaAt is warnQuota when the usage and warning level are known (an
// upload's commit returns them): nothing is read when the level holds.
func (s *Service) warnQuotaAt(ctx context.Context, sp *Space, limit, used int64, warned int) {
	if limit <= 0 || WarnLevel(used, limit) == warned {
		return
	}
	n, err := s.st.SetSpaceWarned(ctx, sp.ID, limit)
	if err != nil {
		s.log.Warn("recording a quota warning failed", "space", sp.ID, "err", err)
		return
	}
	if n != nil && s.mail != nil {
		// After the upload's answer is on its way: a slow relay must not
		// hold the client.
		go s.mail.MailNotice(context.WithoutCancel(ctx), *n)
	}
}

// WarnLevel is the quota warning level of a usage: 0, 80 or 95 (percent).
func WarnLevel(used, limit int64) int {
	if limit <= 0 {
		return 0
	}
	switch pct := used * 100 / limit; {
	case pct >= 95:
		return 95
	case pct >= 80:
		return 80
	}
	return 0
}

// QuotaNotice is the notice (portal and mail) of a personal space crossing
// a warning level.
func QuotaNotice(personID string, used, limit int64, level int) *Notice {
	pct := int(used * 100 / limit)
	return &Notice{PersonID: personID,
		Subject: fmt.Sprintf("Espace de stockage rempli à %d %%", level),
		Body: fmt.Sprintf("Votre espace personnel utilise %s sur %s (%d %%). Videz la corbeille ou supprimez "+
			"d'anciens fichiers et versions pour libérer de la place. / Your personal space uses %s of %s (%d%%).",
			HumanSize(used), HumanSize(limit), pct, HumanSize(used), HumanSize(limit), pct)}
}

// SetQuota overrides the quota of a person's personal space (by login) or
// of a group space (by group ID), for example for a pupil who works in
// French Sign Language video (UTI-ESF-4); 0 returns to the default. Heads,
// technical admins and operators of the establishment only; journaled.
func (s *Service) SetQuota(ctx context.Context, kind SpaceKind, owner string, bytes int64) (*Space, error) {
	const op = "files.SetQuota"
	p := core.PrincipalFromContext(ctx)
	var sp *Space
	var err error
	switch kind {
	case Personal:
		person, ferr := s.dir.FindPersonByLogin(ctx, owner)
		if ferr != nil {
			return nil, core.E(op, core.NotFound, "no person with login %q", owner)
		}
		sp, err = s.homeSpace(ctx, person.ID, person.Login, person.MainEstablishment())
	case GroupSpace:
		sp, err = s.st.FindSpaceByOwner(ctx, GroupSpace, owner)
	default:
		return nil, core.E(op, core.Invalid, "quotas are set on personal or group spaces")
	}
	if err != nil {
		return nil, err
	}
	if !p.CanAdminister(sp.Establishment) {
		return nil, core.E(op, core.Permission, "only the establishment's administrators set quotas")
	}
	if bytes < 0 {
		return nil, core.E(op, core.Invalid, "a quota cannot be negative")
	}
	e := journal.Entry{Chain: sp.Establishment, Action: "files.quota.set", TargetType: "space", TargetID: sp.ID,
		TargetName: string(sp.Kind) + ":" + sp.Name, Attributes: []string{fmt.Sprintf("quota:%d", bytes)}}
	if err := s.st.SetSpaceQuota(ctx, sp.ID, bytes, e); err != nil {
		return nil, err
	}
	sp.Quota = bytes
	return sp, nil
}

// AdminSpaces lists, for an administrator of the establishment, each
// space's sizes, quota and file counts: never a name inside a personal
// space (UTI-ESF-8).
func (s *Service) AdminSpaces(ctx context.Context, est string) ([]SpaceStats, error) {
	p := core.PrincipalFromContext(ctx)
	if est == "" && !p.Operator() || est != "" && !p.CanAdminister(est) {
		return nil, core.E("files.AdminSpaces", core.Permission, "only administrators see the spaces")
	}
	st, err := s.st.FindSpaces(ctx, est)
	if err != nil {
		return nil, err
	}
	for i := range st {
		if st[i].Quota == 0 {
			st[i].Quota = s.limit(ctx, &st[i].Space)
		}
	}
	return st, nil
}

var _ = time.Now

// QuotaKeys are the kinds of default quota an establishment sets: one per
// profile, then group spaces and the establishment documents space.
var QuotaKeys = []string{string(core.ProfilePupil), string(core.ProfileTeacher), string(core.ProfileStaff),
	string(core.ProfileHead), string(core.ProfileAdmin), "group", "establishment"}

func quotaSetting(key string) string { return "files.quota." + key }

// defaultQuota is the establishment's default for key, or def.
func (s *Service) defaultQuota(ctx context.Context, est, key string, def int64) int64 {
	if s.set == nil || est == "" {
		return def
	}
	v, err := s.set.Setting(ctx, est, quotaSetting(key))
	if err != nil {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return def
	}
	return n
}

// DefaultQuotas returns the quotas the spaces of establishment est get when
// none is set for the space: per profile for personal spaces, for group
// spaces and for the documents space, in bytes (0: unlimited). The charter
// annex states them (UTI-ESF-7).
func (s *Service) DefaultQuotas(ctx context.Context, est string) (personal map[core.Profile]int64, group, documents int64) {
	personal = map[core.Profile]int64{}
	for _, p := range core.Profiles {
		def := s.cfg.DefaultQuota
		if q, ok := s.cfg.Quotas[p]; ok {
			def = q
		}
		personal[p] = s.defaultQuota(ctx, est, string(p), def)
	}
	return personal, s.defaultQuota(ctx, est, "group", s.cfg.GroupQuota), s.defaultQuota(ctx, est, "establishment", s.cfg.EstablishmentQuota)
}

// SetDefaultQuota sets an establishment's default quota for a profile, for
// group spaces ("group") or for its documents space ("establishment"), in
// bytes (0: unlimited). Heads, technical admins and operators only; the
// change is journaled (settings.put).
func (s *Service) SetDefaultQuota(ctx context.Context, est, key string, bytes int64) error {
	const op = "files.SetDefaultQuota"
	if !slices.Contains(QuotaKeys, key) {
		return core.E(op, core.Invalid, "unknown quota kind %q (%s)", key, strings.Join(QuotaKeys, ", "))
	}
	if bytes < 0 {
		return core.E(op, core.Invalid, "a quota cannot be negative")
	}
	if !core.PrincipalFromContext(ctx).CanAdminister(est) {
		return core.E(op, core.Permission, "only the establishment's administrators set quotas")
	}
	if s.set == nil {
		return core.E(op, core.Unavailable, "settings are not available")
	}
	return s.set.PutSetting(ctx, est, quotaSetting(key), strconv.FormatInt(bytes, 10))
}
