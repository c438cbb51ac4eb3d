// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
	"github.com/preau/preau/internal/demo/demoseed"
)

// startDemo fills the data folder with the demo deployment in the
// background (unless an earlier run completed), marking the node not ready
// until demo-accounts.csv is written, then prints the URLs and accounts.
func (a *App) startDemo(ctx context.Context, seed int64, out io.Writer) {
	s := &demoseed.Seeder{Store: a.db, Hash: a.auth.Hash, DataDir: a.cfg.Data, Clock: a.clock,
		Progress: func(p demoseed.Progress) { a.ready.progress(p.Stage, p.Done, p.Total) }}
	url := "https://" + a.Addr("https") + "/"
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:demo", core.ChannelJob))
	if s.Done(jctx) {
		if err := a.demoPictures(jctx); err != nil {
			a.log.Error("demo picture logins failed", "err", err)
		}
		a.ready.finish("")
		fmt.Fprintf(out, "Préau demo serves %s (data: %s)\nDemo accounts: %s\n", url, a.cfg.Data,
			filepath.Join(a.cfg.Data, demoseed.AccountsFile))
		fmt.Fprintf(out, "metrics token: %s (Prometheus: %smetrics)\n", a.MetricsToken(), url)
		return
	}
	a.ready.begin("people")
	fmt.Fprintf(out, "Préau demo serves %s — filling the demo school in the background (progress: %sprogress)\n", url, url)
	a.goBackground(jctx, "demo", func(ctx context.Context) {
		d, err := s.Run(ctx, seed)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("demo generation failed", "err", err)
				a.ready.finish("demo generation failed: " + err.Error())
			}
			return
		}
		if err := a.demoPictures(ctx); err != nil {
			a.log.Error("demo picture logins failed", "err", err)
			a.ready.finish("demo picture logins failed: " + err.Error())
			return
		}
		if err := demoRecoveryKey(a.cfg.Data); err != nil {
			a.log.Error("demo backup recovery key failed", "err", err)
		}
		a.ready.finish("")
		ldapURL := ""
		if addr := a.Addr("ldap"); addr != "" {
			ldapURL = "ldap://" + addr
		}
		printDemo(out, url, ldapURL, a.cfg.LDAP.BaseDN, a.cfg.Data, d)
		a.printLogListeners(out)
		fmt.Fprintf(out, "metrics token: %s (Prometheus: %smetrics)\n\n", a.MetricsToken(), url)
		a.printFilterDemo(out)
	})
}

// printDemo prints the URLs and the accounts that are ready to use.
func printDemo(out io.Writer, url, ldapURL, base, data string, d *demo.Deployment) {
	fmt.Fprintf(out, "\nPréau demo is ready: %s\n", url)
	fmt.Fprintf(out, "CA certificate for your devices: %sca\n", url)
	fmt.Fprintf(out, "Files over WebDAV (login and password): %sdav/home/ — in the portal: %sfiles\n", url, url)
	fmt.Fprintf(out, "Every account, with its password: %s\n", filepath.Join(data, demoseed.AccountsFile))
	fmt.Fprintf(out, "Backup recovery key (demo only; try preau backup run/restore): %s\n", filepath.Join(data, RecoveryKeyDemoFile))
	fmt.Fprintf(out, "École pupils' picture logins (board at %spictures): %s\n", url, filepath.Join(data, PicturesFile))
	if ldapURL != "" {
		fmt.Fprintf(out, "LDAP directory: %s (base %s; bind with a login and its password)\n", ldapURL, base)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "  %-10s %-28s %-14s %s\n", "profile", "login", "password", "establishment")
	fmt.Fprintf(out, "  %-10s %-28s %-14s %s\n", d.Admin.Profile, d.Admin.Login, d.Admin.Password, "all")
	for _, e := range d.Establishments {
		shown := map[core.Profile]bool{}
		for _, p := range e.People {
			if p.MustChange || shown[p.Profile] {
				continue
			}
			shown[p.Profile] = true
			fmt.Fprintf(out, "  %-10s %-28s %-14s %s %s\n", p.Profile, p.Login, p.Password, e.UAI, e.Name)
		}
	}
	fmt.Fprintln(out)
}
