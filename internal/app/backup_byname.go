// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// openKeyed opens a repository and unlocks it with the recovery key: what
// reading names (browse, diff, restore by name) needs.
func openKeyed(ctx context.Context, env Env, repo string, remote remoteOpts, keyFiles []string) (*backup.Repo, error) {
	if len(keyFiles) == 0 {
		return nil, usageErr("--key KEYFILE is required: the names in a backup are encrypted with the recovery key")
	}
	be, err := openBackend(repo, remote)
	if err != nil {
		return nil, err
	}
	r, err := backup.Open(ctx, be)
	if err != nil {
		return nil, err
	}
	ids, err := readIdentities(env, keyFiles)
	if err != nil {
		return nil, err
	}
	if err := r.Unlock(ctx, ids); err != nil {
		return nil, err
	}
	return r, nil
}

// snapshotView is a snapshot's listing and catalogue (none for a snapshot
// taken before catalogues).
func snapshotView(ctx context.Context, r *backup.Repo, s *backup.Snapshot) ([]backup.Node, []backup.CatalogEntry, error) {
	nodes, err := r.Listing(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	cat, err := r.Catalog(ctx, s)
	if err != nil && !core.IsKind(err, core.NotFound) {
		return nil, nil, err
	}
	return nodes, cat, nil
}

// backupLs is `preau backup ls SNAPSHOT [PATH]`: a snapshot's tree; under
// files/ the file spaces by name, as their owners see them.
func backupLs(ctx context.Context, env Env, f backupFlags, args []string) error {
	r, err := openKeyed(ctx, env, f.repo, remoteOpts{token: f.token, ca: f.ca, cert: f.clientCert}, f.keyFiles)
	if err != nil {
		return err
	}
	snap, err := r.FindSnapshot(ctx, args[0], time.Time{})
	if err != nil {
		return err
	}
	nodes, cat, err := snapshotView(ctx, r, snap.Snapshot)
	if err != nil {
		return err
	}
	dir := ""
	if len(args) > 1 {
		dir = args[1]
	}
	es, err := backup.Browse(nodes, cat, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "snapshot %s (%s UTC) /%s\n", snap.ID.Short(), snap.Time.Format("2006-01-02 15:04:05"), strings.Trim(dir, "/"))
	tw := tabwriter.NewWriter(env.Stdout, 0, 2, 2, ' ', 0)
	for _, e := range es {
		name, size := e.Name, humanBytes(e.Size)
		if e.Dir {
			name += "/"
			size = fmt.Sprintf("%s in %d files", humanBytes(e.Size), e.Files)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.ModTime.UTC().Format("2006-01-02 15:04"), size, name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return journalLook(ctx, env, f, snap.ID.String(), "browsed /"+strings.Trim(dir, "/")+" with the recovery key (CLI)")
}

// journalLook journals a look at names in a backup (they may be private,
// MCO-SVG-11) in the deployment named by --data or PREAU_DATA; without
// one (a key holder's workstation) there is no journal to write to.
func journalLook(ctx context.Context, env Env, f backupFlags, snap, detail string) error {
	if f.g.data == "" && env.Getenv("PREAU_DATA") == "" {
		return nil
	}
	b, jctx, err := openBackupCLI(ctx, env, f.g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	return b.db.RecordBackupRun(jctx, &backup.Run{Op: "browse", Repo: f.repo, Snapshot: snap, Result: "done", Detail: detail})
}

// backupDiff is `preau backup diff SNAP1 SNAP2`: what was added, removed
// and changed between two snapshots, with sizes.
func backupDiff(ctx context.Context, env Env, f backupFlags, a, b string) error {
	r, err := openKeyed(ctx, env, f.repo, remoteOpts{token: f.token, ca: f.ca, cert: f.clientCert}, f.keyFiles)
	if err != nil {
		return err
	}
	changes, sum, sa, sb, err := diffSnapshots(ctx, r, a, b)
	if err != nil {
		return err
	}
	writeDiff(env.Stdout, changes, sum, sa, sb)
	return journalLook(ctx, env, f, sb.ID.String(), "compared with "+sa.ID.String()+" with the recovery key (CLI)")
}

func diffSnapshots(ctx context.Context, r *backup.Repo, a, b string) ([]backup.Change, backup.DiffSummary, backup.SnapshotRef, backup.SnapshotRef, error) {
	var none backup.DiffSummary
	sa, err := r.FindSnapshot(ctx, a, time.Time{})
	if err != nil {
		return nil, none, sa, sa, err
	}
	sb, err := r.FindSnapshot(ctx, b, time.Time{})
	if err != nil {
		return nil, none, sa, sb, err
	}
	if sb.Time.Before(sa.Time) {
		sa, sb = sb, sa
	}
	na, ca, err := snapshotView(ctx, r, sa.Snapshot)
	if err != nil {
		return nil, none, sa, sb, err
	}
	nb, cb, err := snapshotView(ctx, r, sb.Snapshot)
	if err != nil {
		return nil, none, sa, sb, err
	}
	ch, sum := backup.Diff(na, nb, ca, cb)
	return ch, sum, sa, sb, nil
}

func writeDiff(w io.Writer, changes []backup.Change, s backup.DiffSummary, a, b backup.SnapshotRef) {
	fmt.Fprintf(w, "from %s (%s) to %s (%s): %d added (%s), %d removed (%s), %d changed; growth %s\n",
		a.ID.Short(), a.Time.Format("2006-01-02 15:04"), b.ID.Short(), b.Time.Format("2006-01-02 15:04"),
		s.Added, humanBytes(s.AddedBytes), s.Removed, humanBytes(s.RemovedBytes), s.Changed, signedBytes(s.Growth))
	mark := map[string]string{"added": "+", "removed": "-", "changed": "M"}
	for _, c := range changes {
		switch c.What {
		case "added":
			fmt.Fprintf(w, "%s %s (%s)\n", mark[c.What], c.Path, humanBytes(c.NewSize))
		case "removed":
			fmt.Fprintf(w, "%s %s (%s)\n", mark[c.What], c.Path, humanBytes(c.OldSize))
		default:
			fmt.Fprintf(w, "%s %s (%s → %s)\n", mark[c.What], c.Path, humanBytes(c.OldSize), humanBytes(c.NewSize))
		}
	}
}

func signedBytes(n int64) string {
	if n < 0 {
		return "-" + humanBytes(-n)
	}
	return "+" + humanBytes(n)
}

// nameRestoreRequest is a restore by name (`preau restore --person|--space`).
type nameRestoreRequest struct {
	repo           string
	snap           backup.SnapshotRef
	person, space  string
	path           string
	beside         bool
	reason         string
	progressWriter io.Writer
}

// restoreByName puts one person's space, or a folder or a file of a space,
// back into the live file storage under its names (MCO-SVG-1, UTI-ESF),
// quota respected, and journals it with its legal basis (MCO-SVG-11, -13).
func (b *base) restoreByName(ctx context.Context, r *backup.Repo, req nameRestoreRequest) (*backup.NameResult, error) {
	const op = "restore"
	cat, err := r.Catalog(ctx, req.snap.Snapshot)
	if err != nil {
		return nil, err
	}
	var space backup.CatalogEntry
	switch {
	case req.person != "":
		owner := ""
		if p, err := b.db.FindPersonByLogin(ctx, req.person); err == nil {
			owner = p.ID
		}
		found := false
		for _, e := range cat {
			if e.SpaceKind == string(files.Personal) && ((owner != "" && e.Owner == owner) || strings.EqualFold(e.SpaceName, req.person)) {
				space, found = e, true
				break
			}
		}
		if !found {
			return nil, core.E(op, core.NotFound, "the snapshot of %s holds no personal space of %s", req.snap.Time.Format("2006-01-02 15:04"), req.person)
		}
	default:
		var ok bool
		if space, ok = backup.SpaceByName(cat, req.space); !ok {
			return nil, core.E(op, core.NotFound, "the snapshot holds no file space %q (see preau backup ls SNAPSHOT files)", req.space)
		}
	}
	sel := backup.CatalogSelection(cat, space.Space, req.path)
	private := backup.SelectionPrivate(sel)
	if strings.TrimSpace(req.reason) == "" {
		if private || space.SpaceKind == string(files.Personal) {
			return nil, usageErr("--reason is required: this restore touches a person's space%s; give the legal basis (the owner's request, a judicial request…), it is journaled",
				map[bool]string{true: " and private (PERSONNEL/PRIVÉ) data", false: ""}[private])
		}
		req.reason = "administrator's request"
	}
	blobs, err := openBlobStore(ctx, b.cfg, func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	svc := b.filesService(blobs)
	limits := map[string]int64{}
	if st, err := svc.AdminSpaces(ctx, ""); err == nil {
		for _, s := range st {
			limits[s.ID] = s.Quota
		}
	}
	keep := svc.Config().Versions
	if keep < 0 {
		keep = 0
	}
	started := b.clock.Now()
	res, err := r.RestoreByName(ctx, req.snap.Snapshot, cat, backup.FilesTarget{Store: b.db, Blobs: blobs, KeepVersions: keep,
		Now: started, Limit: func(ctx context.Context, sp *files.Space) int64 {
			if sp.Quota != 0 {
				return sp.Quota
			}
			if q, ok := limits[sp.ID]; ok {
				return q
			}
			if st, err := svc.AdminSpaces(ctx, sp.Establishment); err == nil {
				for _, s := range st {
					if s.ID == sp.ID {
						return s.Quota
					}
				}
			}
			return 0
		}}, backup.NameRestore{Space: space.Space, Path: req.path, Beside: req.beside})
	where := "to its original place"
	if req.beside {
		where = "beside the current version"
	}
	what := fmt.Sprintf("%s space %s, %s", space.SpaceKind, space.SpaceName, "/"+strings.Trim(req.path, "/"))
	run := &backup.Run{Op: backup.OpRestore, Repo: req.repo, Snapshot: req.snap.ID.String(), Kind: "by-name", Started: started,
		Finished: b.clock.Now(), Result: "done", Establishment: space.Establishment}
	if res != nil {
		run.Files, run.Bytes = res.Files, res.Bytes
		what += fmt.Sprintf(" → %s (%d files written, %d unchanged, %d folders created)", res.Where, res.Files, res.Unchanged, res.Folders)
	}
	run.Detail = fmt.Sprintf("%s restored by name %s as of %s; private data: %s; legal basis: %s", what, where,
		req.snap.Time.Format("2006-01-02 15:04 UTC"), map[bool]string{true: "yes", false: "no"}[private], req.reason)
	if err != nil {
		run.Result, run.Detail = "failed", run.Detail+"; "+err.Error()
	}
	if rerr := b.db.RecordBackupRun(ctx, run); rerr != nil && err == nil {
		err = rerr
	}
	return res, err
}
