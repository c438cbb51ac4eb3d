// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/direxport"
	"github.com/preau/preau/internal/directory/dirldap"
)

func runExport(ctx context.Context, env Env, args []string) error {
	var g globals
	var uai, out string
	fs := flag.NewFlagSet("preau export", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&uai, "uai", "", "only this establishment")
	fs.StringVar(&out, "out", "", "output file (ldif, csv; default standard output) or folder (oneroster, required)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau export ldif|csv|oneroster [--uai UAI] [--out PATH]\n\n"+
			"Exports carry no secret: no password hash, no token. OneRoster 1.1 bulk CSV goes to a folder.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !slices.Contains([]string{"ldif", "csv", "oneroster"}, pos[0]) {
		fs.Usage()
		return usageErr("preau export needs one of ldif, csv, oneroster")
	}
	b, ctx, err := openCLI(ctx, env, g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	var ests []string
	if uai != "" {
		e, err := b.dir.Establishment(ctx, uai)
		if err != nil {
			return err
		}
		ests = []string{e.ID}
	}
	d, err := dirldap.LoadData(ctx, b.db, core.SchoolYear(b.clock.Now()))
	if err != nil {
		return err
	}
	if pos[0] == "oneroster" {
		if out == "" {
			return usageErr("oneroster needs --out FOLDER")
		}
		if err := direxport.WriteOneRoster(out, d, ests, b.clock.Now()); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "OneRoster 1.1 CSV written to %s\n", out)
		return nil
	}
	w := env.Stdout
	if out != "" {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if pos[0] == "csv" {
		var people []*directory.Person
		for _, p := range d.People {
			if ests == nil || slices.ContainsFunc(p.Establishments, func(e string) bool { return slices.Contains(ests, e) }) {
				people = append(people, p)
			}
		}
		return printPeople(ctx, b, w, "csv", people)
	}
	keep := func(e *dirldap.Entry) bool {
		if ests == nil || e.Establishments() == nil {
			return true
		}
		return slices.ContainsFunc(e.Establishments(), func(x string) bool { return slices.Contains(ests, x) })
	}
	return direxport.WriteLDIF(w, dirldap.Build(b.cfg.LDAP.BaseDN, d), keep)
}
