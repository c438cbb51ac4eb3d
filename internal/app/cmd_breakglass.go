// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/preau/preau/internal/breakglass"
)

// runBreakGlass lists break-glass requests: `preau breakglass list`.
func runBreakGlass(ctx context.Context, env Env, args []string) error {
	var g globals
	var state, format, as string
	fs := flag.NewFlagSet("preau breakglass", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&state, "state", "", "only requests in this state: requested, approved, refused, cancelled, expired, closed")
	fs.StringVar(&format, "format", "table", "output format: table or json")
	fs.StringVar(&as, "as", "", "act as this person (their visibility applies) instead of the system")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau breakglass list [--state S] [--format table|json] [--as LOGIN]\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "list" {
		fs.Usage()
		return usageErr("preau breakglass needs: list")
	}
	var states []breakglass.State
	if state != "" {
		if !breakglass.State(state).Valid() {
			return usageErr("--state: %q is not a state", state)
		}
		states = append(states, breakglass.State(state))
	}
	if format != "table" && format != "json" {
		return usageErr("--format: table or json")
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	rs, err := b.glass.List(ctx, states...)
	if err != nil {
		return err
	}
	if format == "json" {
		if rs == nil {
			rs = []*breakglass.Request{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rs)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tREQUESTED\tREQUESTER\tTARGET\tSCOPE\tBASIS\tREFERENCE\tUNTIL\tUSES")
	for _, r := range rs {
		until := "-"
		if r.WasApproved() {
			until = r.Until.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.State, r.CreatedAt.Format(time.RFC3339),
			r.Requester.Login, r.Target.Login, r.Scope, r.Basis, r.Reference, until, r.Uses)
	}
	return w.Flush()
}
