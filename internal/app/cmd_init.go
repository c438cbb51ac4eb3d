// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
)

// initFlags are the answers `preau init` needs; missing ones are asked on
// standard input.
type initFlags struct {
	globals
	uai, typ, name, academie, domain string
	headLogin, headGiven, headFamily string
	adminLogin, adminGiven           string
	hosts, relay, from               string
	zones                            multiFlag
}

// multiFlag is a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runInit(ctx context.Context, env Env, args []string) error {
	var f initFlags
	fs := flag.NewFlagSet("preau init", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.register(fs)
	fs.StringVar(&f.uai, "uai", "", "UAI of the establishment (7 digits and the check letter)")
	fs.StringVar(&f.typ, "type", "", "ecole, college, lycee, lp, erea or other")
	fs.StringVar(&f.name, "name", "", "name of the establishment")
	fs.StringVar(&f.academie, "academie", "", "académie")
	fs.StringVar(&f.domain, "domain", "", "mail and web domain of the establishment")
	fs.StringVar(&f.headLogin, "head", "", "login of the head (chef d'établissement or directeur)")
	fs.StringVar(&f.headGiven, "head-given", "", "given name of the head")
	fs.StringVar(&f.headFamily, "head-family", "", "family name of the head")
	fs.StringVar(&f.adminLogin, "admin", "", "login of the technical admin (default admin)")
	fs.StringVar(&f.adminGiven, "admin-name", "", "full name of the technical admin")
	fs.StringVar(&f.hosts, "hosts", "", "host names and addresses of this server, comma-separated (for its certificate)")
	fs.StringVar(&f.relay, "relay", "", "outbound mail relay host:port (empty: no mail)")
	fs.StringVar(&f.from, "from", "", "sender address of notifications")
	fs.Var(&f.zones, "zone", "network zone NAME=CIDR[,CIDR…], repeatable (admin, peda, wifi, byod, guest, servers)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	in := bufio.NewReader(env.Stdin)
	ask := func(v *string, question, def string) error {
		if *v != "" {
			return nil
		}
		if def != "" {
			question += " [" + def + "]"
		}
		fmt.Fprint(env.Stdout, question+": ")
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			if def == "" && err == io.EOF {
				return usageErr("%s: no answer on standard input; give it as a flag", question)
			}
			line = def
		}
		*v = line
		return nil
	}
	for _, q := range []struct {
		v        *string
		question string
		def      string
	}{
		{&f.uai, "UAI of the establishment", ""}, {&f.typ, "Type (ecole, college, lycee, lp, erea)", "college"},
		{&f.name, "Name of the establishment", ""}, {&f.academie, "Académie", ""},
		{&f.domain, "Domain (mail and web)", ""}, {&f.headLogin, "Login of the head", ""},
		{&f.headGiven, "Given name of the head", ""}, {&f.headFamily, "Family name of the head", ""},
		{&f.adminLogin, "Login of the technical admin", "admin"}, {&f.hosts, "Host names of this server", "localhost"},
	} {
		if err := ask(q.v, q.question, q.def); err != nil {
			return err
		}
	}
	return doInit(ctx, env, f)
}

