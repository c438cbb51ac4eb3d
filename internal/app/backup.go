// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/backup/backupd"
	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/store"
)

// Backup key material in the data folder. The dedup secret only names
// chunks; the recipients file holds public keys only. No private key able
// to read a backup is ever written here (MCO-SVG-11).
const (
	backupSecretFile     = "keys/backup-dedup.json"
	backupRecipientsFile = "keys/backup-recipients.txt"
	backupCacheDir       = "backup-cache"
	backupTmpDir         = ".backup-tmp"
	// RecoveryKeyDemoFile is where `preau demo` (only) writes the recovery key.
	RecoveryKeyDemoFile = "demo-recovery-key.txt"
)

func backupSecret(data string) (*backup.Secret, error) {
	p := filepath.Join(data, backupSecretFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		s, err := backup.NewSecret()
		if err != nil {
			return nil, err
		}
		if err := fsutil.WriteFile(p, 0o600, true, func(w io.Writer) error { _, err := w.Write(s.Marshal()); return err }); err != nil {
			return nil, fmt.Errorf("creating the backup dedup key: %w", err)
		}
		b, err = os.ReadFile(p)
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return backup.ParseSecret(b)
}

// backupRecipients reads the public recipients; ok is false when none is
// set up yet.
func backupRecipients(data string) ([]age.Recipient, bool, error) {
	b, err := os.ReadFile(filepath.Join(data, backupRecipientsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rs, err := backup.ParseRecipients(bytes.NewReader(b))
	return rs, err == nil, err
}

// setupRecoveryKey generates the deployment recovery key, keeps only its
// public part (plus any extra recipients) and returns the key to show once.
func setupRecoveryKey(data string, extra []string) (*backup.RecoveryKey, error) {
	k, err := backup.NewRecoveryKey()
	if err != nil {
		return nil, err
	}
	text := "# Préau backup recipients: public keys only (the recovery key is never stored here)\n" + k.Recipient + "\n"
	for _, r := range extra {
		text += strings.TrimSpace(r) + "\n"
	}
	if _, err := backup.ParseRecipients(strings.NewReader(text)); err != nil {
		return nil, err
	}
	p := filepath.Join(data, backupRecipientsFile)
	if _, err := os.Stat(p); err == nil {
		return nil, core.E("backup.setup", core.Exists, "a recovery key is already set up (%s); its private part was shown once", p)
	}
	if err := fsutil.WriteFile(p, 0o644, false, func(w io.Writer) error { _, err := io.WriteString(w, text); return err }); err != nil {
		return nil, err
	}
	return k, nil
}

// openBackupCLI opens what `preau backup run` needs — the configuration,
// the journal key and the store — without the domain services openCLI
// builds (authentication alone computes an Argon2id hash at start, a
// tenth of an incremental run's CPU time). It acts as the system.
func openBackupCLI(ctx context.Context, env Env, g globals, _ string) (*base, context.Context, error) {
	cfg, err := loadConfig(g, env.Getenv)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the data folder: %w", err)
	}
	keyFile := cfg.Journal.KeyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.Data, "keys", "journal.ed25519")
	}
	key, err := loadOrCreateKey(keyFile)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.DiscardHandler)
	clock := core.SystemClock{}
	db, err := store.Open(ctx, store.Config{DSN: cfg.DB, DataDir: cfg.Data, JournalKey: key, Clock: clock, Log: log})
	if err != nil {
		return nil, nil, err
	}
	b := &base{cfg: cfg, log: log, clock: clock, db: db, key: key}
	ctx, err = b.cliContext(ctx, "")
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return b, ctx, nil
}

// openBlobStore opens the blob store exactly as app.New does, so a backup
// reads (and a restore writes) where the running services keep their blobs.
func openBlobStore(ctx context.Context, cfg config.File, getenv func(string) string) (bloburl.Store, error) {
	return bloburl.Open(ctx, cfg.Blobs, filepath.Join(cfg.Data, "blobs"), getenv)
}

