// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/backup/backupd"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/pki"
	"github.com/preau/preau/internal/store"
)

// errBackupCheck makes `preau backup check` exit non-zero on a problem.
var errBackupCheck = errors.New("the backup repository does not verify")

type backupFlags struct {
	g                              globals
	repo, token, ca                string
	keyFiles                       multiFlag
	split                          bool
	keyOut                         string
	full, dryRun, jsonOut, quiet   bool
	last, daily, weekly, monthly   int
	yearly                         int
	recipients                     multiFlag
	listen, root, tokens, cert, ky string
	schedule, checkSchedule, est   string
	fullEvery, drillDays           int
	include, exclude               multiFlag
	disable                        bool
	since, before                  string
	clientCert, rate, window       string
	requireCert                    bool
	sender, out                    string
}

// remote is the way to the repository the flags give, completed by the
// policy's for what they leave out.
func (f backupFlags) remote(p backup.Policy) (remoteOpts, error) {
	o := policyRemote(p)
	o.token = f.token
	if f.ca != "" {
		o.ca = f.ca
	}
	if f.clientCert != "" {
		o.cert = f.clientCert
	}
	if f.rate != "" {
		r, err := backup.ParseRate(f.rate)
		if err != nil {
			return o, err
		}
		o.rate = r
	}
	return o, nil
}

