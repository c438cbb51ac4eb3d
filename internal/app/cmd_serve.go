// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
)

// serveFlags are the flags of serve and demo.
type serveFlags struct {
	globals
	https, http string
	ldap, ldaps string
	syslog      string
	syslogTLS   string
	proxy, dns  string
	proxyTLS    string
	dump        bool
	seed        int64
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.globals.register(fs)
	fs.StringVar(&f.https, "https", "", "HTTPS listen address (default 127.0.0.1:8443)")
	fs.StringVar(&f.http, "http", "", "plain HTTP listen address (default 127.0.0.1:8080; \"off\" disables it)")
	fs.StringVar(&f.ldap, "ldap", "", "LDAP listen address (default 127.0.0.1:1389; \"off\" disables it)")
	fs.StringVar(&f.ldaps, "ldaps", "", "LDAPS listen address (default 127.0.0.1:1636; \"off\" disables it)")
	fs.StringVar(&f.syslog, "syslog", "", "syslog UDP+TCP listen address (default 127.0.0.1:1514; \"off\" disables it)")
	fs.StringVar(&f.syslogTLS, "syslog-tls", "", "syslog over TLS listen address (default 127.0.0.1:6514; \"off\" disables it)")
	fs.StringVar(&f.proxy, "proxy", "", "filtering web proxy listen address (default 127.0.0.1:3128; \"off\" disables it)")
	fs.StringVar(&f.proxyTLS, "proxy-tls", "", "filtering web proxy over TLS (default 127.0.0.1:3129; \"off\" disables it)")
	fs.StringVar(&f.dns, "dns", "", "filtering DNS listen address, UDP and TCP (default 127.0.0.1:1053; \"off\" disables it)")
	fs.BoolVar(&f.dump, "config-dump", false, "print the effective configuration (secrets masked) and exit")
}

func (f *serveFlags) load(env Env) (config.File, error) {
	cfg, err := loadConfig(f.globals, env.Getenv)
	if err != nil {
		return cfg, err
	}
	if f.https != "" {
		cfg.Listen.HTTPS = f.https
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{f.http, &cfg.Listen.HTTP}, {f.ldap, &cfg.Listen.LDAP}, {f.ldaps, &cfg.Listen.LDAPS},
		{f.syslog, &cfg.Listen.Syslog}, {f.syslogTLS, &cfg.Listen.SyslogTLS},
		{f.proxy, &cfg.Listen.Proxy}, {f.proxyTLS, &cfg.Listen.ProxyTLS}, {f.dns, &cfg.Listen.DNS}} {
		switch o.flag {
		case "":
		case "off":
			*o.dst = ""
		default:
			*o.dst = o.flag
		}
	}
	return cfg, cfg.Validate()
}

func runServe(ctx context.Context, env Env, args []string) error {
	var f serveFlags
	fs := flag.NewFlagSet("preau serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.register(fs)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	cfg, err := f.load(env)
	if err != nil {
		return err
	}
	if f.dump {
		fmt.Fprint(env.Stdout, config.Dump(cfg))
		return nil
	}
	a, err := startApp(ctx, env, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Préau %s serves https://%s/ (data: %s)\n", Version, a.Addr("https"), cfg.Data)
	return a.wait(ctx)
}

// startApp builds the node and starts its listeners; before is run first
// (the demo marks the node not ready before anyone can ask /readyz).
func startApp(ctx context.Context, env Env, cfg config.File, before ...func(*App)) (*App, error) {
	a, err := New(ctx, cfg, Options{Log: newLogger(cfg.Log, env.Stderr)})
	if err != nil {
		return nil, err
	}
	a.log.Info("Go processors", "gomaxprocs", runtime.GOMAXPROCS(0), "cpus", core.CPUs())
	for _, f := range before {
		f(a)
	}
	if err := a.Start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// wait blocks until ctx ends, then shuts down within 30 seconds.
func (a *App) wait(ctx context.Context) error {
	<-ctx.Done()
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return a.Shutdown(sctx)
}

func runDemo(ctx context.Context, env Env, args []string) error {
	var f serveFlags
	fs := flag.NewFlagSet("preau demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.register(fs)
	fs.Int64Var(&f.seed, "seed", 1, "seed of the generated school (same seed, same school)")
	strong := fs.Bool("strong", false, "require an authenticator app for the admin console, as a real deployment does")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	cfg, err := f.load(env)
	if err != nil {
		return err
	}
	if !*strong {
		// Demo accounts are published: asking visitors for a phone app
		// would only get in the way of trying Préau.
		cfg.Auth.StrongFor = []string{}
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	// Not ready until startDemo knows whether the school is there: a
	// /readyz answered in between would say ready too early.
	a, err := startApp(ctx, env, cfg, func(a *App) { a.ready.begin("starting") })
	if err != nil {
		return err
	}
	a.startDemo(ctx, f.seed, env.Stdout)
	return a.wait(ctx)
}