func doInit(ctx context.Context, env Env, f initFlags) error {
	cfg, err := loadConfig(f.globals, env.Getenv)
	if err != nil {
		return err
	}
	if err := writeBootstrap(cfg, f); err != nil {
		return err
	}
	b, err := openBase(ctx, cfg, slog.New(slog.DiscardHandler), core.SystemClock{})
	if err != nil {
		return err
	}
	defer b.Close()
	ctx, _ = b.cliContext(ctx, "")
	e := &directory.Establishment{UAI: f.uai, Type: directory.EstablishmentType(lower(f.typ)), Name: f.name,
		Academie: f.academie}
	if f.domain != "" {
		e.Domains = []string{f.domain}
	}
	if existing, err := b.dir.Establishment(ctx, f.uai); err == nil {
		e = existing
		fmt.Fprintf(env.Stdout, "Establishment %s already exists.\n", e.UAI)
	} else if err := b.dir.CreateEstablishment(ctx, e); err != nil {
		return err
	} else {
		fmt.Fprintf(env.Stdout, "Created establishment %s (%s).\n", e.UAI, e.Name)
	}
	for _, z := range f.zones {
		name, cidrs, ok := strings.Cut(z, "=")
		if !ok {
			return usageErr("--zone %q: expected NAME=CIDR[,CIDR…]", z)
		}
		prefixes, err := directory.ParseCIDRs(strings.Split(cidrs, ","))
		if err != nil {
			return err
		}
		if err := b.dir.PutZone(ctx, &directory.Zone{Establishment: e.ID, Name: lower(name), CIDRs: prefixes}); err != nil {
			return err
		}
	}
	if err := initAccount(ctx, b, env.Stdout, &directory.Person{Login: f.headLogin, GivenName: f.headGiven,
		FamilyName: f.headFamily, Profile: core.ProfileHead, Establishments: []string{e.ID}}); err != nil {
		return err
	}
	given, family := splitName(f.adminGiven)
	if err := initAccount(ctx, b, env.Stdout, &directory.Person{Login: f.adminLogin, GivenName: given,
		FamilyName: family, Profile: core.ProfileAdmin, Establishments: []string{e.ID}}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nStart Préau with: preau serve --data %s\n", cfg.Data)
	return nil
}

// initAccount creates an account with a generated password printed once,
// to be changed at first login; an existing account gets the establishment.
func initAccount(ctx context.Context, b *base, out io.Writer, p *directory.Person) error {
	if cur, err := b.dir.Person(ctx, p.Login); err == nil {
		ests := slices.Clone(cur.Establishments)
		for _, e := range p.Establishments {
			if !slices.Contains(ests, e) {
				ests = append(ests, e)
			}
		}
		if len(ests) == len(cur.Establishments) {
			fmt.Fprintf(out, "Account %s exists: already attached to the establishment.\n", cur.Login)
			return nil
		}
		if _, err := b.dir.UpdatePerson(ctx, cur.ID, directory.PersonUpdate{Establishments: &ests}); err != nil {
			return err
		}
		fmt.Fprintf(out, "Account %s exists: attached to the establishment.\n", cur.Login)
		return nil
	}
	pw := auth.GeneratePassword()
	p.MustChangePassword = true
	if err := b.dir.CreatePerson(ctx, p, b.auth.Hash(pw)); err != nil {
		return err
	}
	fmt.Fprintf(out, "Account %-12s (%s) initial password, shown once, to change at first login: %s\n", p.Login, p.Profile, pw)
	return nil
}

func splitName(full string) (string, string) {
	full = strings.TrimSpace(full)
	if full == "" {
		return "Administrateur", "Technique"
	}
	given, family, ok := strings.Cut(full, " ")
	if !ok {
		return full, full
	}
	return given, family
}

// writeBootstrap writes <data>/preau.toml with the host names and the mail
// relay, unless a config file exists already.
func writeBootstrap(cfg config.File, f initFlags) error {
	path := filepath.Join(cfg.Data, "preau.toml")
	if fileExists(path) {
		return nil
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	var hosts []string
	for _, h := range strings.Split(f.hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	doc := struct {
		SchemaVersion int `toml:"schema_version"`
		TLS           struct {
			Hosts []string `toml:"hosts"`
		} `toml:"tls"`
		Mail struct {
			Relay string `toml:"relay,omitempty"`
			From  string `toml:"from,omitempty"`
		} `toml:"mail"`
	}{SchemaVersion: config.CurrentSchemaVersion}
	doc.TLS.Hosts = hosts
	doc.Mail.Relay, doc.Mail.From = f.relay, f.from
	return fsutil.WriteFile(path, 0o600, true, func(w io.Writer) error {
		io.WriteString(w, "# Préau bootstrap configuration, written by `preau init`.\n# Settings edited in the admin console live in the database, not here.\n")
		return toml.NewEncoder(w).Encode(doc)
	})
}