func runBackupCmd(ctx context.Context, env Env, args []string) error {
	var f backupFlags
	fs := flag.NewFlagSet("preau backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.g.register(fs)
	fs.StringVar(&f.repo, "repo", "", "repository: a folder (another disk, removable media) or https://receiver:port")
	fs.StringVar(&f.token, "token", "", "receiver token (or env PREAU_BACKUP_TOKEN)")
	fs.StringVar(&f.ca, "ca", "", "PEM CA of the receiver's certificate (default: system roots)")
	fs.Var(&f.keyFiles, "key", "recovery key file (or twice: the two shares): check with a full restore drill")
	fs.BoolVar(&f.split, "split", false, "init/first run: split the new recovery key into two shares (head and technician), both needed to restore")
	fs.StringVar(&f.keyOut, "key-out", "", "init/first run: write the new recovery key to this file instead of the screen")
	fs.BoolVar(&f.full, "full", false, "run: read every file again (not trusting sizes and dates)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "prune: say what would go, remove nothing")
	fs.BoolVar(&f.jsonOut, "json", false, "list: JSON output")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.IntVar(&f.last, "keep-last", -1, "prune: keep the last N snapshots (default: the stored policy)")
	fs.IntVar(&f.daily, "keep-daily", -1, "prune: keep one a day for N days")
	fs.IntVar(&f.weekly, "keep-weekly", -1, "prune: keep one a week for N weeks")
	fs.IntVar(&f.monthly, "keep-monthly", -1, "prune: keep one a month for N months")
	fs.IntVar(&f.yearly, "keep-yearly", -1, "prune: keep one a year for N years")
	fs.Var(&f.recipients, "recipient", "init: a further age recipient (age1…), e.g. the académie's; repeatable")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8444", "receive: address to listen on (HTTPS)")
	fs.StringVar(&f.root, "root", "", "receive: folder holding one repository per sender")
	fs.StringVar(&f.tokens, "tokens", "", "receive: file of 'sender token' lines")
	fs.StringVar(&f.cert, "cert", "", "receive: TLS certificate (default: the data folder's)")
	fs.StringVar(&f.ky, "tls-key", "", "receive: TLS key (default: the data folder's)")
	fs.StringVar(&f.schedule, "schedule", "", "policy: when to back up (daily 02:30, weekdays 21:00, weekly sun 03:00, monthly 1 04:00, every 6h)")
	fs.StringVar(&f.checkSchedule, "check-schedule", "", "policy: when to verify the repository unattended")
	fs.StringVar(&f.est, "establishment", "", "policy: establishment UAI (default: the deployment's policy)")
	fs.IntVar(&f.fullEvery, "full-every", -1, "policy: every Nth run reads every file again (0: never)")
	fs.IntVar(&f.drillDays, "drill-days", -1, "policy: prompt a restore drill with the recovery key every N days")
	fs.Var(&f.include, "include", "policy: back up only this path (data/…, blobs/files/…, db); repeatable")
	fs.Var(&f.exclude, "exclude", "policy: skip names matching this pattern (*.iso); repeatable")
	fs.BoolVar(&f.disable, "disable", false, "policy: stop scheduled backups")
	fs.StringVar(&f.clientCert, "client-cert", "", "sender certificate and key (PEM, from preau backup receiver-cert) for a receiver requiring mutual TLS")
	fs.StringVar(&f.rate, "limit-rate", "", "run, policy: at most this many bytes per second to the repository (500k, 2m; 0: none)")
	fs.StringVar(&f.window, "window", "", "policy: scheduled backups start only in this daily window (22:00-06:00; none clears)")
	fs.BoolVar(&f.requireCert, "require-cert", false, "receive: refuse senders without a certificate from the sender CA (mutual TLS)")
	fs.StringVar(&f.sender, "sender", "", "receiver-cert: the sender's name ([a-z0-9-], e.g. clg-moulin)")
	fs.StringVar(&f.out, "out", "", "receiver-cert: write the sender's certificate and key to this file (mode 0600)")
	fs.StringVar(&f.since, "modified-since", "", "policy: back up only files modified at or after this date (2026-09-01; none clears)")
	fs.StringVar(&f.before, "modified-before", "", "policy: back up only files modified before this date (none clears)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: preau backup init [--recipient age1…] [--key-out FILE]
       preau backup run --repo PATH|URL [--full]
       preau backup list --repo PATH|URL [--json]
       preau backup check --repo PATH|URL [--key KEYFILE]
       preau backup prune --repo PATH [--keep-last N --keep-daily N …] [--dry-run]
       preau backup receive --listen ADDR --root DIR --tokens FILE [--require-cert]
       preau backup receiver-cert --sender NAME --out FILE   (on the receiver: a sender's client certificate)
       preau backup policy show|set [--repo …] [--schedule …] [--keep-daily N …] [--check-schedule …] [--drill-days N]
                                    [--modified-since DATE] [--modified-before DATE]
       preau backup ls --repo PATH|URL --key KEYFILE SNAPSHOT [PATH]   (files/<space>/… : names as people see them)
       preau backup diff --repo PATH|URL --key KEYFILE SNAPSHOT1 SNAPSHOT2

Flags:`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 && !(len(pos) == 2 && pos[0] == "policy") && !(len(pos) >= 2 && len(pos) <= 3 && pos[0] == "ls") &&
		!(len(pos) == 3 && pos[0] == "diff") {
		fs.Usage()
		return usageErr("preau backup needs one of init, run, list, check, prune, receive, policy show|set, ls SNAPSHOT [PATH], diff SNAP1 SNAP2")
	}
	switch pos[0] {
	case "ls":
		return backupLs(ctx, env, f, pos[1:])
	case "diff":
		return backupDiff(ctx, env, f, pos[1], pos[2])
	}
	open := openCLI
	if pos[0] == "run" {
		open = openBackupCLI // a backup needs the store and the journal key only
	}
	b, ctx, err := open(ctx, env, f.g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	progress := progressBar(env.Stderr)
	if f.quiet {
		progress = nil
	}
	switch pos[0] {
	case "init":
		k, err := setupRecoveryKey(b.cfg.Data, f.recipients)
		if err != nil {
			return err
		}
		return showRecoveryKey(env, k, f.keyOut, b.cfg.Data, f.split)
	case "run":
		blobs, err := openBlobStore(ctx, b.cfg, env.Getenv)
		if err != nil {
			return err
		}
		pol, err := b.db.BackupPolicy(ctx, "")
		if err != nil {
			pol = backup.DefaultPolicy()
		}
		kind := "incremental"
		if f.full {
			kind = "full"
		}
		remote, err := f.remote(pol)
		if err != nil {
			return err
		}
		run, err := b.runBackup(ctx, blobs, backupRequest{repo: f.repo, remote: remote, kind: kind, policy: pol,
			progress: progress, onKey: func(k *backup.RecoveryKey) error { return showRecoveryKey(env, k, f.keyOut, b.cfg.Data, f.split) }})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "snapshot %s saved: %d files, %s, %s added; repository %s\n", run.Snapshot[:8], run.Files,
			humanBytes(run.Bytes), humanBytes(run.AddedBytes), humanBytes(run.RepoBytes))
		if run.Detail != "" {
			fmt.Fprintln(env.Stdout, run.Detail)
		}
		return nil
	case "list":
		return backupList(ctx, env, f)
	case "check":
		return b.backupCheck(ctx, env, f, progress)
	case "prune":
		return b.backupPrune(ctx, env, f)
	case "receive":
		return b.backupReceive(ctx, env, f)
	case "receiver-cert":
		return b.backupReceiverCert(ctx, env, f)
	case "policy":
		return b.backupPolicy(ctx, env, f, pos[1])
	}
	return usageErr("unknown subcommand preau backup %s", pos[0])
}

// showRecoveryKey shows a new recovery key once: on the screen, or in the
// file named by keyOut (mode 0600). The server keeps no copy.
func showRecoveryKey(env Env, k *backup.RecoveryKey, keyOut, data string, split bool) error {
	if split {
		if keyOut == "" {
			return usageErr("--split needs --key-out FILE: the shares go to FILE.1 and FILE.2")
		}
		a, b, err := k.SplitKey()
		if err != nil {
			return err
		}
		for i, sh := range []string{a, b} {
			text := fmt.Sprintf("# Préau — part %d sur 2 de la clé de secours / share %d of 2 of the recovery key\n"+
				"# Une part seule ne permet rien ; une restauration demande les deux. / One share alone opens nothing.\n%s", i+1, i+1, sh)
			if err := fsutil.WriteFile(fmt.Sprintf("%s.%d", keyOut, i+1), 0o600, false, func(w io.Writer) error {
				_, err := io.WriteString(w, text)
				return err
			}); err != nil {
				return err
			}
		}
		fmt.Fprintf(env.Stdout, "Recovery key split into %s.1 (for the head) and %s.2 (for the technician); a restore needs both.\n", keyOut, keyOut)
		return nil
	}
	sheet := k.Sheet(data)
	if keyOut != "" {
		if err := fsutil.WriteFile(keyOut, 0o600, false, func(w io.Writer) error { _, err := io.WriteString(w, sheet); return err }); err != nil {
			return err
		}
		svg, err := k.QRSVG()
		if err != nil {
			return err
		}
		if err := fsutil.WriteFile(keyOut+".svg", 0o600, false, func(w io.Writer) error { _, err := io.WriteString(w, svg); return err }); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recovery key written to %s (QR code: %s.svg). Print them, store them away from the server, then delete the files.\n", keyOut, keyOut)
		return nil
	}
	code, err := k.QRText()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\n=== CLÉ DE SECOURS / RECOVERY KEY — shown once, never stored by Préau ===\n%s\n%s"+
		"=== Print it or copy it now: without it, no backup can be restored. ===\n\n", sheet, code)
	return nil
}

func backupList(ctx context.Context, env Env, f backupFlags) error {
	be, err := openBackend(f.repo, remoteOpts{token: f.token, ca: f.ca, cert: f.clientCert})
	if err != nil {
		return err
	}
	r, err := backup.Open(ctx, be)
	if err != nil {
		return err
	}
	snaps, bad, err := r.Snapshots(ctx)
	if err != nil {
		return err
	}
	if f.jsonOut {
		type row struct {
			ID   string       `json:"id"`
			Time time.Time    `json:"time"`
			Kind string       `json:"kind"`
			Host string       `json:"host"`
			Stat backup.Stats `json:"stats"`
		}
		var out []row
		for _, s := range snaps {
			out = append(out, row{s.ID.String(), s.Time, s.Kind, s.Host, s.Stats})
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	}
	fmt.Fprintf(env.Stdout, "%-10s %-20s %-12s %8s %12s %12s\n", "snapshot", "time (UTC)", "kind", "files", "size", "added")
	for _, s := range snaps {
		fmt.Fprintf(env.Stdout, "%-10s %-20s %-12s %8d %12s %12s\n", s.ID.Short(), s.Time.Format("2006-01-02 15:04:05"), s.Kind,
			s.Stats.Files, humanBytes(s.Stats.Bytes), humanBytes(s.Stats.AddedBytes))
	}
	for _, x := range bad {
		fmt.Fprintf(env.Stdout, "UNREADABLE %s\n", x)
	}
	return nil
}

func (b *base) backupCheck(ctx context.Context, env Env, f backupFlags, progress func(backup.Progress)) error {
	run := &backup.Run{Op: backup.OpCheck, Repo: f.repo, Started: b.clock.Now()}
	rep, err := b.doCheck(ctx, env, f, run, progress)
	run.Finished = b.clock.Now()
	run.Result = "done"
	if err != nil {
		run.Result, run.Detail = "failed", err.Error()
	} else if !rep.OK() {
		run.Result = "failed"
		run.Detail = fmt.Sprintf("%d problems: %s", len(rep.Problems), rep.Problems[0])
	}
	if rerr := b.db.RecordBackupRun(ctx, run); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(env.Stdout, "PROBLEM %s\n", p)
	}
	if !rep.OK() {
		return errBackupCheck
	}
	what := "structure and ciphertext integrity"
	if run.Op == backup.OpDrill {
		what = "restore drill (" + run.Detail + ")"
	}
	fmt.Fprintf(env.Stdout, "repository OK: %d snapshots, %d packs, %d blobs, %s read; %s verified\n",
		rep.Snapshots, rep.Packs, rep.Blobs, humanBytes(rep.Bytes), what)
	return nil
}

func (b *base) doCheck(ctx context.Context, env Env, f backupFlags, run *backup.Run, progress func(backup.Progress)) (*backup.CheckReport, error) {
	be, err := openBackend(f.repo, remoteOpts{token: f.token, ca: f.ca, cert: f.clientCert})
	if err != nil {
		return nil, err
	}
	run.RepoBytes = repoSize(ctx, be)
	r, err := backup.Open(ctx, be)
	if err != nil {
		return nil, err
	}
	if len(f.keyFiles) == 0 {
		return r.Check(ctx, backup.CheckOptions{ReadData: true, Progress: progress})
	}
	run.Op = backup.OpDrill
	ids, err := readIdentities(env, f.keyFiles)
	if err != nil {
		return nil, err
	}
	if err := r.Unlock(ctx, ids); err != nil {
		return nil, err
	}
	snap, err := r.FindSnapshot(ctx, "", time.Time{})
	if err != nil {
		return nil, err
	}
	run.Snapshot = snap.ID.String()
	scratch, err := os.MkdirTemp("", "preau-drill-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	sink := restoreSink{data: filepath.Join(scratch, "data"), bdir: filepath.Join(scratch, "data", "blobs"), db: filepath.Join(scratch, "db")}
	rep, st, err := r.Drill(ctx, snap, sink, progress)
	if err != nil {
		return nil, err
	}
	run.Files, run.Bytes = st.Files, st.Bytes
	run.Detail = fmt.Sprintf("%d files restored into a scratch folder and checked", st.Files)
	// The restored database opens and its journal verifies.
	if dbf := filepath.Join(scratch, "db", "preau.db"); fileExists(dbf) {
		msg, err := verifyRestoredDB(ctx, dbf, filepath.Join(scratch, "data"))
		if err != nil {
			rep.Problems = append(rep.Problems, "restored database: "+err.Error())
		} else {
			run.Detail += "; " + msg
		}
	}
	return rep, nil
}

// verifyRestoredDB opens a restored SQLite database and verifies its
// journal with the restored journal key.
func verifyRestoredDB(ctx context.Context, dbFile, data string) (string, error) {
	key, err := loadOrCreateKeyNoCreate(filepath.Join(data, "keys", "journal.ed25519"))
	if err != nil {
		return "", err
	}
	db, err := store.Open(ctx, store.Config{DSN: dbFile, DataDir: data})
	if err != nil {
		return "", err
	}
	defer db.Close()
	rep, err := db.VerifyJournal(ctx, key.Public().(ed25519.PublicKey), nil)
	if err != nil {
		return "", err
	}
	if len(rep.Problems) > 0 {
		return "", fmt.Errorf("journal does not verify: %s", rep.Problems[0])
	}
	return fmt.Sprintf("database opens, journal verifies (%d entries)", rep.Entries), nil
}

func loadOrCreateKeyNoCreate(p string) (ed25519.PrivateKey, error) {
	if !fileExists(p) {
		return nil, fmt.Errorf("no journal key in the backup (%s)", p)
	}
	return loadOrCreateKey(p)
}

// readIdentities reads the recovery key ("-": standard input), or
// rebuilds it from the two shares of the two-person procedure.
func readIdentities(env Env, keyFiles []string) ([]age.Identity, error) {
	var texts []string
	for _, kf := range keyFiles {
		var b []byte
		var err error
		if kf == "-" {
			b, err = io.ReadAll(io.LimitReader(env.Stdin, 1<<16))
		} else {
			b, err = os.ReadFile(kf)
		}
		if err != nil {
			return nil, core.E("backup.key", core.Invalid, "cannot read the recovery key file: %v", err)
		}
		texts = append(texts, string(b))
	}
	switch {
	case len(texts) == 2 && backup.IsShare(texts[0]) && backup.IsShare(texts[1]):
		return backup.CombineShares(texts[0], texts[1])
	case len(texts) == 1 && backup.IsShare(texts[0]):
		return nil, core.E("backup.key", core.Invalid, "this is one share of a two-person key: give both with --key SHARE1 --key SHARE2")
	case len(texts) == 1:
		return backup.ParseIdentities(strings.NewReader(texts[0]))
	}
	return nil, core.E("backup.key", core.Invalid, "give one recovery key file, or the two shares of a two-person key")
}

// receiverTLS uses the given certificate, or the data folder's own (the
// Préau CA that senders pin with --ca).
func (b *base) receiverTLS(cert, key, listen string) (*tls.Config, error) {
	hosts := tlsHosts(b.cfg)
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	p, err := pki.Load(pki.Config{CertFile: cert, KeyFile: key, Hosts: hosts}, filepath.Join(b.cfg.Data, "tls"), b.clock)
	if err != nil {
		return nil, fmt.Errorf("preparing TLS: %w", err)
	}
	return p.TLSConfig(), nil
}

func (b *base) backupPrune(ctx context.Context, env Env, f backupFlags) error {
	pol, err := b.db.BackupPolicy(ctx, "")
	if err != nil {
		pol = backup.DefaultPolicy()
	}
	ret := pol.Retention
	for _, o := range []struct {
		v   int
		dst *int
	}{{f.last, &ret.Last}, {f.daily, &ret.Daily}, {f.weekly, &ret.Weekly}, {f.monthly, &ret.Monthly}, {f.yearly, &ret.Yearly}} {
		if o.v >= 0 {
			*o.dst = o.v
		}
	}
	run := &backup.Run{Op: backup.OpPrune, Repo: f.repo, Started: b.clock.Now()}
	be, err := openBackend(f.repo, remoteOpts{token: f.token, ca: f.ca, cert: f.clientCert})
	if err != nil {
		return err
	}
	var rep *backup.PruneReport
	r, err := backup.Open(ctx, be)
	if err == nil {
		rep, err = r.Prune(ctx, ret, b.clock.Now(), f.dryRun)
	}
	run.Finished = b.clock.Now()
	run.Result = "done"
	if err != nil {
		run.Result, run.Detail = "failed", err.Error()
	} else {
		run.Detail = fmt.Sprintf("kept %d snapshots, forgot %d, removed %d packs (%s)", rep.Kept, rep.Forgotten, rep.PacksRemoved, humanBytes(rep.BytesRemoved))
		if f.dryRun {
			run.Detail = "dry run: " + run.Detail
		}
		run.RepoBytes = repoSize(ctx, be)
	}
	if !f.dryRun || err != nil {
		if rerr := b.db.RecordBackupRun(ctx, run); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, run.Detail)
	return nil
}

func (b *base) backupReceive(ctx context.Context, env Env, f backupFlags) error {
	if f.root == "" || (f.tokens == "" && !f.requireCert) {
		return usageErr("receive needs --root DIR and --tokens FILE (or --require-cert: sender certificates only)")
	}
	toks := map[string]string{}
	if f.tokens != "" {
		tf, err := os.Open(f.tokens)
		if err != nil {
			return err
		}
		toks, err = backupd.ParseTokens(tf)
		tf.Close()
		if err != nil {
			return err
		}
	}
	tlsCfg, err := b.receiverTLS(f.cert, f.ky, f.listen)
	if err != nil {
		return err
	}
	// Senders may present a certificate of the receiver's sender CA
	// (mutual TLS); with --require-cert they must.
	ca, err := backupd.LoadOrCreateSenderCA(filepath.Join(b.cfg.Data, "keys"), b.clock.Now())
	if err != nil {
		return err
	}
	tlsCfg = backupd.RequireClientCerts(tlsCfg, ca, f.requireCert)
	srv := &backupd.Server{Root: f.root, Tokens: toks, Log: b.log, RequireCert: f.requireCert,
		Journal: func(ctx context.Context, sender, action, object, result string) {
			jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("backup-sender:"+sender, core.ChannelJob))
			_ = b.db.RecordBackupRun(jctx, &backup.Run{Op: "receive", Repo: filepath.Join(f.root, sender), Result: "failed",
				Detail: action + " " + object + ": " + result})
		}}
	// The receiver prunes on its own policy (the --keep-* flags), never on
	// the senders' word: once at start, then daily.
	ret := backup.Retention{Last: max(f.last, 0), Daily: max(f.daily, 0), Weekly: max(f.weekly, 0),
		Monthly: max(f.monthly, 0), Yearly: max(f.yearly, 0)}
	if !ret.KeepsAll() {
		go b.receiverPrune(ctx, f.root, ret)
	}
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup receiver on https://%s (append-only; %d senders)\n", l.Addr(), len(toks))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return srv.Serve(tlsListener(l, tlsCfg))
}

func (b *base) backupPolicy(ctx context.Context, env Env, f backupFlags, sub string) error {
	est := ""
	if f.est != "" {
		e, err := b.dir.Establishment(ctx, f.est)
		if err != nil {
			return err
		}
		est = e.ID
	}
	p, err := b.db.BackupPolicy(ctx, est)
	if core.IsKind(err, core.NotFound) {
		p, err = backup.DefaultPolicy(), nil
		p.Establishment = est
	}
	if err != nil {
		return err
	}
	if sub == "set" {
		if f.repo != "" {
			p.Repo = f.repo
		}
		if f.schedule != "" {
			p.Schedule = f.schedule
		}
		if f.checkSchedule != "" {
			p.CheckSchedule = f.checkSchedule
		}
		if f.fullEvery >= 0 {
			p.FullEvery = f.fullEvery
		}
		if f.drillDays >= 0 {
			p.DrillDays = f.drillDays
		}
		if len(f.include) > 0 {
			p.Include = f.include
		}
		if len(f.exclude) > 0 {
			p.Exclude = f.exclude
		}
		if f.rate != "" {
			r, err := backup.ParseRate(f.rate)
			if err != nil {
				return err
			}
			p.RateLimit = r
		}
		switch f.window {
		case "":
		case "none":
			p.Window = ""
		default:
			p.Window = f.window
		}
		if f.clientCert != "" {
			p.ClientCert, _ = filepath.Abs(f.clientCert)
		}
		if f.ca != "" {
			p.CA, _ = filepath.Abs(f.ca)
		}
		for _, d := range []struct {
			name, v string
			dst     *time.Time
		}{{"modified-since", f.since, &p.ModifiedSince}, {"modified-before", f.before, &p.ModifiedBefore}} {
			switch d.v {
			case "":
			case "none":
				*d.dst = time.Time{}
			default:
				t, err := parseTimeFlag(d.name, d.v)
				if err != nil {
					return err
				}
				*d.dst = t
			}
		}
		if err := p.Validate(); err != nil {
			return err
		}
		for _, o := range []struct {
			v   int
			dst *int
		}{{f.last, &p.Retention.Last}, {f.daily, &p.Retention.Daily}, {f.weekly, &p.Retention.Weekly},
			{f.monthly, &p.Retention.Monthly}, {f.yearly, &p.Retention.Yearly}} {
			if o.v >= 0 {
				*o.dst = o.v
			}
		}
		p.Enabled = !f.disable
		if err := b.db.PutBackupPolicy(ctx, p); err != nil {
			return err
		}
	} else if sub != "show" {
		return usageErr("preau backup policy show|set")
	}
	out, _ := json.MarshalIndent(p, "", "  ")
	fmt.Fprintln(env.Stdout, string(out))
	return nil
}

// receiverPrune prunes every sender's repository under root with the
// receiver's retention, daily, and journals each prune.
func (b *base) receiverPrune(ctx context.Context, root string, ret backup.Retention) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:backup-receiver", core.ChannelJob))
	for {
		es, _ := os.ReadDir(root)
		for _, e := range es {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(root, e.Name())
			run := &backup.Run{Op: backup.OpPrune, Repo: dir, Started: b.clock.Now(), Result: "done"}
			r, err := backup.Open(jctx, backup.Local{Root: dir})
			var rep *backup.PruneReport
			if err == nil {
				rep, err = r.Prune(jctx, ret, b.clock.Now(), false)
			}
			if err != nil {
				run.Result, run.Detail = "failed", err.Error()
			} else {
				run.Detail = fmt.Sprintf("receiver policy: kept %d snapshots, forgot %d, %d incomplete not counted, removed %d packs",
					rep.Kept, rep.Forgotten, rep.Incomplete, rep.PacksRemoved)
			}
			run.Finished = b.clock.Now()
			if ctx.Err() == nil {
				_ = b.db.RecordBackupRun(jctx, run)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

// backupReceiverCert issues, on the receiver, a sender's client
// certificate from its sender CA, valid two years, written with its key to
// --out (mode 0600) for the school to use with --client-cert; journaled.
func (b *base) backupReceiverCert(ctx context.Context, env Env, f backupFlags) error {
	if f.sender == "" || f.out == "" {
		return usageErr("receiver-cert needs --sender NAME and --out FILE")
	}
	ca, err := backupd.LoadOrCreateSenderCA(filepath.Join(b.cfg.Data, "keys"), b.clock.Now())
	if err != nil {
		return err
	}
	pemb, err := ca.Issue(f.sender, b.clock.Now(), 2*365*24*time.Hour)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(f.out, 0o600, true, func(w io.Writer) error { _, err := w.Write(pemb); return err }); err != nil {
		return err
	}
	_ = b.db.RecordBackupRun(ctx, &backup.Run{Op: "receiver-cert", Repo: f.sender, Result: "done",
		Detail: "sender certificate issued for " + f.sender + ", valid two years"})
	fmt.Fprintf(env.Stdout, "sender certificate for %s written to %s (certificate and key; valid two years).\n"+
		"Give it to the school over a trusted channel; it sends with --client-cert %s.\n", f.sender, f.out, filepath.Base(f.out))
	return nil
}
