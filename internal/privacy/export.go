// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package privacy

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/notify"
)

// JournalLimit bounds the journal entries of an export: the most recent
// ones where the person is the actor or the target.
const JournalLimit = 1000

// SSOLogin is one application a person logged into through single sign-on.
type SSOLogin struct {
	Application string    `json:"application"`
	Service     string    `json:"service,omitempty"` // the URL the application asked to return to
	At          time.Time `json:"at"`
}

// APIToken is a bearer token of the person for the JSON API, never its
// value nor its hash.
type APIToken struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// PictureLogin says whether a person logs in with a picture sequence. It
// never carries the sequence, nor its hash.
type PictureLogin struct {
	Enabled   bool      `json:"enabled"`
	Avatar    string    `json:"avatar,omitempty"` // the picture that stands for the pupil on the class card
	ChangedAt time.Time `json:"changed_at,omitzero"`
}

// Source is what Build reads. Its methods are the store's; none of the
// values Build copies into the export is a secret, and the secrets some of
// them carry (a passkey's key material, a TOTP seed, a session identifier)
// are dropped by Build.
type Source interface {
	FindPerson(ctx context.Context, id string) (*directory.Person, error)
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
	FindGrants(ctx context.Context, personID string) ([]*directory.Grant, error)
	FindSessions(ctx context.Context, personID string) ([]*auth.Session, error)
	PersonSSOLogins(ctx context.Context, personID string) ([]*SSOLogin, error)
	PersonTokens(ctx context.Context, personID string) ([]*APIToken, error)
	TOTP(ctx context.Context, personID string) (*auth.TOTPSecret, error)
	RecoveryCodesLeft(ctx context.Context, personID string) (int, error)
	Passkeys(ctx context.Context, personID string) ([]*auth.Passkey, error)
	PasswordChangedAt(ctx context.Context, personID string) (time.Time, error)
	PersonPictureLogin(ctx context.Context, personID string) (*PictureLogin, error)
	FindNotices(ctx context.Context, personID string, unreadOnly bool) ([]*notify.Notice, error)
	PersonJournal(ctx context.Context, personID string, limit int) ([]*journal.Entry, error)
	PrivacyController(ctx context.Context, establishment string) (*Controller, error)
	PrivacyDelegates(ctx context.Context, establishment string) ([]*Delegate, error)
}

// Export is everything Préau holds about one person, without a secret.
// Field names are stable: they are the JSON keys and the CSV field column.
type Export struct {
	GeneratedAt    time.Time       `json:"generated_at"`
	Identity       Identity        `json:"identity"`
	Establishments []ExportEst     `json:"establishments"`
	ExternalIDs    []ExternalID    `json:"external_ids"`
	Groups         []ExportGroup   `json:"groups"`
	Grants         []ExportGrant   `json:"grants"`
	Password       ExportPassword  `json:"password"`
	SecondFactors  []SecondFactor  `json:"second_factors"`
	Passkeys       []ExportPasskey `json:"passkeys"`
	PictureLogin   PictureLogin    `json:"picture_login"`
	Sessions       []ExportSession `json:"sessions"`
	SSOLogins      []SSOLogin      `json:"sso_logins"`
	APITokens      []APIToken      `json:"api_tokens"`
	Notices        []ExportNotice  `json:"notices"`
	Journal        []ExportJournal `json:"journal"`
	JournalLimit   int             `json:"journal_limit"` // at most this many entries, the most recent
	Privacy        []ExportPrivacy `json:"privacy"`
	NeverExported  []string        `json:"never_exported"` // what is held but withheld, and why it is safe

	estNames map[string]string // establishment ID → name, for groups and grants
}

// Identity is the directory entry.
type Identity struct {
	ID             string    `json:"id"`
	Login          string    `json:"login"`
	GivenName      string    `json:"given_name"`
	FamilyName     string    `json:"family_name"`
	DisplayName    string    `json:"display_name"`
	Profile        string    `json:"profile"`
	State          string    `json:"state"`
	Mail           string    `json:"mail,omitempty"`
	ServiceAccount bool      `json:"service_account"`
	UIDNumber      int64     `json:"uid_number,omitempty"`
	DeleteAfter    time.Time `json:"delete_after,omitzero"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ExportEst is an establishment the person is attached to.
type ExportEst struct {
	UAI      string `json:"uai"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Academie string `json:"academie,omitempty"`
	Main     bool   `json:"main"`
}

