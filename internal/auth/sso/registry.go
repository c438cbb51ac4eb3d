// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// NewClient is what an admin gives to register an application.
type NewClient struct {
	Protocol     Protocol
	Name         string
	URIs         []string // OIDC redirect URIs or CAS service patterns
	LogoutURIs   []string
	Attributes   []string
	MinLevel     int
	Public       bool // OIDC: no secret (a browser or mobile app), PKCE required
	SingleLogout bool
}

// Register checks and stores a new application and returns its ID and,
// for a confidential OIDC client, its secret (shown once; only its SHA-256
// is kept). Only technical admins, heads and system principals may.
func Register(ctx context.Context, st Store, clock core.Clock, nc NewClient) (id, secret string, err error) {
	const op = "sso.Register"
	p := core.PrincipalFromContext(ctx)
	if !p.System && !p.IsAdmin() {
		return "", "", core.E(op, core.Permission, "only an administrator may register an application")
	}
	if err := nc.validate(); err != nil {
		return "", "", err
	}
	c := &Client{ID: core.NewID(), Protocol: nc.Protocol, Name: nc.Name, URIs: nc.URIs, LogoutURIs: nc.LogoutURIs,
		Attributes: nc.Attributes, MinLevel: max(nc.MinLevel, LevelSimple), SingleLogout: nc.SingleLogout,
		CreatedAt: clock.Now()}
	if nc.Protocol == OIDC && !nc.Public {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", "", core.E(op, core.Internal, "no randomness: %v", err)
		}
		secret = base64.RawURLEncoding.EncodeToString(b)
		c.SecretHash = HashSecret(secret)
	}
	e := journal.Entry{Action: "sso.client.register", TargetType: "sso_client", TargetID: c.ID, TargetName: c.Name,
		Attributes: append([]string{string(c.Protocol)}, c.URIs...)}
	e.SetActor(p)
	if err := st.PutClient(ctx, c, e); err != nil {
		return "", "", err
	}
	return c.ID, secret, nil
}

// Unregister removes an application; its tickets and tokens die with it.
func Unregister(ctx context.Context, st Store, id string) error {
	p := core.PrincipalFromContext(ctx)
	if !p.System && !p.IsAdmin() {
		return core.E("sso.Unregister", core.Permission, "only an administrator may remove an application")
	}
	c, err := st.FindClient(ctx, id)
	if err != nil {
		return err
	}
	e := journal.Entry{Action: "sso.client.remove", TargetType: "sso_client", TargetID: c.ID, TargetName: c.Name}
	e.SetActor(p)
	return st.DeleteClient(ctx, id, e)
}

func (nc *NewClient) validate() error {
	const op = "sso.Register"
	if nc.Protocol != OIDC && nc.Protocol != CAS {
		return core.E(op, core.Invalid, "the protocol must be oidc or cas, not %q", nc.Protocol)
	}
	nc.Name = strings.TrimSpace(nc.Name)
	if nc.Name == "" || len(nc.Name) > 100 {
		return core.E(op, core.Invalid, "an application needs a name of at most 100 characters")
	}
	if len(nc.URIs) == 0 {
		return core.E(op, core.Invalid, "an application needs at least one redirect URI or service URL")
	}
	if nc.MinLevel < 0 || nc.MinLevel > LevelStrong {
		return core.E(op, core.Invalid, "the minimum level must be 1 (any method) or 2 (strong authentication)")
	}
	for _, u := range append(append([]string{}, nc.URIs...), nc.LogoutURIs...) {
		if err := checkAppURL(strings.TrimSuffix(u, "*")); err != nil {
			return core.E(op, core.Invalid, "%q: %v", u, err)
		}
	}
	if nc.Protocol == OIDC {
		for _, u := range nc.URIs {
			if strings.HasSuffix(u, "*") {
				return core.E(op, core.Invalid, "%q: OIDC redirect URIs are matched exactly; no wildcard", u)
			}
		}
	}
	return nil
}

// HashSecret returns what is stored for a client secret, code, ticket or
// token: its SHA-256 in hex. These are 256-bit random values, so a fast
// hash is enough.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// checkAppURL accepts absolute https URLs without fragment or user info,
// and http only for this machine (a developer's application).
func checkAppURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return core.E("sso.checkAppURL", core.Invalid, "not a URL")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return core.E("sso.checkAppURL", core.Invalid, "a fragment (#) is not allowed")
	case u.User != nil:
		return core.E("sso.checkAppURL", core.Invalid, "user information is not allowed")
	case u.Host == "":
		return core.E("sso.checkAppURL", core.Invalid, "not an absolute URL")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
		return nil
	}
	return core.E("sso.checkAppURL", core.Invalid, "only https addresses are allowed (http only for localhost)")
}
