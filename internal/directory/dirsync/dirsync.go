// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package dirsync synchronises an establishment's directory with an import
// (SIECLE, STS-Web, AAF, CSV): it matches people on stable source keys,
// plans creates, updates, class moves and disables, shows that plan for a
// dry run or preview, and applies it in one transaction. Re-importing the
// same files plans nothing. It holds the import logic once for both back
// ends; the store applies the plan.
package dirsync

import (
	"context"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Incoming is what the parsers read, in neutral form. It holds only what
// the school directory may keep (INF-ANN-8); Dropped counts what was not.
type Incoming struct {
	Source     string // "siecle", "sts", "aaf", "csv"
	UAI        string
	SchoolYear int // 0 when the source has none
	Files      []string
	Complete   bool // the source is the whole truth for the people it carries
	// Covers lists the profiles the source carries in full: a full import
	// disables only missing people of these profiles (a pupils' file never
	// disables teachers). Empty: the profiles of the people it lists.
	Covers  []core.Profile
	People  []Person
	Groups  []Group
	Dropped map[string]int
	Removed []Key // deletions of a delta source
}

// Key is a stable source key: Kind is one of directory.ExternalIDKinds.
type Key struct{ Kind, Value string }

// Person is an incoming person.
type Person struct {
	Key         Key
	ExternalIDs map[string]string
	GivenName   string
	FamilyName  string
	Profile     core.Profile
	Class       string   // pupils: class code
	Groups      []string // pupils: teaching groups
	Teaches     []string // teachers: codes of the classes and groups they teach
	// Fields, when not nil, makes the record partial (an AAF modify): only
	// the named fields change ("given_name", "family_name", "profile",
	// "class", "groups", "teaches", "external_ids").
	Fields []string
}

// sets reports whether the record carries field f.
func (p *Person) sets(f string) bool { return p.Fields == nil || slices.Contains(p.Fields, f) }

// Group is an incoming class or teaching group.
type Group struct{ Code, Name, Kind, Level string }

// Mode says how much of the truth an import carries.
type Mode string

// Modes.
const (
	// Full: the source is the whole truth for its establishment and
	// profiles: people it no longer lists are disabled.
	Full Mode = "full"
	// Partial: adds and updates only; never disables.
	Partial Mode = "partial"
)

// Options tune an import.
type Options struct {
	Mode            Mode
	MaxDisableShare float64       // a full import that would disable more than this share stops; default 0.10
	ConfirmDisable  bool          // go on past MaxDisableShare
	Grace           time.Duration // disabled people are deleted after this; default 30 days
	// Rollover makes the import a school-year rollover: the files must be
	// of the next school year; it plans in full mode, creates that year's
	// classes and groups, ends last year's memberships and picture logins
	// (see Rollover).
	Rollover bool
}

// Store is what the engine needs from the store.
type Store interface {
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	FindGroups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
	AllMemberships(ctx context.Context) ([]directory.Membership, error)
	LoginsTaken(ctx context.Context, candidates []string) (map[string]bool, error)
	ApplyImport(ctx context.Context, c *directory.ImportChanges) error
	// SourceDeclaration returns an establishment's declaration of a
	// generic source (INF-ANN-7), core.NotFound when there is none.
	SourceDeclaration(ctx context.Context, estID, source string) (directory.SourceDeclaration, error)
}

// Line is one planned change, for the preview.
type Line struct {
	Login   string
	Name    string
	Profile core.Profile
	Detail  string // what changes: attribute names, "4A → 4B", reason of a disable
}

// Credential is the initial password of a created account, shown once on
// the class sheets and never stored in clear (INF-AUT-10).
type Credential struct {
	Login, Name, Class, Password string
	Profile                      core.Profile
}

// Plan is what an import would do.
type Plan struct {
	Establishment *directory.Establishment
	Mode          Mode
	Creates       []Line
	Updates       []Line
	Moves         []Line
	Disables      []Line
	NewGroups     []string
	Credentials   []Credential
	Dropped       map[string]int
	Rollover      *Rollover // the rollover report; nil for an ordinary import
	Changes       *directory.ImportChanges
}

// Empty reports whether applying the plan would change nothing.
func (p *Plan) Empty() bool {
	c := p.Changes
	return len(c.NewGroups) == 0 && len(c.NewPeople) == 0 && len(c.Updates) == 0 && len(c.AddMembers) == 0 &&
		len(c.RemoveMembers) == 0 && len(c.EndPictureLogins) == 0
}
