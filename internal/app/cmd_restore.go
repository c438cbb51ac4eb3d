// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/store"
)

// runRestore is `preau restore`: disaster recovery of a whole deployment
// onto a fresh data folder, or a selective restore (--path) of a folder or
// a file at a point in time, beside (--target) or in place (--in-place).
func runRestore(ctx context.Context, env Env, args []string) error {
	var g globals
	var repo, token, ca, snapID, at, target, reason string
	var keyFiles multiFlag
	var paths multiFlag
	var inPlace, quiet, beside bool
	var person, space, clientCert string
	fs := flag.NewFlagSet("preau restore", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&repo, "repo", "", "repository: a folder or https://receiver:port")
	fs.StringVar(&token, "token", "", "receiver token (or env PREAU_BACKUP_TOKEN)")
	fs.StringVar(&ca, "ca", "", "PEM CA of the receiver's certificate")
	fs.StringVar(&clientCert, "client-cert", "", "sender certificate and key (PEM) for a receiver requiring mutual TLS")
	fs.Var(&keyFiles, "key", "recovery key file (- for standard input), or twice: the two shares of a two-person key; required")
	fs.StringVar(&snapID, "snapshot", "latest", "snapshot ID (a prefix is enough) or latest")
	fs.StringVar(&at, "at", "", "the latest snapshot taken at or before this time (2026-09-01 or RFC 3339)")
	fs.Var(&paths, "path", "restore only this path of the snapshot (data/…, blobs/…, db/…); repeatable")
	fs.StringVar(&target, "target", "", "selective restore: write beside, into this folder")
	fs.BoolVar(&inPlace, "in-place", false, "selective restore: put files back where they were (data folder, blob store)")
	fs.StringVar(&reason, "reason", "", "why (the owner's request, a judicial request…): journaled; required for a selective restore")
	fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	fs.StringVar(&person, "person", "", "restore by name: this person's space (login), or with --path a folder or file in it")
	fs.StringVar(&space, "space", "", "restore by name: this file space (its name in preau backup ls SNAPSHOT files, or its ID)")
	fs.BoolVar(&beside, "beside", false, "restore by name: beside the current files, named \"… (restauré le DATE)\"")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: preau restore --repo PATH --key KEYFILE --data NEWDIR [--snapshot ID | --at TIME]
       preau restore --repo PATH --key KEYFILE --data DIR --path P … (--target DIR | --in-place) --reason TEXT
       preau restore --repo PATH --key KEYFILE --data DIR (--person LOGIN | --space NAME) [--path /folder/file]
                     [--at DATE | --snapshot ID] [--beside] --reason TEXT

With --person or --space, --path is a path inside that space, and the files
go back into the live file storage under their names (quota respected).

Without --path, the whole deployment is restored into NEWDIR, which must be
empty or absent; with --db postgres://… the database goes there (a fresh one).

Flags:`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return usageErr("unexpected argument %q", pos[0])
	}
	if len(keyFiles) == 0 {
		return usageErr("--key KEYFILE is required: a restore needs the deployment recovery key")
	}
	when, err := parseTimeFlag("at", at)
	if err != nil {
		return err
	}
	be, err := openBackend(repo, remoteOpts{token: token, ca: ca, cert: clientCert})
	if err != nil {
		return err
	}
	r, err := backup.Open(ctx, be)
	if err != nil {
		return err
	}
	ids, err := readIdentities(env, keyFiles)
	if err != nil {
		return err
	}
	if err := r.Unlock(ctx, ids); err != nil {
		return err
	}
	if !when.IsZero() && snapID == "latest" {
		snapID = ""
	}
	snap, err := r.FindSnapshot(ctx, snapID, when)
	if err != nil {
		return err
	}
	progress := progressBar(env.Stderr)
	if quiet {
		progress = nil
	}
	if person != "" || space != "" {
		if person != "" && space != "" || len(paths) > 1 || target != "" || inPlace {
			return usageErr("a restore by name takes --person LOGIN or --space NAME, at most one --path inside it, and --beside or not (no --target, --in-place)")
		}
		b, jctx, err := openCLI(ctx, env, g, "")
		if err != nil {
			return err
		}
		defer b.Close()
		p := ""
		if len(paths) == 1 {
			p = paths[0]
		}
		res, err := b.restoreByName(jctx, r, nameRestoreRequest{repo: repo, snap: snap, person: person, space: space, path: p,
			beside: beside, reason: reason})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "restored %d files (%s) from snapshot %s of %s into %s (%s space %s); %d already identical, %d folders created\n",
			res.Files, humanBytes(res.Bytes), snap.ID.Short(), snap.Time.Format("2006-01-02 15:04:05 UTC"), res.Where,
			res.Space.Kind, res.Space.Name, res.Unchanged, res.Folders)
		return nil
	}
	if beside {
		return usageErr("--beside goes with --person or --space; for other paths use --target DIR")
	}
	if len(paths) == 0 {
		return disasterRestore(ctx, env, g, r, snap, repo, progress)
	}
	return selectiveRestore(ctx, env, g, r, snap, repo, paths, target, inPlace, reason, progress)
}

// disasterRestore restores everything into a staging folder beside the
// new data folder and renames it into place at the end, so an interrupted
// restore leaves no half-restored deployment.
func disasterRestore(ctx context.Context, env Env, g globals, r *backup.Repo, snap backup.SnapshotRef, repo string, progress func(backup.Progress)) error {
	data := g.data
	if data == "" {
		data = env.Getenv("PREAU_DATA")
	}
	if data == "" {
		return usageErr("--data NEWDIR is required: the fresh data folder to restore into")
	}
	data, _ = filepath.Abs(data)
	if es, err := os.ReadDir(data); err == nil && len(es) > 0 {
		return core.E("restore", core.Exists, "%s is not empty: a disaster restore goes into a fresh data folder", data)
	}
	// Which database the snapshot holds decides where it goes: check
	// before writing anything.
	nodes, err := r.Listing(ctx, snap.Snapshot)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		switch {
		case n.Path == "db/postgres.jsonl" && !isPostgresDSN(g.db):
			return core.E("restore", core.Invalid, "this backup holds a PostgreSQL dump: give --db postgres://… of a fresh database")
		case n.Path == "db/preau.db" && isPostgresDSN(g.db):
			return core.E("restore", core.Invalid, "this backup holds a SQLite database; restore it without --db postgres://…")
		}
	}
	staging := data + ".restoring"
	os.RemoveAll(staging) // a killed earlier attempt
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Data, cfg.DB, cfg.Blobs = data, g.db, g.blobs
	sink := restoreSink{data: staging, db: filepath.Join(staging, ".restore-db"), staged: true}
	var blobs bloburl.Store
	if dir := blobFolder(cfg); g.blobs != "" && dir != "" && !strings.HasPrefix(dir, data+string(filepath.Separator)) {
		// A blob folder of its own: written like the staging folder, and
		// synced with it before the rename.
		if es, err := os.ReadDir(dir); err == nil && len(es) > 0 {
			return core.E("restore", core.Exists, "the blob folder %s is not empty", dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		sink.bdir = dir
	} else if g.blobs != "" { // a new blob store (S3): objects go there directly
		var err error
		if blobs, err = bloburl.Open(ctx, g.blobs, "", env.Getenv); err != nil {
			return err
		}
		sink.blobs = blobs
	} else {
		// The blob folder as app.New will open it in the new data folder,
		// moved into the staging folder.
		rel, err := filepath.Rel(data, blobFolder(cfg))
		if err != nil || strings.HasPrefix(rel, "..") {
			return core.E("restore", core.Invalid, "the blob folder is outside the data folder: give --blobs")
		}
		sink.bdir = filepath.Join(staging, rel)
	}
	started := core.SystemClock{}.Now()
	st, err := r.Restore(ctx, snap.Snapshot, sink, backup.RestoreOptions{Progress: progress})
	if err != nil {
		return err
	}
	dbDir := filepath.Join(staging, ".restore-db")
	pgDump := filepath.Join(dbDir, "postgres.jsonl")
	switch {
	case fileExists(filepath.Join(dbDir, "preau.db")):
		if isPostgresDSN(g.db) {
			return core.E("restore", core.Invalid, "this backup holds a SQLite database; restore it without --db postgres://…")
		}
		dst := store.SQLitePath(g.db, staging)
		if g.db != "" && !strings.HasPrefix(dst, staging) {
			return core.E("restore", core.Invalid, "--db must be left out for a SQLite restore (the database goes into the data folder)")
		}
		if err := os.Rename(filepath.Join(dbDir, "preau.db"), dst); err != nil {
			return err
		}
	case fileExists(pgDump):
		if !isPostgresDSN(g.db) {
			return core.E("restore", core.Invalid, "this backup holds a PostgreSQL dump: give --db postgres://… of a fresh database")
		}
	}
	if err := backup.SyncFS(staging); err != nil {
		return err
	}
	if sink.bdir != "" {
		if err := backup.SyncFS(sink.bdir); err != nil {
			return err
		}
	}
	if err := os.Rename(staging, data); err != nil {
		return err
	}
	if err := syncParent(data); err != nil {
		return err
	}
	if fileExists(filepath.Join(data, ".restore-db", "postgres.jsonl")) {
		db, err := store.Open(ctx, store.Config{DSN: g.db, DataDir: data})
		if err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(data, ".restore-db", "postgres.jsonl"))
		if err == nil {
			err = db.LoadLogical(ctx, f)
			f.Close()
		}
		db.Close()
		if err != nil {
			return err
		}
	}
	os.RemoveAll(filepath.Join(data, ".restore-db"))
	// The restored deployment opens, its journal verifies, and the restore
	// itself is journaled in it.
	b, err := openBase(ctx, cfg, slog.New(slog.DiscardHandler), core.SystemClock{})
	if err != nil {
		return fmt.Errorf("the restored deployment does not open: %w", err)
	}
	defer b.Close()
	jctx, _ := b.cliContext(ctx, "")
	if err := journalVerify(jctx, b, env); err != nil {
		return err
	}
	run := &backup.Run{Op: backup.OpRestore, Repo: repo, Snapshot: snap.ID.String(), Kind: "disaster", Started: started,
		Finished: core.SystemClock{}.Now(), Result: "done", Files: st.Files, Bytes: st.Bytes,
		Detail: "whole deployment restored into " + data + "; legal basis: disaster recovery"}
	if err := b.db.RecordBackupRun(jctx, run); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored snapshot %s (%s) into %s: %d files, %s\n", snap.ID.Short(),
		snap.Time.Format("2006-01-02 15:04:05 UTC"), data, st.Files, humanBytes(st.Bytes))
	return nil
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func syncParent(p string) error {
	d, err := os.Open(filepath.Dir(p))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// selectiveRestore restores some paths beside (--target) or in place, and
// journals it in the live deployment with its legal basis (MCO-SVG-11, -13).
func selectiveRestore(ctx context.Context, env Env, g globals, r *backup.Repo, snap backup.SnapshotRef, repo string,
	paths []string, target string, inPlace bool, reason string, progress func(backup.Progress)) error {
	if (target == "") == !inPlace {
		return usageErr("a selective restore needs exactly one of --target DIR (beside) or --in-place")
	}
	if strings.TrimSpace(reason) == "" {
		return usageErr("--reason is required: the owner's request, a judicial request… (it is journaled)")
	}
	for _, p := range paths {
		if strings.HasPrefix(strings.Trim(p, "/"), "db") && inPlace {
			return usageErr("the database cannot be restored in place; restore it beside with --target, or do a disaster restore")
		}
	}
	b, jctx, err := openCLI(ctx, env, g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	var sink restoreSink
	where := target
	if inPlace {
		blobs, err := openBlobStore(ctx, b.cfg, env.Getenv)
		if err != nil {
			return err
		}
		sink = restoreSink{data: b.cfg.Data, blobs: blobs}
		where = "in place"
	} else {
		t, _ := filepath.Abs(target)
		sink = restoreSink{data: filepath.Join(t, "data"), bdir: filepath.Join(t, "blobs"), db: filepath.Join(t, "db")}
		where = "beside, into " + t
	}
	started := b.clock.Now()
	st, err := r.Restore(ctx, snap.Snapshot, sink, backup.RestoreOptions{Include: paths, Progress: progress})
	run := &backup.Run{Op: backup.OpRestore, Repo: repo, Snapshot: snap.ID.String(), Kind: "selective", Started: started,
		Finished: b.clock.Now(), Result: "done", Files: st.Files, Bytes: st.Bytes,
		Detail: fmt.Sprintf("%s restored %s; legal basis: %s", strings.Join(paths, ", "), where, reason)}
	if err != nil {
		run.Result, run.Detail = "failed", run.Detail+"; "+err.Error()
	}
	if rerr := b.db.RecordBackupRun(jctx, run); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return core.E("restore", core.NotFound, "%v", err)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %d files (%s) from snapshot %s of %s, %s\n", st.Files, humanBytes(st.Bytes),
		snap.ID.Short(), snap.Time.Format("2006-01-02 15:04:05 UTC"), where)
	return nil
}
