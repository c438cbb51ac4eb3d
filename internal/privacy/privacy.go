// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package privacy says who is responsible for the personal data Préau holds
// and gives every person what is held about them. Per establishment it keeps
// the data controller (the head of a secondary establishment, the DASEN for
// a primary school), the académie's data protection officer and the
// delegates the controller named, with their scope and dates (CARINE
// INF-ANN-n1); every change is journaled by the store in the same
// transaction. It also builds the "my data" export of a person ([Build]),
// which never carries a secret: no password or picture-sequence hash, no
// second-factor secret or recovery code, no passkey key material, no session
// identifier or ticket.
//
// It is a domain package: it imports neither database/sql nor net/http.
package privacy

import (
	"context"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Controller is the data controller of an establishment and the data
// protection officer (DPO) of its académie.
type Controller struct {
	Establishment string
	Name          string // "Mme Claire Martin"
	Role          string // "Principale du collège", "DASEN de la Gironde"
	Contact       string // an institutional e-mail address or a web address, never a personal phone
	DPOName       string // "Délégué à la protection des données de l'académie"
	DPOContact    string
	UpdatedBy     string // login
	UpdatedAt     time.Time
}

// Delegate is a person, or a named role, to whom the controller delegated
// operational responsibility for part of the data.
type Delegate struct {
	ID            string
	Establishment string
	Name          string // "M. Paul Durand, gestionnaire" or "Le référent numérique"
	Scope         string // what they are responsible for: "comptes des élèves", "sauvegardes"
	Contact       string // optional, same rules as Controller.Contact
	From          time.Time
	Until         time.Time // zero: until further notice
	CreatedBy     string
	CreatedAt     time.Time
}

// InForce reports whether the delegation applies at now.
func (d *Delegate) InForce(now time.Time) bool {
	return !now.Before(d.From) && (d.Until.IsZero() || now.Before(d.Until))
}

// Limits on the free text an editor types.
const (
	maxName    = 200
	maxScope   = 500
	maxContact = 254
)

// Validate checks c and trims its fields.
func (c *Controller) Validate() error {
	const op = "privacy.Controller.Validate"
	c.Name, c.Role = strings.TrimSpace(c.Name), strings.TrimSpace(c.Role)
	c.Contact, c.DPOName, c.DPOContact = strings.TrimSpace(c.Contact), strings.TrimSpace(c.DPOName), strings.TrimSpace(c.DPOContact)
	if c.Establishment == "" {
		return core.E(op, core.Invalid, "the establishment is missing")
	}
	if err := text(op, "the controller's name", c.Name, maxName, true); err != nil {
		return err
	}
	if err := text(op, "the controller's role", c.Role, maxName, true); err != nil {
		return err
	}
	if err := CheckContact(op, "the controller's contact", c.Contact, true); err != nil {
		return err
	}
	if err := text(op, "the data protection officer's name", c.DPOName, maxName, false); err != nil {
		return err
	}
	return CheckContact(op, "the data protection officer's contact", c.DPOContact, c.DPOName != "")
}

// Validate checks d and trims its fields.
func (d *Delegate) Validate() error {
	const op = "privacy.Delegate.Validate"
	d.Name, d.Scope, d.Contact = strings.TrimSpace(d.Name), strings.TrimSpace(d.Scope), strings.TrimSpace(d.Contact)
	if d.Establishment == "" {
		return core.E(op, core.Invalid, "the establishment is missing")
	}
	if err := text(op, "the delegate's name or role", d.Name, maxName, true); err != nil {
		return err
	}
	if err := text(op, "the scope of the delegation", d.Scope, maxScope, true); err != nil {
		return err
	}
	if err := CheckContact(op, "the delegate's contact", d.Contact, false); err != nil {
		return err
	}
	if d.From.IsZero() {
		return core.E(op, core.Invalid, "the start date of the delegation is missing")
	}
	if !d.Until.IsZero() && !d.Until.After(d.From) {
		return core.E(op, core.Invalid, "the end date of the delegation must be after its start date")
	}
	return nil
}

// text checks one free-text field: present when required, short enough,
// valid UTF-8 without control characters.
func text(op, what, s string, max int, required bool) error {
	switch {
	case s == "" && required:
		return core.E(op, core.Invalid, "%s is missing", what)
	case !utf8.ValidString(s):
		return core.E(op, core.Invalid, "%s is not valid text", what)
	case utf8.RuneCountInString(s) > max:
		return core.E(op, core.Invalid, "%s is longer than %d characters", what, max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return core.E(op, core.Invalid, "%s holds a control character", what)
	}
	return nil
}

// CheckContact accepts an e-mail address (a bare one, no display name) or
// an https address, and refuses anything else — in particular a telephone
// number: the privacy page must never publish someone's personal phone.
func CheckContact(op, what, s string, required bool) error {
	if s == "" {
		if required {
			return core.E(op, core.Invalid, "%s is missing", what)
		}
		return nil
	}
	if err := text(op, what, s, maxContact, true); err != nil {
		return err
	}
	if strings.HasPrefix(s, "https://") {
		if u, err := url.Parse(s); err == nil && u.Host != "" && u.User == nil {
			return nil
		}
		return core.E(op, core.Invalid, "%s %q is not a valid web address", what, s)
	}
	if a, err := mail.ParseAddress(s); err == nil && a.Name == "" && a.Address == s && !strings.ContainsAny(s, " <>") {
		return nil
	}
	return core.E(op, core.Invalid, "%s must be an e-mail address or an https:// address (never a telephone number)", what)
}

// DefaultRole is who CARINE makes responsible for an establishment's data
// when nothing was recorded: the DASEN for a primary school, the head
// otherwise. It is a translation key suffix: "head" or "dasen".
func DefaultRole(t directory.EstablishmentType) string {
	if t == directory.Ecole {
		return "dasen"
	}
	return "head"
}

// Notice is what the privacy page shows for one establishment.
type Notice struct {
	Establishment *directory.Establishment
	Controller    *Controller // nil when none was recorded yet
	Delegates     []*Delegate // in force now or later, in start order
	DefaultRole   string      // "head" or "dasen", for when Controller is nil
}

// Store persists controllers and delegates. Mutating methods journal the
// change in the same transaction with the principal in ctx as the actor.
type Store interface {
	// PrivacyController returns the controller of an establishment, or an
	// error of kind core.NotFound.
	PrivacyController(ctx context.Context, establishment string) (*Controller, error)
	PutPrivacyController(ctx context.Context, c *Controller) error
	// PrivacyDelegates lists every delegate of an establishment, past ones
	// included, in start order.
	PrivacyDelegates(ctx context.Context, establishment string) ([]*Delegate, error)
	AddPrivacyDelegate(ctx context.Context, d *Delegate) error
	// EndPrivacyDelegate sets the end date of a delegation (history is kept).
	// It returns core.NotFound when id is not a delegate of establishment.
	EndPrivacyDelegate(ctx context.Context, establishment, id string, at time.Time) error
}

// Establishments reads establishments.
type Establishments interface {
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
}

// Service edits and reads the privacy records.
type Service struct {
	store Store
	ests  Establishments
	clock core.Clock
}

// New returns the privacy service.
func New(store Store, ests Establishments, clock core.Clock) *Service {
	return &Service{store: store, ests: ests, clock: clock}
}

// CanEdit reports whether p may edit the records of est: the head of that
// establishment (the controller or the one who represents them) and
// operators. A technical admin reads them only.
func CanEdit(p core.Principal, est string) bool {
	return p.Operator() || p.Profile == core.ProfileHead && p.AttachedTo(est)
}

// CanRead reports whether p may open the console page of est.
func CanRead(p core.Principal, est string) bool { return p.CanAdminister(est) || CanEdit(p, est) }

// Notice returns what the privacy page shows for establishment est. Every
// logged-in person may read it: the people concerned must be told.
func (s *Service) Notice(ctx context.Context, est string) (*Notice, error) {
	e, err := s.ests.FindEstablishment(ctx, est)
	if err != nil {
		return nil, err
	}
	n := &Notice{Establishment: e, DefaultRole: DefaultRole(e.Type)}
	if n.Controller, err = s.store.PrivacyController(ctx, e.ID); err != nil {
		if !core.IsKind(err, core.NotFound) {
			return nil, err
		}
		n.Controller = nil
	}
	ds, err := s.store.PrivacyDelegates(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for _, d := range ds {
		if d.Until.IsZero() || d.Until.After(now) {
			n.Delegates = append(n.Delegates, d)
		}
	}
	return n, nil
}

// AllDelegates lists the delegates of est, past ones included, for the console.
func (s *Service) AllDelegates(ctx context.Context, est string) ([]*Delegate, error) {
	if !CanRead(core.PrincipalFromContext(ctx), est) {
		return nil, core.E("privacy.AllDelegates", core.Permission, "only the administration of this establishment may read its delegations")
	}
	return s.store.PrivacyDelegates(ctx, est)
}

// PutController records the controller of c.Establishment.
func (s *Service) PutController(ctx context.Context, c *Controller) error {
	const op = "privacy.PutController"
	p := core.PrincipalFromContext(ctx)
	if !CanEdit(p, c.Establishment) {
		return core.E(op, core.Permission, "only the head of the establishment or an operator may name the data controller")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.UpdatedBy, c.UpdatedAt = p.Login, s.clock.Now()
	return s.store.PutPrivacyController(ctx, c)
}

// AddDelegate records a delegation.
func (s *Service) AddDelegate(ctx context.Context, d *Delegate) error {
	const op = "privacy.AddDelegate"
	p := core.PrincipalFromContext(ctx)
	if !CanEdit(p, d.Establishment) {
		return core.E(op, core.Permission, "only the head of the establishment or an operator may name delegates")
	}
	if d.From.IsZero() {
		d.From = s.clock.Now()
	}
	if err := d.Validate(); err != nil {
		return err
	}
	d.ID, d.CreatedBy, d.CreatedAt = core.NewID(), p.Login, s.clock.Now()
	return s.store.AddPrivacyDelegate(ctx, d)
}

// EndDelegate ends a delegation now.
func (s *Service) EndDelegate(ctx context.Context, est, id string) error {
	if !CanEdit(core.PrincipalFromContext(ctx), est) {
		return core.E("privacy.EndDelegate", core.Permission, "only the head of the establishment or an operator may end a delegation")
	}
	return s.store.EndPrivacyDelegate(ctx, est, id, s.clock.Now())
}

// ContactHref returns the link of a contact: the https address itself, or a
// mailto: link for an e-mail address.
func ContactHref(contact string) string {
	if strings.HasPrefix(contact, "https://") {
		return contact
	}
	return "mailto:" + contact
}

// ContactHref is the link of the controller's contact.
func (c *Controller) ContactHref() string { return ContactHref(c.Contact) }

// DPOContactHref is the link of the data protection officer's contact.
func (c *Controller) DPOContactHref() string { return ContactHref(c.DPOContact) }

// ContactHref is the link of the delegate's contact.
func (d *Delegate) ContactHref() string { return ContactHref(d.Contact) }
