// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/store"
)

// base is what every command needs: the store and the domain services.
type base struct {
	cfg   config.File
	log   *slog.Logger
	clock core.Clock
	db    *store.DB
	key   ed25519.PrivateKey
	auth  *auth.Service
	dir   *directory.Service
	glass *breakglass.Service

	mailer   *notify.Mailer   // outbound mail (alerts)
	notifier *notify.Notifier // notices and mail to people
}

// openBase opens the data folder, the database (migrating it) and builds
// the domain services.
func openBase(ctx context.Context, cfg config.File, log *slog.Logger, clock core.Clock) (*base, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	keyFile := cfg.Journal.KeyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.Data, "keys", "journal.ed25519")
	}
	key, err := loadOrCreateKey(keyFile)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Config{DSN: cfg.DB, DataDir: cfg.Data, JournalKey: key, Clock: clock, Log: log})
	if err != nil {
		return nil, err
	}
	mailer := notify.New(notify.MailConfig{Relay: cfg.Mail.Relay, From: cfg.Mail.From, Username: cfg.Mail.Username,
		Password: cfg.Mail.Password, TLS: cfg.Mail.TLS, Timeout: cfg.Mail.Timeout}, clock, log.With("svc", "mail"))
	notifier := notify.NewNotifier(mailer, db, clock, log.With("svc", "notify"))
	a := auth.New(cfg.Auth, auth.Deps{Store: db, Clock: clock, Log: log.With("svc", "auth"),
		Notifier: personNotifier{notifier}})
	d := directory.New(directory.Deps{Store: db, Clock: clock, Log: log.With("svc", "directory"), ZonesChanged: a.ForgetZones})
	bg := breakglass.New(breakglass.Deps{Store: db, People: db, Clock: clock, Log: log.With("svc", "breakglass"),
		Mail: noticeMailer{db: db, mailer: mailer, log: log.With("svc", "notify")}})
	return &base{cfg: cfg, log: log, clock: clock, db: db, key: key, auth: a, dir: d, glass: bg,
		mailer: mailer, notifier: notifier}, nil
}

func (b *base) Close() error { return b.db.Close() }

// personNotifier adapts the notifier to what auth asks for.
type personNotifier struct{ n *notify.Notifier }

func (p personNotifier) NotifyPerson(ctx context.Context, person *directory.Person, subject, body string) error {
	return p.n.Notify(ctx, notify.Recipient{PersonID: person.ID, Login: person.Login, Mail: person.Mail,
		Establishment: person.MainEstablishment()}, subject, body)
}

// loadOrCreateKey reads the deployment's Ed25519 key (PKCS#8 PEM), creating
// it with mode 0600 on first use. It signs journal checkpoints.
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the journal key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("journal key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("journal key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("journal key %s: not an Ed25519 key", path)
	}
	return ek, nil
}

func createKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(path, 0o600, true, func(w io.Writer) error {
		_, err := w.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		return err
	}); err != nil {
		return nil, fmt.Errorf("creating the journal key: %w", err)
	}
	// Another process may have won the race: use whatever is on disk.
	return loadOrCreateKey(path)
}

// newLogger returns the process logger.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// cliContext returns ctx acting as the CLI: a system principal, or the
// named person when --as is given (then their rights apply and refusals are
// journaled like any other).
func (b *base) cliContext(ctx context.Context, as string) (context.Context, error) {
	if as == "" {
		login := "cli"
		if u := os.Getenv("USER"); u != "" {
			login = "cli:" + u
		}
		return core.ContextWithPrincipal(ctx, core.SystemPrincipal(login, core.ChannelCLI)), nil
	}
	p, err := b.auth.PrincipalForLogin(ctx, as)
	if err != nil {
		return nil, fmt.Errorf("--as %s: %w", as, err)
	}
	p.Channel = core.ChannelCLI
	return core.ContextWithPrincipal(ctx, p), nil
}

// openCLI loads the configuration and opens the data folder for a command,
// acting as the system (or as the admin named by as).
func openCLI(ctx context.Context, env Env, g globals, as string) (*base, context.Context, error) {
	cfg, err := loadConfig(g, env.Getenv)
	if err != nil {
		return nil, nil, err
	}
	b, err := openBase(ctx, cfg, slog.New(slog.DiscardHandler), core.SystemClock{})
	if err != nil {
		return nil, nil, err
	}
	ctx, err = b.cliContext(ctx, as)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return b, ctx, nil
}
