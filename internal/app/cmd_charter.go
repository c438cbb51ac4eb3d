// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
)

// runCharter is `preau charter`: list an establishment's documents, publish
// a Markdown file as the new version of one (a deployment loading the
// charter its head already adopted), and print acceptance statistics.
func runCharter(ctx context.Context, env Env, args []string) error {
	var g globals
	var uai, kind, title, as string
	fs := flag.NewFlagSet("preau charter", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&uai, "uai", "", "establishment (UAI code)")
	fs.StringVar(&kind, "kind", string(charter.KindCharte), "document: charte, charte-admin, security-policy or cgu-<service>")
	fs.StringVar(&title, "title", "", "title of the published version (publish)")
	fs.StringVar(&as, "as", "", "act as this head instead of as the system")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau charter list --uai UAI\n"+
			"       preau charter publish --uai UAI [--kind K] --title T FILE.md\n"+
			"       preau charter stats --uai UAI [--kind K]\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || uai == "" {
		fs.Usage()
		return usageErr("preau charter needs one of list, publish, stats, and --uai")
	}
	k, err := charter.ParseKind(kind)
	if err != nil {
		return usageErr("--kind: %v", err)
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	est, err := b.db.FindEstablishment(ctx, uai)
	if err != nil {
		return fmt.Errorf("establishment %s: %w", uai, err)
	}
	svc := charter.New(charter.Deps{Store: b.db, Journal: b.db.Journal, Clock: b.clock, Log: b.log})
	switch {
	case pos[0] == "list" && len(pos) == 1:
		docs, err := svc.Documents(ctx, est.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tCURRENT\tPUBLISHED\tDRAFT")
		for _, d := range docs {
			cur, at, draft := "-", "-", "-"
			if d.Current != nil {
				cur, at = fmt.Sprintf("v%d %s", d.Current.Number, d.Current.Title), d.Current.PublishedAt.Format(time.DateOnly)
			}
			if d.Draft != nil {
				draft = fmt.Sprintf("v%d", d.Draft.Number)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Kind, cur, at, draft)
		}
		return tw.Flush()
	case pos[0] == "publish" && len(pos) == 2:
		if title == "" {
			return usageErr("publish needs --title")
		}
		body, err := os.ReadFile(pos[1])
		if err != nil {
			return err
		}
		d, err := svc.SaveDraft(ctx, est.ID, k, title, string(body))
		if err != nil {
			return err
		}
		v, err := svc.Publish(ctx, est.ID, k, d.Number, d.UpdatedAt)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s of %s: version %d published", k, est.UAI, v.Number)
		if k.MustAccept(core.ProfilePupil) || k.MustAccept(core.ProfileAdmin) {
			fmt.Fprint(env.Stdout, "; it will be asked for at each person's next request")
		}
		fmt.Fprintln(env.Stdout)
		return nil
	case pos[0] == "stats" && len(pos) == 1:
		v, rows, err := svc.Stats(ctx, est.ID, k)
		if err != nil {
			return err
		}
		if v == nil {
			fmt.Fprintf(env.Stdout, "no published version of %s\n", k)
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "PROFILE\tPEOPLE\tACCEPTED\tPERCENT\t\n")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d%%\t\n", r.Profile, r.People, r.Accepted, r.Percent())
		}
		return tw.Flush()
	}
	fs.Usage()
	return usageErr("preau charter: unknown command %q or wrong number of arguments", pos[0])
}
