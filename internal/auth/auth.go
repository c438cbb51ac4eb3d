// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package auth authenticates people and services: argon2id passwords,
// server-side sessions, API tokens and login throttling. Every interactive
// authentication attempt, successful or not, is journaled with the login
// name that was tried, even when it matches nobody (design §3). Protocol
// servers (LDAP bind, WebDAV, proxy, IMAP, SMTP) call Authenticate; the web
// calls Login. Password policies, strong authentication and SSO come on top
// of this package.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Config holds the authentication settings of the bootstrap file.
type Config struct {
	Argon2        Params        `toml:"argon2"`
	SessionIdle   time.Duration `toml:"session_idle"`     // default 2 h
	SessionMax    time.Duration `toml:"session_absolute"` // default 12 h
	MaxFailures   int           `toml:"max_failures"`     // failures before throttling, default 5
	ThrottleFirst time.Duration `toml:"throttle_first"`   // first lock-out, doubling, default 30 s
	ThrottleMax   time.Duration `toml:"throttle_max"`     // longest lock-out, default 15 min
	// SourceFailures is how many failures one address may make in ten
	// minutes, on any logins, before it is refused (default 100).
	SourceFailures int `toml:"source_failures"`
	// StrongFor lists the areas that require strong authentication (a
	// second factor, INF-AUT-2): "admin" is the admin console. Default
	// ["admin"]; an empty list turns the requirement off (the demo).
	StrongFor []string `toml:"strong_for"`
	// StrongMaxAge bounds how old the second-factor proof of a session may
	// be for sensitive actions (directory imports); default 30 min.
	StrongMaxAge time.Duration `toml:"strong_max_age"`
}

// StrongAreas are the areas StrongFor may name.
var StrongAreas = []string{"admin", "monitor"}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Argon2 == (Params{}) {
		c.Argon2 = DefaultParams
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = 2 * time.Hour
	}
	if c.SessionMax == 0 {
		c.SessionMax = 12 * time.Hour
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.ThrottleFirst == 0 {
		c.ThrottleFirst = 30 * time.Second
	}
	if c.ThrottleMax == 0 {
		c.ThrottleMax = 15 * time.Minute
	}
	if c.SourceFailures == 0 {
		c.SourceFailures = 100
	}
	if c.StrongMaxAge == 0 {
		c.StrongMaxAge = 30 * time.Minute
	}
	if c.StrongFor == nil {
		c.StrongFor = []string{"admin"}
	}
}

// Strong reports whether area requires strong authentication.
func (c *Config) Strong(area string) bool { return slices.Contains(c.StrongFor, area) }

// Validate checks c (after Defaults).
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, c.Argon2.Validate())
	for _, a := range c.StrongFor {
		if !slices.Contains(StrongAreas, a) {
			errs = append(errs, fmt.Errorf("auth.strong_for: unknown area %q (known: %s)", a, strings.Join(StrongAreas, ", ")))
		}
	}
	if c.SessionIdle > c.SessionMax {
		errs = append(errs, errors.New("auth.session_idle must not exceed auth.session_absolute"))
	}
	return errors.Join(errs...)
}

