// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// refreshTTL bounds a refresh token; the session that issued it bounds it
// more tightly (a refresh fails once the person logged out).
const refreshTTL = 30 * 24 * time.Hour

// token runs the token endpoint (OIDC Core §3.1.3): the authorization code
// and refresh token grants.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	cors(w)
	if err := r.ParseForm(); err != nil {
		writeError(w, errorf(http.StatusBadRequest, "invalid_request", "unreadable form"))
		return
	}
	client, oe := p.authenticateClient(r)
	if oe != nil {
		writeError(w, oe)
		return
	}
	var resp map[string]any
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		resp, oe = p.exchangeCode(r, client)
	case "refresh_token":
		resp, oe = p.refresh(r, client)
	case "":
		oe = errorf(http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		oe = errorf(http.StatusBadRequest, "unsupported_grant_type", "only authorization_code and refresh_token are supported")
	}
	if oe != nil {
		writeError(w, oe)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// authenticateClient identifies the client: HTTP Basic or form secret for
// confidential clients, client_id alone for public ones.
func (p *Provider) authenticateClient(r *http.Request) (*sso.Client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, errorf(http.StatusUnauthorized, "invalid_client", "malformed client credentials")
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || len(id) > 200 || len(secret) > 200 {
		return nil, errorf(http.StatusUnauthorized, "invalid_client", "client authentication is missing")
	}
	c, err := p.client(r.Context(), id)
	if err != nil || c.Protocol != sso.OIDC || !c.DisabledAt.IsZero() {
		return nil, errorf(http.StatusUnauthorized, "invalid_client", "unknown or disabled client")
	}
	if c.SecretHash == "" {
		if secret != "" {
			return nil, errorf(http.StatusUnauthorized, "invalid_client", "this public client has no secret")
		}
		return c, nil
	}
	if subtle.ConstantTimeCompare([]byte(sso.HashSecret(secret)), []byte(c.SecretHash)) != 1 {
		return nil, errorf(http.StatusUnauthorized, "invalid_client", "wrong client secret")
	}
	return c, nil
}

func (p *Provider) exchangeCode(r *http.Request, c *sso.Client) (map[string]any, *oauthError) {
	f := r.PostForm
	code := f.Get("code")
	if code == "" || len(code) > 100 {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "code is missing")
	}
	t, err := p.Store.RedeemTicket(r.Context(), sso.HashSecret(code), "oidc_code")
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "unknown or already used code")
	}
	var g grant
	switch {
	case p.Clock.Now().After(t.ExpiresAt):
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "the code has expired")
	case t.ClientID != c.ID:
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "the code was issued to another client")
	case t.Service != f.Get("redirect_uri"):
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request")
	case json.Unmarshal([]byte(t.Data), &g) != nil:
		return nil, errorf(http.StatusInternalServerError, "server_error", "unreadable code")
	}
	verifier := f.Get("code_verifier")
	if g.Challenge != "" {
		if !validVerifier(verifier) || subtle.ConstantTimeCompare([]byte(pkceS256(verifier)), []byte(g.Challenge)) != 1 {
			return nil, errorf(http.StatusBadRequest, "invalid_grant", "the PKCE code_verifier does not match")
		}
	} else if verifier != "" {
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "code_verifier sent but no code_challenge was")
	}
	if person, err := p.Store.FindPerson(r.Context(), t.PersonID); err != nil || person.State != directory.Active {
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "this account can no longer sign in")
	}
	// The first ID token also carries the claims of the scopes, read from
	// the directory now; refreshed ones carry only the authentication.
	id, err := sso.LoadIdentity(r.Context(), p.Store, t.PersonID)
	if err != nil {
		p.Log.Error("reading the identity failed", "err", err)
		return nil, errorf(http.StatusInternalServerError, "server_error", "the identity could not be read")
	}
	return p.issueTokens(r, c, t.PersonID, t.SessionID, g, "", "", userClaims(id, g.Scope))
}

func (p *Provider) refresh(r *http.Request, c *sso.Client) (map[string]any, *oauthError) {
	clear := r.PostForm.Get("refresh_token")
	if clear == "" || len(clear) > 100 {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "refresh_token is missing")
	}
	rt, err := p.Store.FindRefreshToken(r.Context(), sso.HashSecret(clear))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "unknown refresh token, or the session has ended")
	}
	var g grant
	switch {
	case rt.ClientID != c.ID:
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "the refresh token was issued to another client")
	case p.Clock.Now().After(rt.ExpiresAt):
		return nil, errorf(http.StatusBadRequest, "invalid_grant", "the refresh token has expired")
	case json.Unmarshal([]byte(rt.Data), &g) != nil:
		return nil, errorf(http.StatusInternalServerError, "server_error", "unreadable refresh token")
	}
	g.Nonce = "" // a refreshed ID token carries no nonce (OIDC Core §12.2)
	return p.issueTokens(r, c, rt.PersonID, rt.SessionID, g, rt.ID, rt.Family, nil)
}