// blobFolder returns the folder of a local blob store as app.New opens it,
// or "" for S3.
func blobFolder(cfg config.File) string {
	t, err := bloburl.Parse(cfg.Blobs, filepath.Join(cfg.Data, "blobs"), func(string) string { return "" })
	if err != nil || t.FS == nil {
		return ""
	}
	d, _ := filepath.Abs(t.FS.Dir)
	return d
}

// remoteOpts are how to reach a receiver: a token and/or a sender
// certificate, its CA, and a bandwidth limit (bytes per second).
type remoteOpts struct {
	token, ca, cert string
	rate            int64
	window          string // scheduled runs: sending pauses outside this window
	now             func() time.Time
}

// policyRemote is a policy's way to its repository (the token comes from
// PREAU_BACKUP_TOKEN: no secret is stored in the database).
func policyRemote(p backup.Policy) remoteOpts {
	return remoteOpts{ca: p.CA, cert: p.ClientCert, rate: p.RateLimit}
}

// openBackend returns the repository backend: a local folder, or an
// append-only receiver at https://…, paced to o.rate when set.
func openBackend(repo string, o remoteOpts) (backup.Backend, error) {
	if repo == "" {
		return nil, usageErr("--repo is required: a folder (another disk, removable media) or https://receiver/…")
	}
	if strings.HasPrefix(repo, "https://") || strings.HasPrefix(repo, "http://") {
		c, err := backupd.NewClient(repo, o.token, o.ca, o.cert)
		if err != nil {
			return nil, err
		}
		return paced(c, o)
	}
	abs, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	return paced(backup.Local{Root: abs}, o)
}

func paced(be backup.Backend, o remoteOpts) (backup.Backend, error) {
	w, err := backup.ParseWindow(o.window)
	if err != nil {
		return nil, err
	}
	return backup.Windowed(backup.Throttled(be, o.rate), w, o.now), nil
}

