// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package app is the only package that imports everything: it parses the
// command line, loads the configuration, builds every service in dependency
// order, owns the listeners and runs the lifecycle. It holds no business
// logic; services do.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/preau/preau/internal/config"
)

// Version is set at build time with -ldflags "-X github.com/preau/preau/internal/app.Version=…".
var Version = "dev"

// Env is what a command gets from the outside world.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run every enabled service", runServe},
		{"demo", "serve a demo deployment (three schools), generated on first start", runDemo},
		{"init", "set up a real deployment: first establishment, head and admin accounts", runInit},
		{"import", "import SIECLE, STS-Web, AAF or CSV files into an establishment's directory", runImport},
		{"export", "export the directory without secrets: LDIF, CSV or OneRoster 1.1", runExport},
		{"user", "manage accounts: add, list, show, disable, enable, reset-password, reset-2fa, token", runUser},
		{"sso", "applications that sign in through Préau (OIDC, CAS): add, list, remove", runSSO},
		{"journal", "audit journal: verify, export, purge", runJournal},
		{"logs", "sealed log store: verify, search, archive, purge, retention, stats", runLogs},
		{"compliance", "the live CARINE compliance report: CSV, HTML or PDF", runCompliance},
		{"breakglass", "break-glass accesses to private content: list", runBreakGlass},
		{"files", "file storage: scrub, spaces, quota, maintain", runFiles},
		{"filter", "content filter: import-lists, check (why is this URL blocked?), status", runFilter},
		{"charter", "charters and policy documents: list, publish, stats", runCharter},
		{"backup", "encrypted, deduplicated backups: init, run, list, check, prune, receive", runBackupCmd},
		{"restore", "restore a deployment (disaster) or some files (selective) from a backup", runRestore},
		{"version", "print the version", runVersion},
	}
}

// Run runs the preau command line. args excludes the program name.
func Run(ctx context.Context, args []string, env Env) error {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Préau — the digital infrastructure of a school, in one binary.\n\nUsage: preau COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nGlobal flags (anywhere after the command): --data DIR, --config FILE, --db DSN, --blobs URL.\nRun 'preau COMMAND -h' for a command's flags.")
}

// globals are the flags every command accepts (design §4).
type globals struct {
	data, config, db, blobs string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.data, "data", "", "data folder (default ./preau-data, env PREAU_DATA)")
	fs.StringVar(&g.config, "config", "", "config file (default <data>/preau.toml when it exists)")
	fs.StringVar(&g.db, "db", "", "database: SQLite file or postgres://… (default SQLite in the data folder)")
	fs.StringVar(&g.blobs, "blobs", "", "blob store: folder or s3://bucket/prefix?endpoint=… (default the data folder)")
}

// parseInterspersed parses flags that may appear anywhere among the
// positional arguments ("preau import siecle FILE --data DIR" equals
// "preau import --data DIR siecle FILE"). "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// loadConfig loads the configuration for a command: defaults, the config
// file (--config, or <data>/preau.toml when present), the environment, then
// the global flags.
func loadConfig(g globals, getenv func(string) string) (config.File, error) {
	data := g.data
	if data == "" {
		data = getenv("PREAU_DATA")
	}
	path := g.config
	if path == "" {
		d := data
		if d == "" {
			d = config.Default().Data
		}
		if p := filepath.Join(d, "preau.toml"); fileExists(p) {
			path = p
		}
	}
	f, err := config.Load(path, getenv)
	if err != nil {
		return f, err
	}
	if g.data != "" {
		f.Data = g.data
	}
	if g.db != "" {
		f.DB = g.db
	}
	if g.blobs != "" {
		f.Blobs = g.blobs
	}
	return f, f.Validate()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// errUsage marks a command-line mistake; main prints it with the usage.
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func runVersion(ctx context.Context, env Env, args []string) error {
	fmt.Fprintf(env.Stdout, "preau %s\n", Version)
	return nil
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
