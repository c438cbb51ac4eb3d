// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter

import (
	"context"
	"embed"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

//go:embed defaults
var defaults embed.FS

// Default returns the built-in text of a kind (title and Markdown body):
// the charte and the admin charter have one; other kinds return "", "".
// The editor starts from it, and /charter shows the default charte as
// information while the head has published none.
func Default(k Kind) (title, body string) {
	b, err := defaults.ReadFile("defaults/" + string(k) + ".md")
	if err != nil {
		return "", ""
	}
	body = string(b)
	if first, rest, ok := strings.Cut(body, "\n"); ok && strings.HasPrefix(first, "# ") {
		return strings.TrimPrefix(first, "# "), strings.TrimLeft(rest, "\n")
	}
	return "", body
}

// Deps are the collaborators of a Service. Store is required; Sources make
// the technical annex, in order.
type Deps struct {
	Store   Store
	Journal func(ctx context.Context, e journal.Entry) error // refused attempts; may be nil
	Sources []Source
	Clock   core.Clock
	Log     *slog.Logger
}

// CacheFor is how long a node keeps the current versions of an
// establishment before reading them again: a version published on another
// node is enforced within this delay (design §4: five seconds).
const CacheFor = 5 * time.Second

// Service edits, publishes and serves the documents and records
// acceptances.
type Service struct {
	deps Deps

	mu       sync.Mutex
	current  map[string]cachedVersions // establishment → current published versions
	accepted map[string]string         // person → fingerprint of the required versions they accepted
}

type cachedVersions struct {
	at       time.Time
	versions []*Version
}

// New returns a Service.
func New(deps Deps) *Service {
	if deps.Clock == nil {
		deps.Clock = core.SystemClock{}
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Service{deps: deps, current: map[string]cachedVersions{}, accepted: map[string]string{}}
}

// MayEdit reports whether p may write drafts of the documents of est: the
// heads and technical admins of est, and operators.
func MayEdit(p core.Principal, est string) bool { return p.CanAdminister(est) }

// MayPublish reports whether p may publish the documents of est: the head
// of est, who owns the charter (design §1), or an operator. Technical admins
// prepare drafts; the head publishes them.
func MayPublish(p core.Principal, est string) bool {
	return p.Operator() || (p.Profile == core.ProfileHead && p.AttachedTo(est))
}

// Document is the state of one document of an establishment for the
// console: its current published version, its draft and its history.
type Document struct {
	Kind    Kind
	Current *Version   // nil while none is published
	Draft   *Version   // nil without a draft
	History []*Version // published versions, newest first
}

// Documents returns the documents of est: the fixed kinds and every CGU
// that has a version.
func (s *Service) Documents(ctx context.Context, est string) ([]*Document, error) {
	const op = "charter.Documents"
	if !MayEdit(core.PrincipalFromContext(ctx), est) {
		return nil, core.E(op, core.Permission, "you do not administer this establishment")
	}
	kinds, err := s.deps.Store.CharterKinds(ctx, est)
	if err != nil {
		return nil, err
	}
	all := slices.Clone(FixedKinds)
	for _, k := range kinds {
		if !slices.Contains(all, k) {
			all = append(all, k)
		}
	}
	out := make([]*Document, 0, len(all))
	for _, k := range all {
		d, err := s.document(ctx, est, k)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Document returns one document of est.
func (s *Service) Document(ctx context.Context, est string, k Kind) (*Document, error) {
	if !MayEdit(core.PrincipalFromContext(ctx), est) {
		return nil, core.E("charter.Document", core.Permission, "you do not administer this establishment")
	}
	if !k.Valid() {
		return nil, core.E("charter.Document", core.NotFound, "no such document")
	}
	return s.document(ctx, est, k)
}

func (s *Service) document(ctx context.Context, est string, k Kind) (*Document, error) {
	vs, err := s.deps.Store.CharterVersions(ctx, est, k)
	if err != nil {
		return nil, err
	}
	d := &Document{Kind: k}
	for _, v := range vs {
		if v.Draft() {
			d.Draft = v
			continue
		}
		if d.Current == nil {
			d.Current = v
		}
		d.History = append(d.History, v)
	}
	return d, nil
}

// EditText returns the title and body the editor starts from: the draft,
// else the current version, else the built-in default.
func (d *Document) EditText() (title, body string) {
	switch {
	case d.Draft != nil:
		return d.Draft.Title, d.Draft.Body
	case d.Current != nil:
		return d.Current.Title, d.Current.Body
	}
	return Default(d.Kind)
}

// SaveDraft validates and stores the draft of a document of est.
func (s *Service) SaveDraft(ctx context.Context, est string, k Kind, title, body string) (*Version, error) {
	const op = "charter.SaveDraft"
	p := core.PrincipalFromContext(ctx)
	if !MayEdit(p, est) {
		s.refuse(ctx, est, "charter.draft.save", k, "not an administrator of the establishment")
		return nil, core.E(op, core.Permission, "you do not administer this establishment")
	}
	if !k.Valid() {
		return nil, core.E(op, core.Invalid, "unknown document kind %q", k)
	}
	title = strings.TrimSpace(title)
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if err := ValidateTitle(title); err != nil {
		return nil, err
	}
	if err := ValidateBody(body); err != nil {
		return nil, err
	}
	v := &Version{Establishment: est, Kind: k, Title: title, Body: body, AuthorID: p.PersonID, AuthorLogin: p.Login}
	if err := s.deps.Store.SaveCharterDraft(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Publish publishes draft n of a document of est, as saved at seen (the
// time the publisher read it; zero: whatever it holds now). Everyone who
// must accept the kind is asked to accept it at their next request.
func (s *Service) Publish(ctx context.Context, est string, k Kind, n int, seen time.Time) (*Version, error) {
	const op = "charter.Publish"
	if !MayPublish(core.PrincipalFromContext(ctx), est) {
		s.refuse(ctx, est, "charter.publish", k, "only the head of the establishment publishes")
		return nil, core.E(op, core.Permission, "charter.publish.head_only")
	}
	v, err := s.deps.Store.PublishCharter(ctx, est, k, n, seen)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.current, est)
	s.mu.Unlock()
	return v, nil
}

func (s *Service) refuse(ctx context.Context, est, action string, k Kind, reason string) {
	if s.deps.Journal == nil {
		return
	}
	e := journal.Entry{Chain: est, Action: action, TargetType: "charter", TargetID: est + "/" + string(k),
		TargetName: string(k), Result: journal.Refused, Reason: reason}
	if err := s.deps.Journal(ctx, e); err != nil {
		s.deps.Log.Error("journaling a refused charter change failed", "err", err)
	}
}

// currentOf returns the current published versions of est, from the cache
// when it is younger than CacheFor.
func (s *Service) currentOf(ctx context.Context, ests []string) ([]*Version, error) {
	now := s.deps.Clock.Now()
	var out []*Version
	var missing []string
	s.mu.Lock()
	for _, e := range ests {
		if c, ok := s.current[e]; ok && now.Sub(c.at) < CacheFor {
			out = append(out, c.versions...)
		} else {
			missing = append(missing, e)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	vs, err := s.deps.Store.CurrentCharters(ctx, missing)
	if err != nil {
		return nil, err
	}
	byEst := map[string][]*Version{}
	for _, v := range vs {
		byEst[v.Establishment] = append(byEst[v.Establishment], v)
	}
	s.mu.Lock()
	if len(s.current) > 10000 {
		clear(s.current)
	}
	for _, e := range missing {
		s.current[e] = cachedVersions{at: now, versions: byEst[e]}
	}
	s.mu.Unlock()
	return append(out, vs...), nil
}

// Current returns the current published versions of the documents of the
// principal's establishments.
func (s *Service) Current(ctx context.Context) ([]*Version, error) {
	p := core.PrincipalFromContext(ctx)
	return s.currentOf(ctx, p.Establishments)
}

// Required returns the current versions the principal must accept, whether
// accepted or not. Principals without a person (system, anonymous) and
// service accounts must accept nothing.
func (s *Service) Required(ctx context.Context) ([]*Version, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.System || p.Service {
		return nil, nil
	}
	vs, err := s.currentOf(ctx, p.Establishments)
	if err != nil {
		return nil, err
	}
	var out []*Version
	for _, v := range vs {
		if v.Kind.MustAccept(p.Profile) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, compareVersions)
	return out, nil
}

func compareVersions(a, b *Version) int {
	if c := strings.Compare(a.Establishment, b.Establishment); c != 0 {
		return c
	}
	return kindOrder(a.Kind) - kindOrder(b.Kind)
}

func kindOrder(k Kind) int {
	if i := slices.Index(FixedKinds, k); i >= 0 {
		return i
	}
	return len(FixedKinds)
}

func fingerprint(vs []*Version) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.Establishment + "/" + string(v.Kind) + "/" + strconv.Itoa(v.Number) + ";")
	}
	return b.String()
}

// Pending returns the current versions the principal must accept and has
// not accepted yet: the charter gate lets the principal through only when
// it is empty. The answer "all accepted" is cached per person until a new
// version is published.
func (s *Service) Pending(ctx context.Context) ([]*Version, error) {
	p := core.PrincipalFromContext(ctx)
	req, err := s.Required(ctx)
	if err != nil || len(req) == 0 {
		return nil, err
	}
	fp := fingerprint(req)
	s.mu.Lock()
	ok := s.accepted[p.PersonID] == fp
	s.mu.Unlock()
	if ok {
		return nil, nil
	}
	as, err := s.deps.Store.CharterAcceptances(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	var out []*Version
	for _, v := range req {
		if !slices.ContainsFunc(as, func(a *Acceptance) bool {
			return a.Establishment == v.Establishment && a.Kind == v.Kind && a.Number == v.Number
		}) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		s.remember(p.PersonID, fp)
	}
	return out, nil
}

func (s *Service) remember(person, fp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.accepted) > 100000 {
		clear(s.accepted)
	}
	s.accepted[person] = fp
}

// Accept records that the principal accepted the given versions. Each must
// be the current published version of a document of one of its
// establishments; a stale one (a newer version was published meanwhile) is
// a core.Conflict and nothing is recorded.
func (s *Service) Accept(ctx context.Context, refs []Ref) error {
	const op = "charter.Accept"
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.Service {
		return core.E(op, core.Permission, "only a person may accept a charter")
	}
	if len(refs) == 0 {
		return core.E(op, core.Invalid, "no document to accept")
	}
	s.mu.Lock()
	for _, r := range refs {
		delete(s.current, r.Establishment) // read the truth, not the cache
	}
	s.mu.Unlock()
	cur, err := s.currentOf(ctx, p.Establishments)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if !slices.ContainsFunc(cur, func(v *Version) bool { return v.Ref() == r }) {
			return core.E(op, core.Conflict, "charter.accept.stale")
		}
	}
	return s.deps.Store.AcceptCharters(ctx, refs)
}

// Published returns published version n of a document of est, for a
// person attached to est or who administers it (people re-read what they
// accepted). Drafts are never returned: core.NotFound.
func (s *Service) Published(ctx context.Context, est string, k Kind, n int) (*Version, error) {
	const op = "charter.Published"
	p := core.PrincipalFromContext(ctx)
	if !p.AttachedTo(est) && !MayEdit(p, est) {
		return nil, core.E(op, core.NotFound, "charter.view.none")
	}
	vs, err := s.deps.Store.CharterVersions(ctx, est, k)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Number == n && !v.Draft() {
			return v, nil
		}
	}
	return nil, core.E(op, core.NotFound, "charter.view.none")
}

// Acceptances returns the principal's acceptances, newest first.
func (s *Service) Acceptances(ctx context.Context) ([]*Acceptance, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, nil
	}
	return s.deps.Store.CharterAcceptances(ctx, p.PersonID)
}

// Stats returns, for the current version of a document of est, the
// acceptance counts per profile among the people who must accept it.
func (s *Service) Stats(ctx context.Context, est string, k Kind) (*Version, []ProfileStat, error) {
	const op = "charter.Stats"
	if !MayEdit(core.PrincipalFromContext(ctx), est) {
		return nil, nil, core.E(op, core.Permission, "you do not administer this establishment")
	}
	d, err := s.document(ctx, est, k)
	if err != nil || d.Current == nil {
		return nil, nil, err
	}
	all, err := s.deps.Store.CharterStats(ctx, d.Current.Ref())
	if err != nil {
		return nil, nil, err
	}
	var out []ProfileStat
	for _, st := range all {
		if k.MustAccept(st.Profile) {
			out = append(out, st)
		}
	}
	return d.Current, out, nil
}

// Annex returns the technical annex of est, computed now from the live
// settings. A source that fails is logged and its place says the
// information is unavailable, rather than hiding the whole annex.
func (s *Service) Annex(ctx context.Context, est string) []Section {
	var out []Section
	for _, src := range s.deps.Sources {
		secs, err := src.AnnexSections(ctx, est)
		if err != nil {
			s.deps.Log.Error("a section of the charter annex failed", "err", err)
			out = append(out, Section{ID: "unavailable", Title: "Information indisponible", Pending: true,
				Paragraphs: []string{"Une partie de l’annexe technique n’a pas pu être produite ; l’administrateur en est averti."}})
			continue
		}
		out = append(out, secs...)
	}
	return out
}
