// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/config"
)

// runSSO registers the applications that sign users in through Préau:
//
//	preau sso add oidc NAME --redirect URI [--redirect URI…] [--logout-redirect URI] [--public] [--min-level 2]
//	preau sso add cas NAME --service PATTERN [--single-logout] [--attribute NAME…] [--min-level 2]
//	preau sso list [--format table|json]
//	preau sso remove ID
func runSSO(ctx context.Context, env Env, args []string) error {
	var g globals
	var as, format string
	var redirects, logouts, services, attrs multiFlag
	var public, slo bool
	var level int
	fs := flag.NewFlagSet("preau sso", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&as, "as", "", "act as this admin instead of as the system")
	fs.StringVar(&format, "format", "table", "list output: table or json")
	fs.Var(&redirects, "redirect", "OIDC: an exact redirect URI (repeatable)")
	fs.Var(&logouts, "logout-redirect", "OIDC: a post-logout redirect URI (repeatable)")
	fs.Var(&services, "service", "CAS: a service URL, or a prefix ending in * (repeatable)")
	fs.Var(&attrs, "attribute", "CAS: an attribute to release (repeatable; default: all)")
	fs.BoolVar(&public, "public", false, "OIDC: a public client (browser or mobile app): no secret, PKCE required")
	fs.BoolVar(&slo, "single-logout", false, "CAS: tell the service when the person logs out")
	fs.IntVar(&level, "min-level", 1, "1: any method; 2: strong authentication required")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau sso add oidc NAME --redirect URI [--logout-redirect URI] [--public] [--min-level 2]\n"+
			"       preau sso add cas NAME --service URL[*] [--single-logout] [--attribute NAME]\n"+
			"       preau sso list [--format table|json]\n       preau sso remove ID\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("preau sso needs a subcommand")
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	switch sub := pos[0]; {
	case sub == "add" && len(pos) == 3:
		nc := sso.NewClient{Protocol: sso.Protocol(pos[1]), Name: pos[2], MinLevel: level, Public: public,
			SingleLogout: slo, Attributes: attrs, LogoutURIs: logouts, URIs: redirects}
		if nc.Protocol == sso.CAS {
			nc.URIs = services
		}
		id, secret, err := sso.Register(ctx, b.db, b.clock, nc)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Registered %s application %q.\nclient_id: %s\n", nc.Protocol, nc.Name, id)
		if secret != "" {
			fmt.Fprintf(env.Stdout, "client_secret (shown once): %s\n", secret)
		}
		if nc.Protocol == sso.OIDC {
			fmt.Fprintf(env.Stdout, "Discovery: %s/.well-known/openid-configuration\n", publicURL(b.cfg))
		}
		return nil
	case sub == "list" && len(pos) == 1:
		cs, err := b.db.FindClients(ctx, "")
		if err != nil {
			return err
		}
		if format == "json" {
			type row struct {
				ID, Protocol, Name string
				URIs               []string
				MinLevel           int
				Public             bool
			}
			rows := []row{}
			for _, c := range cs {
				rows = append(rows, row{c.ID, string(c.Protocol), c.Name, c.URIs, c.MinLevel, c.SecretHash == ""})
			}
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPROTOCOL\tNAME\tLEVEL\tURIS")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", c.ID, c.Protocol, c.Name, c.MinLevel, strings.Join(c.URIs, " "))
		}
		return tw.Flush()
	case sub == "remove" && len(pos) == 2:
		if err := sso.Unregister(ctx, b.db, pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Removed application %s; its tickets and tokens no longer work.\n", pos[1])
		return nil
	}
	fs.Usage()
	return usageErr("unknown or incomplete command: preau sso %s", strings.Join(pos, " "))
}

// publicURL is the address people and applications reach Préau at.
func publicURL(cfg config.File) string {
	if cfg.Web.PublicURL != "" {
		return strings.TrimSuffix(cfg.Web.PublicURL, "/")
	}
	return "https://" + cfg.Listen.HTTPS
}
