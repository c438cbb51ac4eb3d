// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/directory/ldapd"
)

// startLDAP serves the directory over LDAP (StartTLS) and LDAPS on the
// configured addresses; an empty address disables that listener. The view
// is loaded once, then refreshed when the directory changes.
func (a *App) startLDAP(ctx context.Context) error {
	if a.cfg.Listen.LDAP == "" && a.cfg.Listen.LDAPS == "" {
		return nil
	}
	log := a.log.With("svc", "ldap")
	loader := dirldap.NewLoader(a.db, a.cfg.LDAP.BaseDN, a.clock, log)
	if err := loader.Load(ctx); err != nil {
		return fmt.Errorf("loading the LDAP view: %w", err)
	}
	srv, err := ldapd.New(ldapd.Config{BaseDN: a.cfg.LDAP.BaseDN, AllowAnonymous: a.cfg.LDAP.AllowAnonymous,
		AllowPlainBindRemote: a.cfg.LDAP.AllowPlainBindRemote, TLSConfig: a.pki.TLSConfig(),
		Vendor: "Préau " + Version}, dirldap.NewDirectory(loader, a.auth, a.dir, a.db, log), log)
	if err != nil {
		return err
	}
	for _, l := range []struct {
		name, addr string
		tls        bool
	}{{"ldap", a.cfg.Listen.LDAP, false}, {"ldaps", a.cfg.Listen.LDAPS, true}} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return fmt.Errorf("listening for %s on %s: %w", l.name, l.addr, err)
		}
		a.mu.Lock()
		a.listeners[l.name] = ln
		a.mu.Unlock()
		if l.tls {
			ln = tls.NewListener(ln, a.pki.TLSConfig())
		}
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, ldapd.ErrServerClosed) {
				a.log.Error("LDAP server stopped", "listener", l.name, "err", err)
			}
		}()
		a.log.Info("listening", "service", l.name, "addr", ln.Addr().String())
	}
	a.closers = append(a.closers, srv.Shutdown)
	a.goBackground(ctx, "ldap-view", func(ctx context.Context) { loader.Run(ctx, 2*time.Second) })
	return nil
}