// issueTokens signs an ID token and an access token and stores a new
// refresh token (rotating parent, if any). The caller checked that the
// person may still sign in.
func (p *Provider) issueTokens(r *http.Request, c *sso.Client, personID, sessionID string, g grant,
	parent, family string, user map[string]any) (map[string]any, *oauthError) {
	ctx := r.Context()
	clear, hash := newSecret()
	if family == "" {
		family = hash
	}
	now := p.Clock.Now()
	data, _ := json.Marshal(g)
	rt := &sso.RefreshToken{ID: hash, Family: family, ClientID: c.ID, PersonID: personID, SessionID: sessionID,
		Data: string(data), CreatedAt: now, ExpiresAt: now.Add(refreshTTL)}
	if err := p.Store.CreateRefreshToken(ctx, rt, parent); err != nil {
		if core.IsKind(err, core.Conflict) {
			return nil, errorf(http.StatusBadRequest, "invalid_grant", "this refresh token was already used")
		}
		p.Log.Error("storing a refresh token failed", "err", err)
		return nil, errorf(http.StatusInternalServerError, "server_error", "the token could not be stored")
	}
	iss := p.issuer(r)
	idt, access, err := p.signTokens(ctx, iss, c.ID, personID, g, now, user)
	if err != nil {
		p.Log.Error("signing tokens failed", "err", err)
		return nil, errorf(http.StatusInternalServerError, "server_error", "the tokens could not be signed")
	}
	return map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(accessTTL.Seconds()),
		"id_token": idt, "refresh_token": clear, "scope": strings.Join(g.Scope, " ")}, nil
}

func (p *Provider) signTokens(ctx context.Context, iss, clientID, sub string, g grant, now time.Time,
	user map[string]any) (string, string, error) {
	signer, err := p.keys.signer(ctx)
	if err != nil {
		return "", "", err
	}
	acr := sso.ACR(g.Level)
	id := idClaims{Claims: jwt.Claims{Issuer: iss, Subject: sub, Audience: jwt.Audience{clientID},
		Expiry: jwt.NewNumericDate(now.Add(idTokenTTL)), IssuedAt: jwt.NewNumericDate(now)},
		AuthTime: g.AuthTime.Unix(), Nonce: g.Nonce, ACR: acr, AMR: g.Methods, AZP: clientID, SID: g.SID}
	idt, err := sign(signer, id, user)
	if err != nil {
		return "", "", err
	}
	jti, _ := newSecret()
	at := accessClaims{Claims: jwt.Claims{Issuer: iss, Subject: sub, Audience: jwt.Audience{iss + UserinfoPath},
		Expiry: jwt.NewNumericDate(now.Add(accessTTL)), IssuedAt: jwt.NewNumericDate(now), ID: jti[:22]},
		ClientID: clientID, Scope: strings.Join(g.Scope, " "), AuthTime: g.AuthTime.Unix(), ACR: acr, AMR: g.Methods}
	access, err := sign(signer, at, nil)
	return idt, access, err
}

// sign serializes claims (with extra ones merged in, if any) and signs
// them as a compact JWS. It marshals once: go-jose's claims builder would
// marshal, decode and marshal again, a tenth of a refresh's time.
func sign(signer jose.Signer, claims any, extra map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	if len(extra) > 0 {
		var merged map[string]any
		if err := json.Unmarshal(payload, &merged); err != nil {
			return "", err
		}
		for k, v := range extra {
			merged[k] = v
		}
		if payload, err = json.Marshal(merged); err != nil {
			return "", err
		}
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// userinfo returns the claims of the access token's scopes (OIDC Core
// §5.3), read fresh from the directory.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	cors(w)
	deny := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		writeJSON(w, http.StatusUnauthorized, oauthError{Code: "invalid_token", Description: desc})
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Method == http.MethodPost {
		token = r.PostFormValue("access_token")
	}
	if token == "" || len(token) > 4096 {
		deny("no access token")
		return
	}
	var c accessClaims
	if err := p.verify(r.Context(), token, &c); err != nil {
		deny("invalid access token")
		return
	}
	iss := p.issuer(r)
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: iss, AnyAudience: jwt.Audience{iss + UserinfoPath},
		Time: p.Clock.Now()}, 30*time.Second); err != nil {
		deny("expired or foreign access token")
		return
	}
	id, err := sso.LoadIdentity(r.Context(), p.Store, c.Subject)
	if err != nil {
		deny("this account no longer exists")
		return
	}
	person, err := p.Store.FindPerson(r.Context(), c.Subject)
	if err != nil || person.State != directory.Active {
		deny("this account can no longer sign in")
		return
	}
	writeJSON(w, http.StatusOK, userClaims(id, strings.Fields(c.Scope)))
}

// verify checks the signature of a token Préau signed and reads its claims.
func (p *Provider) verify(ctx context.Context, token string, claims any) error {
	t, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(t.Headers) != 1 {
		return core.E("oidc.verify", core.Invalid, "malformed token")
	}
	key, err := p.keys.verifyKey(ctx, t.Headers[0].KeyID)
	if err != nil {
		return core.E("oidc.verify", core.Invalid, "unknown signing key")
	}
	return t.Claims(key, claims)
}

// newSecret returns 32 random bytes, base64url, and the hash stored for it.
func newSecret() (clear, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	clear = base64.RawURLEncoding.EncodeToString(b)
	return clear, sso.HashSecret(clear)
}
