// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package directory is the identity model of a school deployment
// (design §3, CARINE INF-ANN): establishments, people, groups and
// memberships, grants given by the head, and network zones. It owns
// validation and authorization; persistence is behind Store. It imports no
// SQL driver, no net/http and no protocol library.
package directory

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// EstablishmentType is the kind of school.
type EstablishmentType string

// Establishment types. The first three are the ones of demo-accounts.csv.
const (
	Ecole   EstablishmentType = "ecole"
	College EstablishmentType = "college"
	Lycee   EstablishmentType = "lycee"
	LP      EstablishmentType = "lp"   // lycée professionnel
	EREA    EstablishmentType = "erea" // établissement régional d'enseignement adapté
	Other   EstablishmentType = "other"
)

// EstablishmentTypes lists the valid types.
var EstablishmentTypes = []EstablishmentType{Ecole, College, Lycee, LP, EREA, Other}

// Establishment is a tenant: one école or EPLE, identified by its UAI.
type Establishment struct {
	ID        string
	UAI       string // validated by core.ParseUAI
	Type      EstablishmentType
	Name      string
	Academie  string
	Domains   []string // mail and web domains, lower case
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EstablishmentSummary is an establishment with the counts shown on the
// admin home page.
type EstablishmentSummary struct {
	Establishment
	People  int // every attached person
	Pupils  int
	Classes int // classes of the current school year
}

// Validate checks e and canonicalises its UAI and domains.
func (e *Establishment) Validate() error {
	const op = "directory.Establishment.Validate"
	uai, err := core.ParseUAI(e.UAI)
	if err != nil {
		return err
	}
	e.UAI = uai
	if !validEstablishmentType(e.Type) {
		return core.E(op, core.Invalid, "establishment type %q is not one of ecole, college, lycee, lp, erea, other", clip(string(e.Type)))
	}
	if err := checkText("name", e.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("académie", e.Academie, 0, 100); err != nil {
		return err
	}
	for i, d := range e.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if !validDomain(d) {
			return core.E(op, core.Invalid, "domain %q is not a valid host name", clip(d))
		}
		e.Domains[i] = d
	}
	return nil
}

func validEstablishmentType(t EstablishmentType) bool {
	for _, v := range EstablishmentTypes {
		if t == v {
			return true
		}
	}
	return false
}

// State is the life-cycle state of an account.
type State string

// Account states (design §3).
const (
	Pending  State = "pending"   // imported, not yet activated
	Active   State = "active"    // may log in
	Disabled State = "disabled"  // may not log in; data kept
	ToDelete State = "to-delete" // left the establishment; deleted after a grace period
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	return s == Pending || s == Active || s == Disabled || s == ToDelete
}

// Person is one account. Its ID is immutable; its login is unique in the
// deployment (INF-ANN-1). There is deliberately no field for birth date,
// phone, postal address or guardians (INF-ANN-8).
type Person struct {
	ID                 string
	Login              string
	GivenName          string
	FamilyName         string
	DisplayName        string
	Profile            core.Profile
	State              State
	Mail               string // institutional address only (UTI-MSG-3)
	Service            bool   // a non-interactive service account (INF-ANN-1)
	MustChangePassword bool
	DeleteAfter        time.Time         // set when State is ToDelete
	Establishments     []string          // establishment IDs, the first is the main one
	ExternalIDs        map[string]string // join keys: see ExternalIDKinds
	UIDNumber          int64             // POSIX uid, allocated by the store at creation, never reused
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// NationalProfiles maps profiles to the national ENTPersonProfils values
// (formats.md §4.4) that the LDAP view and single sign-on release.
var NationalProfiles = map[core.Profile]string{
	core.ProfilePupil: "National_ELV", core.ProfileTeacher: "National_ENS", core.ProfileStaff: "National_ETA",
	core.ProfileHead: "National_DIR", core.ProfileAdmin: "National_ETA",
}

// ExternalIDKinds are the join keys a person may carry (formats.md §2, §3).
var ExternalIDKinds = []string{"aaf_jointure", "siecle_eleve_id", "be1d_id", "ine", "sts_id", "import_key"}

// MainEstablishment returns the person's first establishment, or "".
func (p *Person) MainEstablishment() string {
	if len(p.Establishments) == 0 {
		return ""
	}
	return p.Establishments[0]
}

// Validate checks p and fills defaults (display name, state).
func (p *Person) Validate() error {
	const op = "directory.Person.Validate"
	login, err := ParseLogin(p.Login)
	if err != nil {
		return err
	}
	p.Login = login
	if err := checkText("given name", p.GivenName, 1, 100); err != nil {
		return err
	}
	if err := checkText("family name", p.FamilyName, 1, 100); err != nil {
		return err
	}
	if p.DisplayName == "" {
		p.DisplayName = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	}
	if err := checkText("display name", p.DisplayName, 1, 200); err != nil {
		return err
	}
	if !p.Profile.Valid() {
		return core.E(op, core.Invalid, "profile %q is not one of pupil, teacher, staff, head, admin", clip(string(p.Profile)))
	}
	if p.State == "" {
		p.State = Active
	}
	if !p.State.Valid() {
		return core.E(op, core.Invalid, "state %q is not one of pending, active, disabled, to-delete", clip(string(p.State)))
	}
	if p.Mail != "" {
		a, err := mail.ParseAddress(p.Mail)
		if err != nil || a.Address != p.Mail {
			return core.E(op, core.Invalid, "mail %q is not a plain e-mail address", clip(p.Mail))
		}
	}
	if len(p.Establishments) == 0 && p.Profile != core.ProfileAdmin {
		return core.E(op, core.Invalid, "a %s must be attached to at least one establishment", p.Profile)
	}
	for k, v := range p.ExternalIDs {
		if !validExternalKind(k) {
			return core.E(op, core.Invalid, "external identifier kind %q is not one of %s", clip(k), strings.Join(ExternalIDKinds, ", "))
		}
		if err := checkText(k, v, 1, 100); err != nil {
			return err
		}
	}
	return nil
}

func validExternalKind(k string) bool {
	for _, v := range ExternalIDKinds {
		if k == v {
			return true
		}
	}
	return false
}

// ParseLogin validates a login and returns it in canonical (lower-case)
// form: 1 to 64 characters among a-z, 0-9, '.', '-', '_', starting with a
// letter or digit. Logins are what pupils type on shared devices, what LDAP
// clients bind with and what mail addresses are made of.
func ParseLogin(s string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if l == "" || len(l) > 64 {
		return "", core.E("directory.ParseLogin", core.Invalid, "login must have 1 to 64 characters")
	}
	for i, c := range l {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '-' || c == '_'))
		if !ok {
			return "", core.E("directory.ParseLogin", core.Invalid,
				"login %q: only a-z, 0-9 and . - _ (not first) are allowed", clip(s))
		}
	}
	return l, nil
}

func checkText(field, v string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if !utf8.ValidString(v) {
		return core.E("directory.checkText", core.Invalid, "%s is not valid UTF-8", field)
	}
	if n < minLen {
		return core.E("directory.checkText", core.Invalid, "%s is required", field)
	}
	if n > maxLen {
		return core.E("directory.checkText", core.Invalid, "%s is longer than %d characters", field, maxLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return core.E("directory.checkText", core.Invalid, "%s contains a control character", field)
		}
	}
	return nil
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
