// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/preau/preau/internal/auth/sso"
)

// Scopes. "sdet" releases the ENT directory attributes (formats.md §4)
// that school applications filter on.
var scopesSupported = []string{"openid", "profile", "email", "sdet", "offline_access"}

var claimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
	"name", "given_name", "family_name", "preferred_username", "email",
	"ENTPersonProfils", "ENTPersonStructRattachRNE", "ESCOUAI", "ENTEleveClasses", "groups"}

// grant is what an authorization code or refresh token stands for: who,
// for which scopes, and how they last proved it. It is stored as JSON.
type grant struct {
	Scope     []string  `json:"scope"`
	Nonce     string    `json:"nonce,omitempty"`
	Challenge string    `json:"challenge,omitempty"` // PKCE S256 code challenge
	Methods   []string  `json:"amr"`
	Level     int       `json:"level"`
	AuthTime  time.Time `json:"auth_time"`
	SID       string    `json:"sid"`
}

// idClaims are the claims of an ID token.
type idClaims struct {
	jwt.Claims
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce,omitempty"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AZP      string   `json:"azp"`
	SID      string   `json:"sid"`
}

// accessClaims are the claims of a JWT access token (RFC 9068).
type accessClaims struct {
	jwt.Claims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	AuthTime int64    `json:"auth_time"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
}

// userClaims returns the claims of id that scope releases.
func userClaims(id *sso.Identity, scope []string) map[string]any {
	c := map[string]any{"sub": id.Subject}
	if slices.Contains(scope, "profile") {
		c["name"], c["given_name"], c["family_name"] = id.DisplayName, id.GivenName, id.FamilyName
		c["preferred_username"] = id.Login
	}
	if slices.Contains(scope, "email") && id.Mail != "" {
		c["email"], c["email_verified"] = id.Mail, true
	}
	if slices.Contains(scope, "sdet") {
		c["ENTPersonProfils"] = id.NationalProfile
		c["ENTPersonStructRattachRNE"] = id.UAI
		c["ESCOUAI"] = id.UAIs
		if len(id.Classes) > 0 {
			c["ENTEleveClasses"] = id.Classes
		}
		if len(id.Groups) > 0 {
			c["groups"] = id.Groups
		}
	}
	return c
}

// sessionSID derives the sid claim from a session ID. The session ID
// itself never leaves the server (the CSRF token is derived from it).
func sessionSID(sessionID string) string {
	s := sha256.Sum256([]byte("preau-oidc-sid\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(s[:16])
}

// pkceS256 returns the S256 challenge of a verifier (RFC 7636 §4.2).
func pkceS256(verifier string) string {
	s := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// validVerifier checks the RFC 7636 §4.1 verifier syntax.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) < 0
}