// Store persists credentials, sessions and tokens. Methods that change
// something journal it in the same transaction.
type Store interface {
	FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error)
	FindPerson(ctx context.Context, id string) (*directory.Person, error)
	FindGrants(ctx context.Context, personID string) ([]*directory.Grant, error)
	FindZones(ctx context.Context, establishment string) ([]*directory.Zone, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	// FindEstablishment finds an establishment by ID or UAI (its name goes on
	// password sheets).
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	// PasswordHash returns the stored hash of a person, core.NotFound if none.
	PasswordHash(ctx context.Context, personID string) (string, error)
	// SetPasswordHash replaces the hash and journals entry (action and reason
	// set by the caller); mustChange sets the must-change flag.
	SetPasswordHash(ctx context.Context, personID, hash string, mustChange bool, e journal.Entry) error
	// PasswordHistory returns up to n previous hashes of a person (the
	// replaced ones, not the current), newest first.
	PasswordHistory(ctx context.Context, personID string, n int) ([]string, error)
	// PasswordChangedAt returns when the current hash was set, core.NotFound
	// if none.
	PasswordChangedAt(ctx context.Context, personID string) (time.Time, error)
	// Setting returns a stored setting (scope "auth" here), core.NotFound if
	// unset.
	Setting(ctx context.Context, scope, name string) (string, error)
	// SwapSetting replaces a setting only if it still holds old (unset when
	// existed is false) and journals e with it; false when another writer
	// came first.
	SwapSetting(ctx context.Context, scope, name, old string, existed bool, value string, e journal.Entry) (bool, error)
	// ListEstablishments lists establishments (ids nil: all of them).
	ListEstablishments(ctx context.Context, ids []string) ([]*directory.Establishment, error)
	// CreateSession stores s and journals the successful login e.
	CreateSession(ctx context.Context, s *Session, e journal.Entry) error
	FindSession(ctx context.Context, id string) (*Session, error)
	// FindLoginPerson returns what a login needs, in one read: the person
	// (establishments filled, external IDs not), their password hash and
	// its date, the grants in force now and the password-policies
	// setting; core.NotFound for an unknown login.
	FindLoginPerson(ctx context.Context, login string) (LoginRecord, error)
	// FindSessionPerson returns a session with its person (establishments
	// filled, external IDs not) and the grants in force now, core.NotFound
	// if the session is unknown.
	FindSessionPerson(ctx context.Context, id string) (*Session, LoginRecord, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession removes one session and journals e.
	DeleteSession(ctx context.Context, id string, e journal.Entry) error
	FindSessions(ctx context.Context, personID string) ([]*Session, error)
	CreateToken(ctx context.Context, t *Token, e journal.Entry) error
	FindToken(ctx context.Context, hash string) (*Token, error)
	// Secret returns a random 32-byte secret of the deployment, made on
	// first use and the same on every node.
	Secret(ctx context.Context, name string) ([]byte, error)
	strongStore
	Journal(ctx context.Context, e journal.Entry) error
}

// Session is a server-side web session. ID is the SHA-256 of the cookie
// value; the cookie value itself is never stored.
type Session struct {
	ID        string
	PersonID  string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end
	Source    string
	UserAgent string
	AuthLevel int       // 1 simple (password, pictures), 2 strong (a second factor or a key)
	Methods   []string  // RFC 8176 methods of the last proof: "pwd", "otp", "hwk"…
	AuthTime  time.Time // when the person last proved who they are in this session
}

// Token is an API bearer token of a (service) account.
type Token struct {
	ID        string
	PersonID  string
	Name      string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Notifier tells a person about an event on their account (a portal
// notice, and a mail when possible). The text never carries a secret.
type Notifier interface {
	NotifyPerson(ctx context.Context, p *directory.Person, subject, body string) error
}

// Deps are the collaborators of a Service. Notifier may be nil.
type Deps struct {
	Store    Store
	Clock    core.Clock
	Log      *slog.Logger
	Notifier Notifier
}

// Service authenticates. It is safe for concurrent use.
type Service struct {
	cfg   Config
	store Store
	clock core.Clock
	log   *slog.Logger
	guard *guard
	// dummy is a hash to verify against for unknown logins, so that timing
	// does not tell. It is made at first use: every command-line run builds
	// a Service, and one argon2id hash is ~0.1 s of CPU on a small machine.
	// The first unknown login of a process therefore costs two hashes.
	dummy    func() string
	notifier Notifier
	hashing  chan struct{} // bounds concurrent password verifications to the cores
	zones    zoneCache
	keyCache
	onLogin atomic.Pointer[LoginHook]
}

// LoginHook hears every new portal session: the principal (its Source is
// the client's address), the session's ID and its absolute end.
type LoginHook func(ctx context.Context, p core.Principal, sessionID string, expires time.Time)

// OnLogin registers the hook new sessions call (the content filter binds
// the client's address to the person, INF-AUT-1).
func (s *Service) OnLogin(f LoginHook) { s.onLogin.Store(&f) }

// New returns an authentication service. cfg must be valid (after Defaults).
func New(cfg Config, deps Deps) *Service {
	return &Service{cfg: cfg, store: deps.Store, clock: deps.Clock, log: deps.Log, notifier: deps.Notifier,
		guard:   newGuard(cfg.MaxFailures, cfg.ThrottleFirst, cfg.ThrottleMax, cfg.SourceFailures),
		dummy:   sync.OnceValue(func() string { return HashPassword("not a password", cfg.Argon2) }),
		hashing: make(chan struct{}, max(core.CPUs(), 1))}
}

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Params returns the argon2id parameters new hashes use.
func (s *Service) Params() Params { return s.cfg.Argon2 }

// Hash hashes a password (or any secret a person enters, such as a picture
// sequence) with the configured parameters.
func (s *Service) Hash(pw string) string {
	s.hashing <- struct{}{}
	defer func() { <-s.hashing }()
	return HashPassword(pw, s.cfg.Argon2)
}

// verify checks pw against a stored hash, holding a hashing slot: at most
// one argon2id (19 MiB) per core at a time, whatever the method (passwords,
// history, picture sequences).
func (s *Service) verify(encoded, pw string) (ok, rehash bool, err error) {
	s.hashing <- struct{}{}
	defer func() { <-s.hashing }()
	return VerifyPassword(encoded, pw, s.cfg.Argon2)
}

// VerifySecret checks a secret a person entered against its stored hash
// (a picture sequence), sharing the hashing slots of logins.
func (s *Service) VerifySecret(encoded, secret string) (bool, error) {
	ok, _, err := s.verify(encoded, secret)
	return ok, err
}

// randomToken returns 32 random bytes, base64url, and its SHA-256 hex.
func randomToken() (clear, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	clear = base64.RawURLEncoding.EncodeToString(b)
	return clear, hashToken(clear)
}

func hashToken(clear string) string {
	s := sha256.Sum256([]byte(clear))
	return hex.EncodeToString(s[:])
}