// ExternalID is a join key with a national directory.
type ExternalID struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// ExportGroup is a membership.
type ExportGroup struct {
	Establishment string `json:"establishment"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	SchoolYear    int    `json:"school_year"`
	Role          string `json:"role"`
}

// ExportGrant is a right given by the head.
type ExportGrant struct {
	Right         string    `json:"right"`
	Establishment string    `json:"establishment,omitempty"`
	Zone          string    `json:"zone,omitempty"`      // the network zone the right is bound to
	ViaGroup      string    `json:"via_group,omitempty"` // given to a group the person belongs to
	GrantedBy     string    `json:"granted_by"`
	From          time.Time `json:"from"`
	Until         time.Time `json:"until,omitzero"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
}

// ExportPassword is the state of the password, never the password.
type ExportPassword struct {
	Set        bool      `json:"set"`
	ChangedAt  time.Time `json:"changed_at,omitzero"`
	MustChange bool      `json:"must_change"`
	Expired    bool      `json:"expired"`
}

// SecondFactor is an enrolled second factor, never its secret.
type SecondFactor struct {
	Kind      string    `json:"kind"` // "totp", "recovery_codes"
	Name      string    `json:"name"`
	Confirmed bool      `json:"confirmed"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Remaining int       `json:"remaining,omitempty"` // recovery codes not used yet
}

// ExportPasskey is a security key or passkey, never its key material.
type ExportPasskey struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// ExportSession is an open web session, never its identifier.
type ExportSession struct {
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Strong    bool      `json:"strong"`
	Methods   []string  `json:"methods,omitempty"`
}

// ExportNotice is a portal message.
type ExportNotice struct {
	At      time.Time `json:"at"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	ReadAt  time.Time `json:"read_at,omitzero"`
}

// ExportJournal is a journal entry where the person acted or was acted on.
type ExportJournal struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	Source     string    `json:"source,omitempty"`
	Target     string    `json:"target,omitempty"`
	Attributes []string  `json:"attributes,omitempty"`
	Result     string    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
}

// ExportPrivacy is who is responsible for the data in one establishment.
type ExportPrivacy struct {
	Establishment string            `json:"establishment"`
	Controller    *ExportController `json:"controller,omitempty"`
	DefaultRole   string            `json:"default_role"`
	Delegates     []ExportDelegate  `json:"delegates"`
}

