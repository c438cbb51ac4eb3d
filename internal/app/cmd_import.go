// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/importer"
)

// importFlags are the flags of `preau import`.
type importFlags struct {
	globals
	as, mode, credentials string
	dryRun, confirm       bool
	rollover, verbose     bool
}

func runImport(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "declare" {
		return runImportDeclare(ctx, env, args[1:])
	}
	var f importFlags
	fs := flag.NewFlagSet("preau import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.register(fs)
	fs.StringVar(&f.as, "as", "", "act as this admin instead of as the system")
	fs.StringVar(&f.mode, "mode", "partial", "full (the files are the whole truth: people missing from them are disabled) or partial (add and update only)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "show what would change, change nothing")
	fs.BoolVar(&f.confirm, "confirm-disable", false, "go on when a full import would disable more than 10% of the accounts")
	fs.BoolVar(&f.rollover, "rollover", false, "school-year rollover: import the SIECLE/STS files of the next school year in full mode, archiving last year's classes (preview with --dry-run)")
	fs.StringVar(&f.credentials, "credentials", "", "write the initial passwords of created accounts to this CSV file (mode 0600) instead of the terminal")
	fs.BoolVar(&f.verbose, "v", false, "list every change, not only the first 20 of each kind")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau import [siecle|sts|aaf|csv|ldif] FILE... [--mode full|partial] [--dry-run]\n"+
			"       preau import declare [csv|ldif] --uai UAI --justification TEXT --reference REF\n\n"+
			"Files of one establishment: SIECLE ElevesSansAdresses.xml (and Structures.xml, Nomenclature.xml),\n"+
			"STS-Web sts_emp_<UAI>_<year>.xml, AAF Complet or Delta files, or CSV (columns in the documentation).\n"+
			"CSV and LDIF are not national sources: declare them first (CARINE INF-ANN-7).\n"+
			"Birth dates, addresses, phones and guardians are dropped while reading and never stored.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	var want importer.Source
	if len(pos) > 0 && slices.Contains([]string{"siecle", "sts", "aaf", "csv", "ldif"}, pos[0]) {
		want, pos = importer.Source(pos[0]), pos[1:]
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("preau import needs at least one FILE")
	}
	if f.mode != string(dirsync.Full) && f.mode != string(dirsync.Partial) {
		return usageErr("--mode must be full or partial")
	}
	batch, err := parseFiles(pos, want)
	if err != nil {
		return err
	}
	b, ctx, err := openCLI(ctx, env, f.globals, f.as)
	if err != nil {
		return err
	}
	defer b.Close()
	p := core.PrincipalFromContext(ctx)
	eng := &dirsync.Engine{Store: b.db, Clock: b.clock, Hash: b.auth.Hash}
	plan, err := eng.Plan(ctx, dirsync.FromBatch(batch), dirsync.Options{Mode: dirsync.Mode(f.mode),
		ConfirmDisable: f.confirm, Rollover: f.rollover, Grace: b.cfg.Directory.LeaverGrace})
	if err != nil {
		return err
	}
	if !p.CanAdminister(plan.Establishment.ID) {
		return core.E("import", core.Permission, "%s may not import into %s", p.Login, plan.Establishment.UAI)
	}
	if plan.Rollover != nil {
		printRollover(env.Stdout, plan.Rollover, f.verbose)
	}
	printPlan(env.Stdout, plan, batch, f.verbose)
	if f.dryRun || plan.Empty() {
		if plan.Empty() {
			fmt.Fprintln(env.Stdout, "Nothing to change.")
		} else {
			fmt.Fprintln(env.Stdout, "Dry run: nothing was changed.")
		}
		return nil
	}
	err = eng.Apply(ctx, plan, func(done, total int) {
		if done == total || done%50 == 0 {
			fmt.Fprintf(env.Stderr, "\rhashing initial passwords %s %d/%d", bar(done, total), done, total)
			if done == total {
				fmt.Fprintln(env.Stderr)
			}
		}
	})
	if err != nil {
		return err
	}
	if plan.Rollover != nil {
		fmt.Fprintf(env.Stdout, "Rollover into %s applied to %s in one transaction, and journaled.\n",
			dirsync.YearName(plan.Rollover.To), plan.Establishment.UAI)
	} else {
		fmt.Fprintf(env.Stdout, "Import applied to %s in one transaction, and journaled.\n", plan.Establishment.UAI)
	}
	return writeCredentials(env.Stdout, f.credentials, plan.Credentials)
}

// parseFiles parses and merges the files, checking the source word when
// one was given (preau import siecle FILE…).
func parseFiles(paths []string, want importer.Source) (*importer.Batch, error) {
	batch, err := importer.ParseFiles(paths...)
	if err != nil {
		return nil, err
	}
	if want != "" && !strings.Contains(string(batch.Source), string(want)) {
		return nil, core.E("import", core.Invalid, "%s is a %s file, not %s", strings.Join(paths, ", "), batch.Source, want)
	}
	return batch, nil
}

// bar draws a 20-character progress bar.
func bar(done, total int) string {
	n := 20
	if total > 0 {
		n = done * 20 / total
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + "]"
}

func printPlan(w io.Writer, p *dirsync.Plan, b *importer.Batch, verbose bool) {
	fmt.Fprintf(w, "%s (%s, %s, mode %s): %d to create, %d to update, %d class moves, %d to disable, %d new groups\n",
		p.Establishment.UAI, p.Establishment.Name, strings.Join(b.Files, ", "), p.Mode, len(p.Creates), len(p.Updates),
		len(p.Moves), len(p.Disables), len(p.NewGroups))
	dropped := 0
	var names []string
	for k, n := range b.Dropped {
		dropped += n
		names = append(names, fmt.Sprintf("%s ×%d", k, n))
	}
	slices.Sort(names)
	if dropped > 0 {
		fmt.Fprintf(w, "Dropped while reading, never stored (INF-ANN-8): %s\n", strings.Join(names, ", "))
	}
	for _, warn := range b.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for _, sec := range []struct {
		title string
		lines []dirsync.Line
	}{{"create", p.Creates}, {"update", p.Updates}, {"move", p.Moves}, {"disable", p.Disables}} {
		for i, l := range sec.lines {
			if i == 20 && !verbose {
				fmt.Fprintf(w, "  … and %d more to %s (-v lists them)\n", len(sec.lines)-20, sec.title)
				break
			}
			fmt.Fprintf(w, "  %-8s %-28s %-30s %s\n", sec.title, l.Login, l.Name, l.Detail)
		}
	}
}

// writeCredentials shows the initial passwords once: in a 0600 CSV file
// when asked, else on the terminal. Préau keeps only their hashes.
func writeCredentials(w io.Writer, path string, creds []dirsync.Credential) error {
	if len(creds) == 0 {
		return nil
	}
	out := w
	if path != "" {
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("writing the initial passwords: %w", err)
		}
		defer fh.Close()
		out = fh
	} else {
		fmt.Fprintln(w, "Initial passwords (shown once; to be changed at first login):")
	}
	cw := csv.NewWriter(out)
	_ = cw.Write([]string{"login", "name", "profile", "class", "password"})
	for _, c := range creds {
		_ = cw.Write([]string{c.Login, c.Name, string(c.Profile), c.Class, c.Password})
	}
	cw.Flush()
	if path != "" {
		fmt.Fprintf(w, "Initial passwords of %d accounts written to %s (mode 0600): print them, then delete the file.\n", len(creds), path)
	}
	return cw.Error()
}
