// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/preau/preau/internal/journal"
)

// errJournalTampered is returned by `preau journal verify` when a chain
// does not verify, so that the exit status is non-zero.
var errJournalTampered = fmt.Errorf("the journal does not verify")

func runJournal(ctx context.Context, env Env, args []string) error {
	var g globals
	var since, until, format, before string
	var retention time.Duration
	fs := flag.NewFlagSet("preau journal", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&since, "since", "", "export entries at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&until, "until", "", "export entries before this time")
	fs.StringVar(&format, "format", "jsonl", "export format: jsonl")
	fs.StringVar(&before, "before", "", "purge entries older than this time")
	fs.DurationVar(&retention, "retention", 0, "purge entries older than this duration (e.g. 8760h), instead of --before")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau journal verify\n       preau journal export [--since T] [--until T] [--format jsonl]\n"+
			"       preau journal purge --before T | --retention D\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageErr("preau journal needs one of verify, export, purge")
	}
	b, ctx, err := openCLI(ctx, env, g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	switch pos[0] {
	case "verify":
		return journalVerify(ctx, b, env)
	case "export":
		if format != "jsonl" {
			return usageErr("--format: only jsonl is supported")
		}
		f := journal.Filter{Limit: 5000}
		if f.Since, err = parseTimeFlag("since", since); err != nil {
			return err
		}
		if f.Until, err = parseTimeFlag("until", until); err != nil {
			return err
		}
		enc := json.NewEncoder(env.Stdout)
		for {
			es, err := b.db.FindJournal(ctx, f)
			if err != nil {
				return err
			}
			for _, e := range es {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			if len(es) < f.Limit {
				return nil
			}
			f.AfterID = es[len(es)-1].ID
		}
	case "purge":
		t, err := parseTimeFlag("before", before)
		if err != nil {
			return err
		}
		if retention > 0 {
			t = b.clock.Now().Add(-retention)
		}
		if t.IsZero() {
			return usageErr("purge needs --before or --retention")
		}
		n, err := b.db.PurgeJournal(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "purged %d entries older than %s; the chains stay verifiable from signed checkpoints\n",
			n, t.Format(time.RFC3339))
		return nil
	}
	return usageErr("unknown subcommand preau journal %s", pos[0])
}

func journalVerify(ctx context.Context, b *base, env Env) error {
	rep, err := b.db.VerifyJournal(ctx, b.key.Public().(ed25519.PublicKey), nil)
	if err != nil {
		return err
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintf(env.Stdout, "journal OK: %d entries in %d chains verified\n", rep.Entries, rep.Chains)
		return nil
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(env.Stdout, "TAMPERED %s\n", p)
	}
	fmt.Fprintf(env.Stdout, "%d of %d chains do not verify (%d entries checked)\n", len(rep.Problems), rep.Chains, rep.Entries)
	return errJournalTampered
}

func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErr("--%s %q is not a time like 2026-09-01 or 2026-09-01T08:00:00Z", name, v)
}
