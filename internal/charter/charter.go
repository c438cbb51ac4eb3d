// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package charter owns the policy documents of each establishment (CARINE
// [S] support, requirements.md "Policy documents"): the charte (users'
// rights and duties), the charte administrateur technique, the CGU of each
// service and the security policy (PSSI). Each is written in Markdown, kept
// in numbered versions (one editable draft, then immutable published
// versions), and shown with a technical annex generated from the live
// settings (password policies, log retention, the PERSONNEL/PRIVÉ rule…)
// so that what users read is always what the software does.
//
// Publishing a new version of a document that people must accept (the
// charte for every interactive person, the charte administrateur for
// technical admins) makes them accept it again at their next request: the
// gate is charterweb.Gate. Before the head has published a first version,
// the built-in default charter is shown as information only and nobody is
// asked to accept it: an acceptance must refer to a text the establishment
// adopted, and a fresh install must not lock everyone out behind a text no
// one in the school has read.
//
// It is a domain package: no SQL, no HTTP. Any package but internal/core may
// import it.
package charter

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Kind names a type of document. The string values are stored.
type Kind string

// Kinds of documents. A CGU is per service: "cgu-" followed by the service
// name (lower-case letters, digits and dashes), for example "cgu-mail".
const (
	KindCharte         Kind = "charte"          // every interactive person accepts it
	KindAdminCharte    Kind = "charte-admin"    // technical admins accept it as well (INF-AUT-5)
	KindSecurityPolicy Kind = "security-policy" // the PSSI: published, read, not accepted
	cguPrefix               = "cgu-"
)

// FixedKinds lists the kinds every establishment has, in display order.
// CGUs are added per service.
var FixedKinds = []Kind{KindCharte, KindAdminCharte, KindSecurityPolicy}

var cguService = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// CGU returns the kind of the CGU of a service.
func CGU(service string) Kind { return Kind(cguPrefix + service) }

// Service returns the service name of a CGU kind, "" for other kinds.
func (k Kind) Service() string {
	s, _ := strings.CutPrefix(string(k), cguPrefix)
	if s == string(k) {
		return ""
	}
	return s
}

// Valid reports whether k is a known kind or a well-formed CGU kind.
func (k Kind) Valid() bool {
	switch k {
	case KindCharte, KindAdminCharte, KindSecurityPolicy:
		return true
	}
	return k.Service() != "" && cguService.MatchString(k.Service())
}

// ParseKind returns the kind named s, or an error of kind core.Invalid.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); k.Valid() {
		return k, nil
	}
	return "", core.E("charter.ParseKind", core.Invalid,
		"unknown document kind %q: use charte, charte-admin, security-policy or cgu-<service>", s)
}

// MustAccept reports whether a person of profile must accept the documents
// of kind k: the charte, every interactive person; the admin charter,
// technical admins. The security policy and the CGUs are published for
// reading; the charter refers to them.
func (k Kind) MustAccept(profile core.Profile) bool {
	switch k {
	case KindCharte:
		return profile.Valid()
	case KindAdminCharte:
		return profile == core.ProfileAdmin
	}
	return false
}

// HasAnnex reports whether the technical annex is appended to documents of
// kind k: the charte and the security policy, which CARINE asks to state
// the password, retention and privacy rules (INF-AUT-6, MCO-JAL-4, UTI-ESF-6).
func (k Kind) HasAnnex() bool { return k == KindCharte || k == KindSecurityPolicy }

// Version is one version of a document. A draft has no PublishedAt and is
// the only version that may change; there is at most one draft per
// document, numbered after the last published version.
type Version struct {
	Establishment string
	Kind          Kind
	Number        int // from 1
	Title         string
	Body          string // Markdown
	AuthorID      string // last editor of the draft
	AuthorLogin   string
	UpdatedAt     time.Time
	PublishedAt   time.Time // zero for a draft
	PublisherID   string
	PublisherName string // login of the publisher
}

// Draft reports whether v is not yet published.
func (v *Version) Draft() bool { return v.PublishedAt.IsZero() }

// Ref names one version of one document.
type Ref struct {
	Establishment string
	Kind          Kind
	Number        int
}

// Ref returns the reference of v.
func (v *Version) Ref() Ref {
	return Ref{Establishment: v.Establishment, Kind: v.Kind, Number: v.Number}
}

// Acceptance records that a person accepted a version.
type Acceptance struct {
	PersonID      string
	Establishment string
	Kind          Kind
	Number        int
	At            time.Time
	Channel       core.Channel // how it was given ("web")
	Source        string       // source address
}

// ProfileStat counts the people of one profile who accepted a version.
type ProfileStat struct {
	Profile  core.Profile
	People   int // active, interactive people of the establishment with that profile
	Accepted int // of whom accepted the version
}

// Percent returns the share of People who accepted, rounded down.
func (s ProfileStat) Percent() int {
	if s.People == 0 {
		return 0
	}
	return s.Accepted * 100 / s.People
}

// Store persists documents and acceptances. Mutating methods record a
// journal entry (in the establishment's chain) in the same transaction,
// with the principal in ctx as the actor.
type Store interface {
	// CharterVersions returns the versions of one document, newest first,
	// the draft (if any) included.
	CharterVersions(ctx context.Context, est string, kind Kind) ([]*Version, error)
	// CharterKinds returns the kinds that have at least one version in est.
	CharterKinds(ctx context.Context, est string) ([]Kind, error)
	// CurrentCharters returns the latest published version of every
	// document of the given establishments (bodies included).
	CurrentCharters(ctx context.Context, ests []string) ([]*Version, error)
	// SaveCharterDraft creates or replaces the draft of v.Establishment /
	// v.Kind (v.Number is ignored and set) and journals "charter.draft.save".
	SaveCharterDraft(ctx context.Context, v *Version) error
	// PublishCharter publishes the draft numbered n and journals
	// "charter.publish". core.Conflict when it is no longer the draft, or
	// when seen is not zero and the draft was saved at another time (it
	// changed since the publisher read it); core.NotFound when there is no
	// such draft.
	PublishCharter(ctx context.Context, est string, kind Kind, n int, seen time.Time) (*Version, error)
	// AcceptCharters records acceptances by the principal in ctx (its
	// person), one journal entry "charter.accept" each; accepting again is
	// not an error and writes nothing.
	AcceptCharters(ctx context.Context, refs []Ref) error
	// CharterAcceptances returns a person's acceptances, newest first.
	CharterAcceptances(ctx context.Context, personID string) ([]*Acceptance, error)
	// CharterStats counts, per profile, the active interactive people of est
	// and those who accepted the version.
	CharterStats(ctx context.Context, ref Ref) ([]ProfileStat, error)
}
