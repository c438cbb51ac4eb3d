// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/journal"
)

// Authenticator is what binds and password changes need.
type Authenticator interface {
	Authenticate(ctx context.Context, a auth.Attempt) (core.Principal, *directory.Person, error)
	ChangePassword(ctx context.Context, current, next string) error
	ResetPassword(ctx context.Context, login, next string) error
	Hash(pw string) string
}

// Writer is what LDAP writes go through: the directory service, which
// checks rights and journals every attempt (INF-ANN-4).
type Writer interface {
	CreatePerson(ctx context.Context, p *directory.Person, passwordHash string) error
	UpdatePerson(ctx context.Context, id string, upd directory.PersonUpdate) (*directory.Person, error)
}

// Journal records events that change no row (a successful bind, a refused
// write the service never saw).
type Journal interface {
	Journal(ctx context.Context, e journal.Entry) error
}

// Directory serves the LDAP view: it implements ldapd.Directory.
type Directory struct {
	loader *Loader
	auth   Authenticator
	writer Writer
	jrnl   Journal
	log    *slog.Logger
	schema *ldapd.Schema
}

// type check
var _ ldapd.Directory = (*Directory)(nil)

// NewDirectory returns the LDAP face of the directory. loader must have
// loaded its first snapshot.
func NewDirectory(l *Loader, a Authenticator, w Writer, j Journal, log *slog.Logger) *Directory {
	return &Directory{loader: l, auth: a, writer: w, jrnl: j, log: log, schema: buildSchema()}
}

// Schema describes the served schema.
func (d *Directory) Schema() *ldapd.Schema { return d.schema }

// loginOf turns a bind name into a login: a DN's uid value, the local part
// of a user principal name (login@domain), or the name itself.
func loginOf(name string) string {
	name = strings.TrimSpace(name)
	if strings.Contains(name, "=") {
		rdn, _, _ := strings.Cut(name, ",")
		k, v, _ := strings.Cut(rdn, "=")
		if strings.EqualFold(strings.TrimSpace(k), "uid") {
			return strings.ReplaceAll(strings.TrimSpace(v), `\`, "")
		}
		return ""
	}
	if l, _, ok := strings.Cut(name, "@"); ok {
		return l
	}
	return name
}

// Bind authenticates a simple bind by DN, user principal name or bare login.
// Every attempt is journaled: failures by auth, successes here (INF-AUT-13).
func (d *Directory) Bind(ctx context.Context, name, password string) (ldapd.BindResult, error) {
	anon := core.PrincipalFromContext(ctx)
	login := loginOf(name)
	if login == "" {
		login = name // journaled as tried; matches nobody
	}
	p, person, err := d.auth.Authenticate(ctx, auth.Attempt{Login: login, Password: password,
		Channel: core.ChannelLDAP, Source: anon.Source})
	if err != nil {
		return ldapd.BindResult{}, err
	}
	// A bind refreshes a stale view, so that a new connection reads what
	// was written before it (by the CLI, the web or another node).
	if err := d.loader.Refresh(ctx); err != nil {
		d.log.Warn("LDAP view refresh failed", "err", err)
	}
	dn := ""
	if s := d.loader.Snapshot(); s != nil {
		if e := s.PersonByLogin(person.Login); e != nil {
			dn = e.DN
		}
	}
	if name != "" && strings.Contains(name, "=") && dn != "" && NormDN(name) != NormDN(dn) {
		return ldapd.BindResult{}, core.E("dirldap.Bind", core.Unauthenticated, "invalid credentials")
	}
	e := journal.Entry{Chain: person.MainEstablishment(), Action: "auth.login", TargetType: "person",
		TargetID: person.ID, TargetName: person.Login}
	e.SetActor(p)
	if err := d.jrnl.Journal(ctx, e); err != nil {
		d.log.Error("journaling an LDAP bind failed", "err", err)
	}
	return ldapd.BindResult{Principal: p, DN: dn, MustChange: person.MustChangePassword}, nil
}

// Search emits the visible entries that may match req, as the principal may
// read them.
func (d *Directory) Search(ctx context.Context, req *ldapd.SearchRequest, emit func(*ldapd.Entry) bool) error {
	s := d.loader.Snapshot()
	p := core.PrincipalFromContext(ctx)
	op := p.Operator()
	if req.BaseDN != "" {
		if b, ok := s.lookup(req.BaseDN); !ok || !s.visibleTo(&p, op, b) {
			return core.E("dirldap.Search", core.NotFound, "no such entry: %s", req.BaseDN)
		}
	}
	var tb [8]ldapd.Term
	list, all := s.candidates(req.Filter.AppendEqualityTerms(tb[:0]))
	n := len(list)
	if all {
		n = s.Len()
	}
	buf := fillPool.Get().(*fillBuf)
	defer fillPool.Put(buf)
	if !all {
		buf.warmed = s.warm(list)
	}
	out := &buf.out
	need := s.neededFor(req, buf.need)
	if need != nil {
		buf.need = need
	}
	for k := range n {
		i := int32(k)
		if !all {
			i = list[k]
		}
		if !s.visibleTo(&p, op, i) {
			continue
		}
		if view := s.viewOf(&p, op, i); view == viewOther {
			buf.attrs, buf.vals = s.fill(i, &buf.e, buf.attrs, buf.vals)
			v := s.ViewFor(p, &buf.e)
			out.DN, out.Attrs = v.DN, v.Attrs
		} else { // View's filtering, without allocating
			buf.attrs, buf.vals = s.appendAttrs(i, buf.attrs[:0], buf.vals[:0], view, need)
			out.DN, out.Attrs = s.str(s.recs[i].dn), buf.attrs[:len(buf.attrs):len(buf.attrs)]
		}
		if !emit(out) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// fillBuf is where a search makes its entries, reused across searches.
type fillBuf struct {
	out    ldapd.Entry // what emit receives
	e      Entry
	attrs  []Attr
	vals   []string
	need   neededNames
	warmed uint32 // Snapshot.warm's sum
}

var fillPool = sync.Pool{New: func() any { return &fillBuf{} }}

// Compare reports whether the visible entry dn holds value in attr.
func (d *Directory) Compare(ctx context.Context, dn, attr, value string) (bool, error) {
	p := core.PrincipalFromContext(ctx)
	s := d.loader.Snapshot()
	e := s.Lookup(dn)
	if e == nil || !s.VisibleTo(p, e) {
		return false, core.E("dirldap.Compare", core.NotFound, "no such entry: %s", dn)
	}
	vals := s.ViewFor(p, e).Get(attr)
	if vals == nil {
		return false, ldapd.WithCode(core.E("dirldap.Compare", core.NotFound, "no attribute %s", attr), ldapd.ResultNoSuchAttribute)
	}
	la := strings.ToLower(attr)
	for _, v := range vals {
		if normValue(la, v) == normValue(la, value) {
			return true, nil
		}
	}
	return false, nil
}