// backupSelection lists what a deployment backup holds: a consistent copy
// of the database (db/), the data folder's files (data/: keys,
// configuration, TLS, every service's files) and every object of the blob
// store (blobs/), whatever service wrote it.
func (b *base) backupSelection(ctx context.Context, blobs blob.Store, pol backup.Policy) ([]backup.Item, func(), error) {
	tmp := filepath.Join(b.cfg.Data, backupTmpDir)
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	var items []backup.Item
	add := func(it backup.Item) {
		if pol.Selects(it.Path) && (it.Type != "file" || pol.SelectsTime(it.ModTime)) {
			items = append(items, it)
		}
	}
	now := b.clock.Now()
	add(backup.Item{Node: backup.Node{Path: "db", Type: "dir", Mode: 0o700, ModTime: now}})
	if b.db.Dialect() == "sqlite" {
		p := filepath.Join(tmp, "preau.db")
		if err := b.db.SnapshotSQLite(ctx, p); err != nil {
			cleanup()
			return nil, nil, err
		}
		fi, err := os.Stat(p)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		add(backup.Item{Node: backup.Node{Path: "db/preau.db", Type: "file", Mode: 0o600, ModTime: fi.ModTime(), Size: fi.Size()},
			Open: func() (io.ReadCloser, error) { return os.Open(p) }})
	} else {
		p := filepath.Join(tmp, "postgres.jsonl")
		err := fsutil.WriteFile(p, 0o600, false, func(w io.Writer) error { return b.db.DumpLogical(ctx, w) })
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		fi, _ := os.Stat(p)
		add(backup.Item{Node: backup.Node{Path: "db/postgres.jsonl", Type: "file", Mode: 0o600, ModTime: fi.ModTime(), Size: fi.Size()},
			Open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	// The catalogue of file spaces: the names of the files whose contents
	// are blobs, so a restore can put one person's files back by name.
	if pol.Selects(backup.CatalogPath) {
		cat, err := b.db.FileCatalog(ctx)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		p := filepath.Join(tmp, "catalog.jsonl")
		data := backup.MarshalCatalog(cat)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			cleanup()
			return nil, nil, err
		}
		items = append(items, backup.Item{Node: backup.Node{Path: "catalog", Type: "dir", Mode: 0o700, ModTime: now}},
			backup.Item{Node: backup.Node{Path: backup.CatalogPath, Type: "file", Mode: 0o600, ModTime: now, Size: int64(len(data))},
				Open: func() (io.ReadCloser, error) { return os.Open(p) }})
	}
	blobRoot := ""
	if fsb, ok := blobs.(interface{ Dir() string }); ok {
		blobRoot = fsb.Dir()
	}
	dbPath := b.db.Path()
	dataAbs, _ := filepath.Abs(b.cfg.Data)
	files, err := backup.DirItems(b.cfg.Data, "data", func(rel string, d fs.DirEntry) bool {
		full := filepath.Join(dataAbs, filepath.FromSlash(rel))
		name := d.Name()
		switch {
		case rel == backupTmpDir || rel == backupCacheDir || strings.HasPrefix(name, ".tmp-"):
			return true
		case blobRoot != "" && full == blobRoot:
			return true // taken through the blob store, below
		case dbPath != "" && (full == dbPath || strings.HasPrefix(full, dbPath+"-") || strings.HasPrefix(full, dbPath+".pre-v")):
			return true // the live SQLite files: the consistent copy is db/preau.db
		}
		return false
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	add(backup.Item{Node: backup.Node{Path: "data", Type: "dir", Mode: 0o700, ModTime: now}})
	for _, it := range files {
		add(it)
	}
	add(backup.Item{Node: backup.Node{Path: "blobs", Type: "dir", Mode: 0o700, ModTime: now}})
	err = blobs.List(ctx, "", func(info blob.Info) error {
		key := info.Key
		add(backup.Item{Node: backup.Node{Path: "blobs/" + key, Type: "file", Mode: 0o600, ModTime: info.ModTime, Size: info.Size},
			Open: func() (io.ReadCloser, error) {
				rc, _, err := blobs.Open(ctx, key)
				if core.IsKind(err, core.NotFound) {
					return nil, fs.ErrNotExist
				}
				return rc, err
			}})
		return nil
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// Small file contents kept in the database (files.InlineMax): the
	// database copy above holds them; each is also stored under inline/ so
	// that a restore by name finds it as it finds a blob (a whole restore
	// skips inline/).
	add(backup.Item{Node: backup.Node{Path: "inline", Type: "dir", Mode: 0o700, ModTime: now}})
	err = b.db.InlineContents(ctx, func(key string, size int64) error {
		add(backup.Item{Node: backup.Node{Path: backup.ContentPath(key), Type: "file", Mode: 0o600,
			ModTime: inlineTime(key, now), Size: size},
			Open: func() (io.ReadCloser, error) {
				data, err := b.db.ReadInline(ctx, key)
				if core.IsKind(err, core.NotFound) {
					return nil, fs.ErrNotExist
				}
				return io.NopCloser(bytes.NewReader(data)), err
			}})
		return nil
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// Folders on the way to a selected file are listed, so a restore
	// recreates them.
	return items, cleanup, nil
}

type backupRequest struct {
	repo     string
	remote   remoteOpts
	kind     string // full, incremental
	policy   backup.Policy
	progress func(backup.Progress)
	// onKey is called with a freshly generated recovery key (first run
	// with no set-up); it must show it, once.
	onKey func(*backup.RecoveryKey) error
}

// runBackup backs the deployment up and records the run (journaled).
func (b *base) runBackup(ctx context.Context, blobs blob.Store, req backupRequest) (*backup.Run, error) {
	run := &backup.Run{Op: backup.OpBackup, Repo: req.repo, Kind: req.kind, Started: b.clock.Now(),
		Establishment: req.policy.Establishment}
	snap, err := b.doBackup(ctx, blobs, req, run)
	run.Finished = b.clock.Now()
	if err != nil {
		run.Result, run.Detail = "failed", err.Error()
	} else {
		run.Result, run.Snapshot = "done", snap.ID.String()
	}
	if rerr := b.db.RecordBackupRun(ctx, run); rerr != nil && err == nil {
		err = rerr
	}
	return run, err
}

func (b *base) doBackup(ctx context.Context, blobs blob.Store, req backupRequest, run *backup.Run) (backup.SnapshotRef, error) {
	secret, err := backupSecret(b.cfg.Data)
	if err != nil {
		return backup.SnapshotRef{}, err
	}
	rs, ok, err := backupRecipients(b.cfg.Data)
	if err != nil {
		return backup.SnapshotRef{}, err
	}
	if !ok {
		if req.onKey == nil {
			return backup.SnapshotRef{}, core.E("backup.run", core.Invalid, "no recovery key is set up: run preau backup init")
		}
		k, err := setupRecoveryKey(b.cfg.Data, nil)
		if err != nil {
			return backup.SnapshotRef{}, err
		}
		if err := req.onKey(k); err != nil {
			return backup.SnapshotRef{}, err
		}
		if rs, _, err = backupRecipients(b.cfg.Data); err != nil {
			return backup.SnapshotRef{}, err
		}
	}
	be, err := openBackend(req.repo, req.remote)
	if err != nil {
		return backup.SnapshotRef{}, err
	}
	repo, err := backup.OpenForBackup(ctx, be, secret, rs, b.clock.Now())
	if err != nil {
		return backup.SnapshotRef{}, err
	}
	items, cleanup, err := b.backupSelection(ctx, blobs, req.policy)
	if err != nil {
		return backup.SnapshotRef{}, err
	}
	defer cleanup()
	cachePath := filepath.Join(b.cfg.Data, backupCacheDir, repo.Config.ID+".json")
	cache := backup.FileCache{}
	if cb, err := os.ReadFile(cachePath); err == nil {
		_ = json.Unmarshal(cb, &cache)
	}
	host, _ := os.Hostname()
	kind := req.kind
	if len(req.policy.Include) > 0 || req.policy.Dated() {
		kind = "selective"
	}
	snap, err := repo.Backup(ctx, items, backup.Options{Kind: kind, Host: host, Time: b.clock.Now(), Cache: cache,
		Establishment: req.policy.Establishment, Progress: req.progress})
	if err != nil {
		return snap, err
	}
	_ = fsutil.WriteFile(cachePath, 0o600, false, func(w io.Writer) error { return json.NewEncoder(w).Encode(cache) })
	run.Kind, run.Files, run.Bytes, run.AddedBytes = kind, snap.Stats.Files, snap.Stats.Bytes, snap.Stats.AddedBytes
	run.RepoBytes = repoSize(ctx, be)
	if sameDisk(req.repo, b.cfg.Data) {
		run.Detail = "warning: the repository is on the same disk as the data folder; keep a copy elsewhere (MCO-SVG-5)"
	}
	return snap, nil
}

func repoSize(ctx context.Context, be backup.Backend) int64 {
	var n int64
	for _, k := range []string{backup.KindData, backup.KindIndex, backup.KindSnapshot, backup.KindKeys} {
		_ = be.List(ctx, k, func(_ string, size int64) error { n += size; return nil })
	}
	return n
}

// restoreSink routes restored paths: data/… into a folder, blobs/… into a
// blob store (or a folder), db/… into a folder for the caller to load.
type restoreSink struct {
	data  string     // folder for data/… ("" skips)
	blobs blob.Store // store for blobs/… (nil: blobDir)
	bdir  string     // folder for blobs/… when blobs is nil ("" skips)
	db    string     // folder for db/… ("" skips)
	// staged: files go into a staging folder synced as a whole before it
	// is renamed into place, so each file needs no sync of its own.
	staged bool
}

func (s restoreSink) route(p string) (dir, rel string, toBlob bool) {
	top, rest, _ := strings.Cut(p, "/")
	switch top {
	case "data":
		return s.data, rest, false
	case "db":
		return s.db, rest, false
	case "blobs":
		if s.blobs != nil {
			return "", rest, true
		}
		return s.bdir, rest, false
	}
	return "", "", false
}

func (s restoreSink) Dir(ctx context.Context, n backup.Node) error {
	dir, rel, toBlob := s.route(n.Path)
	if toBlob || dir == "" {
		return nil
	}
	return os.MkdirAll(filepath.Join(dir, filepath.FromSlash(rel)), 0o700)
}

func (s restoreSink) File(ctx context.Context, n backup.Node, write func(io.Writer) error) error {
	dir, rel, toBlob := s.route(n.Path)
	if toBlob {
		w, err := s.blobs.Create(ctx, rel)
		if err != nil {
			return err
		}
		defer w.Close()
		if err := write(w); err != nil {
			return err
		}
		return w.Commit()
	}
	if dir == "" || rel == "" {
		return nil
	}
	if s.staged {
		return backup.WriteFileStaged(filepath.Join(dir, filepath.FromSlash(rel)), os.FileMode(n.Mode&0o777), n.ModTime, write)
	}
	return backup.WriteFileAtomic(filepath.Join(dir, filepath.FromSlash(rel)), os.FileMode(n.Mode&0o777), n.ModTime, write)
}

// progressBar draws a one-line progress bar on w (the CLI's stderr).
func progressBar(w io.Writer) func(backup.Progress) {
	return func(p backup.Progress) {
		pct := 100.0
		if p.TotalBytes > 0 {
			pct = float64(p.Bytes) * 100 / float64(p.TotalBytes)
		}
		n := int(pct / 5)
		if n > 20 {
			n = 20
		}
		fmt.Fprintf(w, "\r%-8s [%s%s] %5.1f%%  %s / %s  %d/%d files ", p.Phase, strings.Repeat("#", n), strings.Repeat("-", 20-n),
			pct, humanBytes(p.Bytes), humanBytes(p.TotalBytes), p.Files, p.TotalFiles)
		if p.Phase == "snapshot" || (p.TotalBytes > 0 && p.Bytes >= p.TotalBytes && p.Files >= p.TotalFiles) {
			fmt.Fprintln(w)
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

var _ = time.Now

// demoRecoveryKey sets up the backup recovery key of a demo deployment and
// writes it beside the demo accounts — a demo-only exception: a real
// deployment shows it once and never stores it (MCO-SVG-11).
func demoRecoveryKey(data string) error {
	if _, ok, _ := backupRecipients(data); ok {
		return nil
	}
	k, err := setupRecoveryKey(data, nil)
	if err != nil {
		return err
	}
	text := "# DEMO ONLY — a real Préau deployment never writes its recovery key on the server.\n" +
		"# DÉMO SEULEMENT — un déploiement réel ne garde jamais la clé de secours sur le serveur.\n" + k.Sheet(data)
	return fsutil.WriteFile(filepath.Join(data, RecoveryKeyDemoFile), 0o600, false, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

// sameDisk reports whether a local repository lies on the same file system
// as the data folder, which a disaster would take together (MCO-SVG-5).
func sameDisk(repo, data string) bool {
	if strings.Contains(repo, "://") {
		return false
	}
	a, errA := os.Stat(filepath.Dir(filepath.Clean(repo)))
	if fi, err := os.Stat(repo); err == nil {
		a, errA = fi, nil
	}
	b, errB := os.Stat(data)
	if errA != nil || errB != nil {
		return false
	}
	sa, okA := a.Sys().(*syscall.Stat_t)
	sb, okB := b.Sys().(*syscall.Stat_t)
	return okA && okB && sa.Dev == sb.Dev
}

// inlineTime is when an inline content was written, read from its key's
// UUIDv7 (def when unreadable).
func inlineTime(key string, def time.Time) time.Time {
	if t, ok := core.IDTime(strings.TrimPrefix(key, files.InlinePrefix)); ok {
		return t
	}
	return def
}
