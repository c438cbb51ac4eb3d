// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"net"
	"net/url"

	"github.com/preau/preau/internal/directory/serviceweb"
	"github.com/preau/preau/internal/web"
)

// servicePages are the console's application accounts pages (INF-ANN-6).
func (a *App) servicePages(rd *web.Renderer) *serviceweb.Handler {
	return serviceweb.New(serviceweb.Deps{Directory: a.dir, Passwords: a.auth, Scopes: a.db, Renderer: rd,
		BaseDN: a.cfg.LDAP.BaseDN, LDAPURLs: a.ldapURLs, Journal: a.db.Journal, FindJournal: a.db.FindJournal, Log: a.log})
}

// ldapURLs returns the addresses of the LDAP listeners as an application
// would type them: an unspecified listen address takes the host of the
// public URL.
func (a *App) ldapURLs() []string {
	var out []string
	for _, name := range []string{"ldap", "ldaps"} {
		addr := a.Addr(name)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			if u, err := url.Parse(a.cfg.Web.PublicURL); err == nil && u.Hostname() != "" {
				host = u.Hostname()
			}
		}
		out = append(out, name+"://"+net.JoinHostPort(host, port))
	}
	return out
}
