// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package sso holds what the two single sign-on protocols share (INF-AUT-3):
// the registry of applications (OIDC clients and CAS services), single-use
// tickets, the identity released to applications, and how the method of
// the session's last proof is named (RFC 8176 amr, a local acr, Apereo CAS
// attributes). Packages oidc and cas speak the protocols on top of it.
package sso

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Protocol names the protocol of a registered application.
type Protocol string

// Protocols.
const (
	OIDC Protocol = "oidc"
	CAS  Protocol = "cas"
)

// Client is an application registered by an admin. For OIDC, URIs are the
// exact redirect URIs; for CAS, service URL patterns (see MatchService).
type Client struct {
	ID           string
	Protocol     Protocol
	Name         string
	SecretHash   string   // SHA-256 hex of a confidential OIDC client's secret; "" for public clients
	URIs         []string // redirect URIs (OIDC) or service patterns (CAS)
	LogoutURIs   []string // OIDC post-logout redirect URIs
	Attributes   []string // CAS attributes released; empty means the default set
	MinLevel     int      // 1 any method, 2 strong authentication required
	SingleLogout bool     // CAS: POST a SAML LogoutRequest to the service at logout
	CreatedAt    time.Time
	DisabledAt   time.Time
}

// Ticket is a single-use grant: an OIDC authorization code or a CAS
// service ticket. ID is the SHA-256 of its clear value.
type Ticket struct {
	ID        string
	Kind      string // "oidc_code" or "cas_st"
	ClientID  string
	PersonID  string
	SessionID string
	Service   string // OIDC redirect_uri or CAS service URL, matched exactly at redemption
	Data      string // protocol-specific JSON
	ExpiresAt time.Time
}

// RefreshToken is an OIDC refresh token (its SHA-256 in ID). Tokens of one
// family descend from one authorization code.
type RefreshToken struct {
	ID        string
	Family    string
	ClientID  string
	PersonID  string
	SessionID string
	Data      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// SigningKey is a private key of the OpenID provider in PKCS#8 PEM.
type SigningKey struct {
	KID        string
	Alg        string
	PrivatePEM string
	CreatedAt  time.Time
	RetiresAt  time.Time // stops signing
	ExpiresAt  time.Time // leaves the JWKS
}

// Login records that a session signed in to an application, for single
// logout. Ticket is the CAS ticket (the SAML SessionIndex) or OIDC sid.
type Login struct {
	SessionID string
	ClientID  string
	Service   string
	Ticket    string
	CreatedAt time.Time
}

// Store persists the SSO state. Methods that journal take the entry.
type Store interface {
	FindPerson(ctx context.Context, id string) (*directory.Person, error)
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)

	// PutClient creates or replaces a client and journals e.
	PutClient(ctx context.Context, c *Client, e journal.Entry) error
	FindClient(ctx context.Context, id string) (*Client, error)
	FindClients(ctx context.Context, p Protocol) ([]*Client, error)
	// DeleteClient removes a client, its tickets and tokens, and journals e.
	DeleteClient(ctx context.Context, id string, e journal.Entry) error

	// CreateTicket stores t and journals e (the sign-in to the application).
	CreateTicket(ctx context.Context, t *Ticket, e journal.Entry) error
	// RedeemTicket deletes and returns the ticket with this ID of this
	// kind, in one statement, so that it is used once at most.
	// core.NotFound when unknown or already used; expired tickets are
	// returned and the caller refuses them.
	RedeemTicket(ctx context.Context, id, kind string) (*Ticket, error)

	// CreateRefreshToken stores t. When parent is not "", it marks the
	// parent used in the same transaction; if the parent was already
	// used, it revokes the parent's whole family instead and returns
	// core.Conflict (a replayed token).
	CreateRefreshToken(ctx context.Context, t *RefreshToken, parent string) error
	// FindRefreshToken returns a token by ID if its session is still live
	// and its person active; core.NotFound otherwise.
	FindRefreshToken(ctx context.Context, id string) (*RefreshToken, error)

	SigningKeys(ctx context.Context) ([]*SigningKey, error)
	AddSigningKey(ctx context.Context, k *SigningKey) error

	AddLogin(ctx context.Context, l *Login) error
	// SessionLogins returns and forgets the logins of a session.
	SessionLogins(ctx context.Context, sessionID string) ([]*Login, error)

	Journal(ctx context.Context, e journal.Entry) error
}

// Levels of assurance, with their acr values.
const (
	LevelSimple = 1 // a password or a picture sequence
	LevelStrong = 2 // a second factor or a key
)

// ACR returns the acr value of a level: urn:preau:loa:1 or urn:preau:loa:2.
func ACR(level int) string {
	if level >= LevelStrong {
		return "urn:preau:loa:2"
	}
	return "urn:preau:loa:1"
}

// LevelOfACR returns the level an acr value asks for, 0 for unknown values.
func LevelOfACR(acr string) int {
	switch acr {
	case "urn:preau:loa:1":
		return LevelSimple
	case "urn:preau:loa:2", "mfa", "urn:preau:mfa":
		return LevelStrong
	}
	return 0
}

// AMR returns the RFC 8176 methods of a principal's last proof, adding
// "mfa" when more than one factor was used.
func AMR(p core.Principal) []string {
	m := slices.Clone(p.AuthMethods)
	if len(m) == 0 {
		m = []string{"pwd"}
	}
	if len(m) > 1 && !slices.Contains(m, "mfa") {
		m = append(m, "mfa")
	}
	return m
}

// CASHandlers returns the Apereo-style handler names of methods, for the
// CAS attributes authenticationMethod and successfulAuthenticationHandlers.
func CASHandlers(methods []string) []string {
	var out []string
	for _, m := range methods {
		switch m {
		case "pwd":
			out = append(out, "PasswordAuthenticationHandler")
		case "otp":
			out = append(out, "TotpAuthenticationHandler")
		case "hwk", "swk":
			out = append(out, "WebAuthnAuthenticationHandler")
		case "pic":
			out = append(out, "PictureAuthenticationHandler")
		}
	}
	return out
}

// MatchService reports whether a CAS service URL matches a registered
// pattern. A pattern is an absolute URL; a trailing "*" matches any rest
// of the URL (path or query); otherwise the service must equal the pattern
// up to its query string. Scheme and host are compared exactly, so that
// https://ent.example.fr* cannot match https://ent.example.fr.evil.org/.
func MatchService(pattern, service string) bool {
	if rest, ok := strings.CutSuffix(pattern, "*"); ok {
		if !strings.HasPrefix(service, rest) {
			return false
		}
		// The prefix must end on a path boundary when it ends with a host.
		tail := service[len(rest):]
		return strings.Count(rest, "/") >= 3 || tail == "" || strings.ContainsAny(tail[:1], "/?#")
	}
	base, _, _ := strings.Cut(service, "?")
	return service == pattern || base == pattern
}
