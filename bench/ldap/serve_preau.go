// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/store"
)

// servePreau is the child process that serves Préau's LDAP view, wired as
// internal/app/ldap.go does (without TLS: plain binds are allowed from
// loopback). It runs in a process of its own, like slapd, so that the
// clients' goroutines and garbage do not share its runtime. It prints
// "LISTEN <addr> <view load seconds>" on stdout, then obeys lines on stdin:
// "profile <file>" starts a CPU profile, "stop" ends it, "allocs <file>"
// writes the allocation profile, "runtime" answers with what the Go runtime
// did since the last "runtime" (rtstats.go); end of input shuts
// the server down.
func servePreau(dataDir, base string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, Log: log})
	if err != nil {
		return err
	}
	defer db.Close()
	var cfg auth.Config
	cfg.Defaults()
	clock := core.SystemClock{}
	a := auth.New(cfg, auth.Deps{Store: db, Clock: clock, Log: log})
	d := directory.New(directory.Deps{Store: db, Clock: clock, Log: log})
	start := time.Now()
	loader := dirldap.NewLoader(db, base, clock, log)
	if err := loader.Load(ctx); err != nil {
		return fmt.Errorf("loading the LDAP view: %w", err)
	}
	srv, err := ldapd.New(ldapd.Config{BaseDN: base, Vendor: "Préau bench"},
		dirldap.NewDirectory(loader, a, d, db, log), log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("LISTEN %s %.3f\n", ln.Addr(), time.Since(start).Seconds())
	var prof *os.File
	stop := func() {
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
			prof = nil
		}
	}
	defer stop()
	rt := newRTStats()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "profile":
			stop()
			if prof, err = os.Create(arg); err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		case "stop":
			stop()
		case "allocs": // the allocation profile since the start (pprof -sample_index=alloc_space)
			f, err := os.Create(arg)
			if err != nil {
				return err
			}
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
			if err != nil {
				return err
			}
		case "runtime": // what the runtime did since the last "runtime"
			fmt.Println("OK " + rt.report())
			continue
		}
		fmt.Println("OK") // the parent waits for it, so the profile covers its run
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
