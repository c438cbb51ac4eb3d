// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package picture is the picture login of young pupils who cannot read yet
// (CARINE INF-AUT-1, 1st degree): a teacher turns it on for a class of an
// école; each pupil of the class gets an avatar, distinct within the
// class, and a random sequence of 3 or 4 pictures drawn from a grid of 9
// or 12. On the class board (reached by the class code or its QR code) the
// pupil taps their avatar, then their pictures in order, and gets a web
// session whose method is "pic" at level 1.
//
// Only an argon2id hash of each sequence is stored (INF-AUT-10): a clear
// sequence exists only in the answer to the teacher's action that drew it,
// to be printed on the pupil's card (the maternelle exception of
// INF-AUT-10). Guessing is bounded per pupil and per class board, never
// for good, and every attempt is journaled (INF-AUT-13).
//
// The package holds the domain logic only: it imports no SQL driver and no
// net/http. Persistence is behind Store; pages are in pictureweb.
package picture

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// GridSizes and Lengths are the shapes a class may choose.
var (
	GridSizes = []int{9, 12}
	Lengths   = []int{3, 4}
)

// Method is the RFC 8176-style method of a picture session, as sessions
// and single sign-on carry it.
const Method = auth.PictureMethod

// Class is a class (a directory group of kind class) with picture login on.
type Class struct {
	GroupID   string
	Code      string // CodeLength letters and digits of codeAlphabet, unique
	GridSize  int    // one of GridSizes
	Length    int    // one of Lengths: pictures in a sequence
	EnabledBy string // login of who turned it on
	EnabledAt time.Time
}

// Grid returns the picture IDs of the class's grid, in display order.
func (c *Class) Grid() []string { return Grid(c.GridSize) }

// Secret is the picture credential of one pupil: the avatar and the
// argon2id PHC string of the sequence (see hashInput).
type Secret struct {
	PersonID  string
	Avatar    string
	Hash      string
	ChangedAt time.Time
}

// Store persists picture classes and secrets. Mutating methods write their
// journal entries in the same transaction as the change. Errors:
// core.NotFound for a missing object, core.Exists for a class code or a
// class already taken.
type Store interface {
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	FindPerson(ctx context.Context, id string) (*directory.Person, error)

	// FindPictureClass returns the picture class of a group, core.NotFound
	// when picture login is off for it.
	FindPictureClass(ctx context.Context, groupID string) (*Class, error)
	// FindPictureClassByCode returns the class of a code, core.NotFound if
	// none.
	FindPictureClassByCode(ctx context.Context, code string) (*Class, error)
	// FindPictureClasses returns the picture classes among groupIDs.
	FindPictureClasses(ctx context.Context, groupIDs []string) ([]*Class, error)
	// FindPictureSecrets returns the secrets of the members of a group
	// (role member) that have one.
	FindPictureSecrets(ctx context.Context, groupID string) ([]*Secret, error)
	// EnablePictureClass stores c and secrets and journals es.
	EnablePictureClass(ctx context.Context, c *Class, secrets []*Secret, es []journal.Entry) error
	// DisablePictureClass removes the class and the secrets of its members
	// and journals e.
	DisablePictureClass(ctx context.Context, groupID string, e journal.Entry) error
	// PutPictureSecrets creates or replaces secrets and journals es.
	PutPictureSecrets(ctx context.Context, secrets []*Secret, es []journal.Entry) error
	// Journal records an event that changes no row (a refused attempt).
	Journal(ctx context.Context, e journal.Entry) error
}

// Sessions opens web sessions; *auth.Service is one.
type Sessions interface {
	LoginWithPictures(ctx context.Context, person *directory.Person, a auth.PictureAttempt) (string, core.Principal, error)
	// Hash and VerifySecret run argon2id within the service's bound of one
	// per core, shared with password logins.
	Hash(secret string) string
	VerifySecret(encoded, secret string) (bool, error)
}

// Deps are the collaborators of a Service. Limits may be zero (defaults).
type Deps struct {
	Store    Store
	Sessions Sessions
	Clock    core.Clock
	Log      *slog.Logger
	Limits   Limits
}

// Service is the picture login. It is safe for concurrent use.
type Service struct {
	store    Store
	sessions Sessions
	clock    core.Clock
	log      *slog.Logger
	guard    *guard
}

// New returns a picture login service.
func New(deps Deps) *Service {
	deps.Limits.Defaults()
	return &Service{store: deps.Store, sessions: deps.Sessions, clock: deps.Clock, log: deps.Log,
		guard: newGuard(deps.Limits)}
}

// hash returns the stored form of a pupil's sequence.
func (s *Service) hash(personID string, seq Sequence) string {
	return s.sessions.Hash(hashInput(personID, seq))
}

// verify checks a sequence against a stored hash.
func (s *Service) verify(hash, personID string, seq Sequence) bool {
	ok, err := s.sessions.VerifySecret(hash, hashInput(personID, seq))
	if err != nil {
		s.log.Error("stored picture hash unreadable", "person", personID, "err", err)
	}
	return ok
}

// validShape reports whether a grid size and a length are allowed.
func validShape(grid, length int) bool {
	return slices.Contains(GridSizes, grid) && slices.Contains(Lengths, length)
}

// maternelleLevels are the levels of école maternelle classes.
var maternelleLevels = []string{"PS", "MS", "GS", "TPS"}

// Maternelle reports whether a class is of école maternelle by its level
// ("PS", "MS-GS"…): only there may a teacher keep the pupils' credentials
// on paper (INF-AUT-10).
func Maternelle(g *directory.Group) bool {
	if g.Level == "" {
		return false
	}
	for _, part := range splitLevel(g.Level) {
		if !slices.Contains(maternelleLevels, part) {
			return false
		}
	}
	return true
}

func splitLevel(level string) []string {
	var out []string
	cur := []rune{}
	for _, r := range level {
		if r == '-' || r == '/' || r == ' ' || r == '_' {
			if len(cur) > 0 {
				out = append(out, string(cur))
			}
			cur = cur[:0]
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		cur = append(cur, r)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}
