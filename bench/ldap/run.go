// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirldap"
)

// bench is one run: the directory, both servers and the figures.
type bench struct {
	o        options
	log      *slog.Logger
	preauDir string // Préau's data folder
	slapdDir string // slapd's configuration, LDIF and database

	p      *population
	hash   map[string]string // argon2id hashes of the bind users and the reader
	shared string            // the hash everybody else gets
	snap   *dirldap.Snapshot // Préau's view, also the source of the LDIF
	scheme string            // slapd's password scheme, as said in the output

	pre     *preauServer
	sl      *slapd
	servers []server // Préau then slapd
	rep     report
}

// run does the whole benchmark; every server it starts and every file it
// writes is stopped or removed on return, error or interrupt included.
func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "preau-bench-ldap-")
	if err != nil {
		return err
	}
	if o.keep {
		say("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	b := &bench{o: o, log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		preauDir: filepath.Join(tmp, "preau"), slapdDir: filepath.Join(tmp, "slapd")}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	if err := b.load(ctx); err != nil {
		return err
	}
	defer b.stopServers()
	if err := b.startServers(); err != nil {
		return err
	}
	if err := b.measureAll(ctx); err != nil {
		return err
	}
	b.rep.print(os.Stdout, b.scheme, b.o.placement())
	return nil
}

// load generates the directory, loads it into Préau's store, builds the
// view, writes it as LDIF and slapadds it.
func (b *bench) load(ctx context.Context) error {
	if err := os.MkdirAll(b.slapdDir, 0o700); err != nil {
		return err
	}
	b.p = generate(b.o.seed, core.SchoolYear(time.Now()))
	p := b.p
	say("generated %d people (%d classes of %d pupils), %d groups, %d memberships, %d bind users",
		len(p.people), len(p.classes), classSize, len(p.groups), len(p.members), len(p.bindUsers))
	t := time.Now()
	b.hash, b.shared = hashes(p)
	say("hashed %d passwords (argon2id m=19456,t=2,p=1) in %.1f s, not counted in the load",
		len(b.hash)+1, time.Since(t).Seconds())

	var loadTime, peopleTime, viewTime time.Duration
	err := profiled(b.o.profileDir, "preau-load.pprof", func() (err error) {
		loadTime, peopleTime, err = loadPreau(ctx, b.preauDir, p, b.hash, b.shared, b.log)
		return err
	})
	if err != nil {
		return err
	}
	say("Préau store load (SQLite, every change journaled): %.2f s, of which the %d people %.2f s",
		loadTime.Seconds(), len(p.people), peopleTime.Seconds())
	heap0 := liveHeap()
	err = profiled(b.o.profileDir, "preau-view.pprof", func() (err error) {
		b.snap, viewTime, err = snapshotOf(ctx, b.preauDir, b.o.base, b.log)
		return err
	})
	if err != nil {
		return err
	}
	say("Préau LDAP view: %d entries built in %.2f s, %.0f MiB of live heap (mostly pointer-free: flat.go)",
		b.snap.Len(), viewTime.Seconds(), float64(liveHeap()-heap0)/(1<<20))

	argon2 := hasArgon2()
	b.scheme = "{ARGON2} (Debian's argon2 module), the same argon2id hashes as Préau (m=19456,t=2,p=1)"
	if !argon2 {
		b.scheme = "{SSHA}: Debian's slapd has no argon2 module here (" + moduleDir + "/argon2.so); binds are NOT comparable"
	}
	ldif := filepath.Join(b.slapdDir, "data.ldif")
	n, err := writeLDIF(ldif, b.snap, func(login string) string {
		phc := b.hash[login]
		if phc == "" {
			phc = b.shared
		}
		return slapdPassword(phc, p.passwords[login], argon2)
	})
	if err != nil {
		return err
	}
	slapaddTime, err := setupSlapd(b.slapdDir, b.o.base, ldif, argon2)
	if err != nil {
		return err
	}
	say("slapd: slapadd -q of %d entries: %.2f s; password scheme %s", n, slapaddTime.Seconds(), b.scheme)
	b.rep.add("ldap-load-20k", loadTime.Seconds(), slapaddTime.Seconds(), "s")
	return nil
}

// startServers starts Préau then slapd and times both starts.
func (b *bench) startServers() error {
	t := time.Now()
	var err error
	if b.pre, err = startPreau(b.preauDir, b.o.base, b.o.serverProcs); err != nil {
		return err
	}
	preauStart := time.Since(t)
	say("Préau serving on %s after %.2f s (view load %.2f s)", b.pre.addr, preauStart.Seconds(), b.pre.viewLoad)
	sl, slapdStart, err := startSlapd(b.slapdDir)
	if err != nil {
		return err
	}
	b.sl = sl
	say("slapd serving on %s after %.2f s", sl.addr, slapdStart.Seconds())
	b.servers = []server{{"preau", b.pre.addr, b.pre.pid()}, {"slapd", sl.addr, sl.pid()}}
	b.rep.add("ldap-start-20k", preauStart.Seconds(), slapdStart.Seconds(), "s")
	return nil
}

func (b *bench) stopServers() {
	if b.pre != nil {
		b.pre.stop()
	}
	b.sl.stop()
}