// ExportController is the data controller as the export shows it.
type ExportController struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Contact    string    `json:"contact"`
	DPOName    string    `json:"dpo_name,omitempty"`
	DPOContact string    `json:"dpo_contact,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ExportDelegate is a delegate as the export shows it.
type ExportDelegate struct {
	Name    string    `json:"name"`
	Scope   string    `json:"scope"`
	Contact string    `json:"contact,omitempty"`
	From    time.Time `json:"from"`
	Until   time.Time `json:"until,omitzero"`
}

// neverExported lists what Préau holds but never gives out, in the export
// itself, so that the reader knows it exists.
var neverExported = []string{
	"password_hash: only a one-way hash (argon2id) of the password is kept; it is never given out",
	"password_history: hashes of past passwords, kept to refuse their reuse",
	"totp_secret: the seed of the authenticator app",
	"recovery_codes: only hashes are kept",
	"passkey_keys: the public keys and credential identifiers of security keys",
	"picture_sequence: only a hash of the picture sequence is kept",
	"session_ids: the identifiers of sessions, single sign-on tickets and tokens, which would let anyone holding them act as the person",
	"api_token_hashes: only a hash of each API token is kept",
}

// Deps are what Build needs beyond the store.
type Deps struct {
	Source Source
	Clock  core.Clock
	// PasswordExpired reports whether the person's password is past its
	// policy's maximum age; nil counts as never.
	PasswordExpired func(ctx context.Context, p *directory.Person) bool
}

// Build gathers everything held about the person personID.
func Build(ctx context.Context, d Deps, personID string) (*Export, error) {
	src := d.Source
	person, err := src.FindPerson(ctx, personID)
	if err != nil {
		return nil, err
	}
	x := &Export{GeneratedAt: d.Clock.Now().UTC(), JournalLimit: JournalLimit, NeverExported: neverExported,
		estNames: map[string]string{}}
	x.Identity = Identity{ID: person.ID, Login: person.Login, GivenName: person.GivenName, FamilyName: person.FamilyName,
		DisplayName: person.DisplayName, Profile: string(person.Profile), State: string(person.State), Mail: person.Mail,
		ServiceAccount: person.Service, UIDNumber: person.UIDNumber, DeleteAfter: person.DeleteAfter,
		CreatedAt: person.CreatedAt, UpdatedAt: person.UpdatedAt}
	var ests []*directory.Establishment
	for i, id := range person.Establishments {
		e, err := src.FindEstablishment(ctx, id)
		if err != nil {
			return nil, err
		}
		ests = append(ests, e)
		x.estNames[e.ID] = e.Name
		x.Establishments = append(x.Establishments, ExportEst{UAI: e.UAI, Name: e.Name, Type: string(e.Type),
			Academie: e.Academie, Main: i == 0})
	}
	for _, k := range slices.Sorted(maps.Keys(person.ExternalIDs)) {
		x.ExternalIDs = append(x.ExternalIDs, ExternalID{Kind: k, Value: person.ExternalIDs[k]})
	}
	ms, err := src.FindMemberships(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		x.Groups = append(x.Groups, ExportGroup{Establishment: x.estName(m.Group.Establishment), Code: m.Group.Code,
			Name: m.Group.Name, Kind: string(m.Group.Kind), SchoolYear: m.Group.SchoolYear, Role: m.Role})
	}
	gs, err := src.FindGrants(ctx, person.ID)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		eg := ExportGrant{Right: string(g.Right), Establishment: x.estName(g.Establishment), Zone: g.Zone,
			GrantedBy: g.GrantedBy, From: g.From, Until: g.Until, RevokedAt: g.RevokedAt}
		if g.GroupID != "" {
			eg.ViaGroup = g.TargetName
		}
		x.Grants = append(x.Grants, eg)
	}
	if err := x.authState(ctx, d, person); err != nil {
		return nil, err
	}
	ns, err := src.FindNotices(ctx, person.ID, false)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		x.Notices = append(x.Notices, ExportNotice{At: n.At, Subject: n.Subject, Body: n.Body, ReadAt: n.ReadAt})
	}
	es, err := src.PersonJournal(ctx, person.ID, JournalLimit)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		x.Journal = append(x.Journal, exportEntry(e))
	}
	for _, e := range ests {
		p := ExportPrivacy{Establishment: e.Name, DefaultRole: DefaultRole(e.Type), Delegates: []ExportDelegate{}}
		c, err := src.PrivacyController(ctx, e.ID)
		switch {
		case err == nil:
			p.Controller = &ExportController{Name: c.Name, Role: c.Role, Contact: c.Contact, DPOName: c.DPOName,
				DPOContact: c.DPOContact, UpdatedAt: c.UpdatedAt}
		case !core.IsKind(err, core.NotFound):
			return nil, err
		}
		ds, err := src.PrivacyDelegates(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			p.Delegates = append(p.Delegates, ExportDelegate{Name: d.Name, Scope: d.Scope, Contact: d.Contact,
				From: d.From, Until: d.Until})
		}
		x.Privacy = append(x.Privacy, p)
	}
	x.fillEmpty()
	return x, nil
}

// authState fills the password, second factors, passkeys, picture login,
// sessions and SSO logins, dropping every secret the sources carry.
func (x *Export) authState(ctx context.Context, d Deps, person *directory.Person) error {
	src := d.Source
	at, err := src.PasswordChangedAt(ctx, person.ID)
	switch {
	case err == nil:
		x.Password = ExportPassword{Set: true, ChangedAt: at}
	case !core.IsKind(err, core.NotFound):
		return err
	}
	x.Password.MustChange = person.MustChangePassword
	if d.PasswordExpired != nil && x.Password.Set {
		x.Password.Expired = d.PasswordExpired(ctx, person)
	}
	t, err := src.TOTP(ctx, person.ID)
	switch {
	case err == nil:
		x.SecondFactors = append(x.SecondFactors, SecondFactor{Kind: "totp", Name: "authenticator app",
			Confirmed: t.Confirmed, CreatedAt: t.CreatedAt})
	case !core.IsKind(err, core.NotFound):
		return err
	}
	left, err := src.RecoveryCodesLeft(ctx, person.ID)
	if err != nil {
		return err
	}
	if left > 0 {
		x.SecondFactors = append(x.SecondFactors, SecondFactor{Kind: "recovery_codes", Name: "recovery codes",
			Confirmed: true, Remaining: left})
	}
	keys, err := src.Passkeys(ctx, person.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		x.Passkeys = append(x.Passkeys, ExportPasskey{Name: k.Name, CreatedAt: k.CreatedAt, LastUsed: k.LastUsed})
	}
	pl, err := src.PersonPictureLogin(ctx, person.ID)
	if err != nil {
		return err
	}
	x.PictureLogin = PictureLogin{Enabled: pl.Enabled, Avatar: pl.Avatar, ChangedAt: pl.ChangedAt}
	ss, err := src.FindSessions(ctx, person.ID)
	if err != nil {
		return err
	}
	for _, s := range ss {
		x.Sessions = append(x.Sessions, ExportSession{CreatedAt: s.CreatedAt, LastSeen: s.LastSeen, ExpiresAt: s.ExpiresAt,
			Source: s.Source, UserAgent: s.UserAgent, Strong: s.AuthLevel >= 2, Methods: s.Methods})
	}
	ls, err := src.PersonSSOLogins(ctx, person.ID)
	if err != nil {
		return err
	}
	for _, l := range ls {
		x.SSOLogins = append(x.SSOLogins, SSOLogin{Application: l.Application, Service: l.Service, At: l.At})
	}
	ts, err := src.PersonTokens(ctx, person.ID)
	if err != nil {
		return err
	}
	for _, tk := range ts {
		x.APITokens = append(x.APITokens, APIToken{Name: tk.Name, CreatedAt: tk.CreatedAt, ExpiresAt: tk.ExpiresAt,
			LastUsed: tk.LastUsed, RevokedAt: tk.RevokedAt})
	}
	return nil
}

// exportEntry copies the readable part of a journal entry: not the hash
// chain, and for a session target not its identifier.
func exportEntry(e *journal.Entry) ExportJournal {
	target := e.TargetName
	if target == "" && e.TargetType != "session" {
		target = e.TargetID
	}
	switch {
	case target == "":
		target = e.TargetType
	case e.TargetType != "":
		target = e.TargetType + " " + target
	}
	return ExportJournal{At: e.At, Action: e.Action, Actor: e.ActorLogin, Channel: e.Channel, Source: e.Source,
		Target: target, Attributes: e.Attributes, Result: string(e.Result), Reason: e.Reason}
}

func (x *Export) estName(id string) string {
	if n, ok := x.estNames[id]; ok {
		return n
	}
	return id
}

// fillEmpty turns nil lists into empty ones, so that the JSON says [] (the
// category exists and is empty) rather than null.
func (x *Export) fillEmpty() {
	nonNil(&x.Establishments)
	nonNil(&x.ExternalIDs)
	nonNil(&x.Groups)
	nonNil(&x.Grants)
	nonNil(&x.SecondFactors)
	nonNil(&x.Passkeys)
	nonNil(&x.Sessions)
	nonNil(&x.SSOLogins)
	nonNil(&x.APITokens)
	nonNil(&x.Notices)
	nonNil(&x.Journal)
	nonNil(&x.Privacy)
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// Counts returns the number of items per category, for the page that
// offers the download.
func (x *Export) Counts() map[string]int {
	return map[string]int{"establishments": len(x.Establishments), "external_ids": len(x.ExternalIDs),
		"groups": len(x.Groups), "grants": len(x.Grants), "second_factors": len(x.SecondFactors),
		"passkeys": len(x.Passkeys), "sessions": len(x.Sessions), "sso_logins": len(x.SSOLogins), "api_tokens": len(x.APITokens),
		"notices": len(x.Notices), "journal": len(x.Journal), "privacy": len(x.Privacy)}
}

// WriteJSON writes x as indented JSON.
func (x *Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

// WriteCSV writes x as one row per value: category, item (1-based number
// within a list category, empty for single records), field, value. It is
// built from the JSON form, so that both downloads hold exactly the same
// fields. Values a spreadsheet would read as a formula are prefixed with a
// quote (CSV injection: a user agent or a notice subject is free text).
func (x *Export) WriteCSV(w io.Writer) error {
	var buf strings.Builder
	if err := x.WriteJSON(&buf); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(buf.String()))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"category", "item", "field", "value"}); err != nil {
		return err
	}
	// Categories in the order of the page, then any other (none is dropped).
	order := jsonKeys()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
	}
	for _, cat := range order {
		v, ok := m[cat]
		if !ok {
			continue
		}
		if err := writeCSVValue(cw, cat, "", "", v); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonKeys lists the export's top-level JSON keys in declaration order.
func jsonKeys() []string {
	return []string{"generated_at", "identity", "establishments", "external_ids", "groups", "grants", "password",
		"second_factors", "passkeys", "picture_login", "sessions", "sso_logins", "api_tokens", "notices", "journal", "journal_limit",
		"privacy", "never_exported"}
}

func writeCSVValue(cw *csv.Writer, cat, item, field string, v any) error {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := writeCSVValue(cw, cat, item, join(field, k), t[k]); err != nil {
				return err
			}
		}
		return nil
	case []any:
		if item == "" && field == "" {
			for i, e := range t {
				if err := writeCSVValue(cw, cat, strconv.Itoa(i+1), "", e); err != nil {
					return err
				}
			}
			return nil
		}
		parts := make([]string, len(t))
		for i, e := range t {
			switch et := e.(type) {
			case string:
				parts[i] = et
			default:
				b, _ := json.Marshal(et)
				parts[i] = string(b)
			}
		}
		return cw.Write([]string{cat, item, field, safeCell(strings.Join(parts, "; "))})
	case nil:
		return nil
	case string:
		return cw.Write([]string{cat, item, field, safeCell(t)})
	default:
		b, _ := json.Marshal(t)
		return cw.Write([]string{cat, item, field, string(b)})
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// safeCell defuses a value a spreadsheet would run as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
