// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package breakglass_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/breakglass/breakglasstest"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

const (
	estA = "0197a000-0000-7000-8000-00000000000a"
	estB = "0197a000-0000-7000-8000-00000000000b"
)

// school is a service over a MemStore with a controlled clock and the
// people of two establishments.
type school struct {
	t     *testing.T
	clock *core.FakeClock
	mem   *breakglasstest.MemStore
	svc   *breakglass.Service
	ppl   map[string]*directory.Person
	mail  *mailLog
}

// mailLog records the mail copies asked for.
type mailLog struct{ sent []breakglass.Notice }

func (m *mailLog) MailNotice(_ context.Context, n breakglass.Notice) { m.sent = append(m.sent, n) }

func newSchool(t *testing.T) *school {
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	mem := breakglasstest.NewMemStore(clock)
	s := &school{t: t, clock: clock, mem: mem, ppl: map[string]*directory.Person{}, mail: &mailLog{}}
	s.svc = breakglass.New(breakglass.Deps{Store: mem, People: mem, Clock: clock, Log: slog.New(slog.DiscardHandler),
		Mail: s.mail})
	s.add("tech", core.ProfileAdmin, estA)
	s.add("tech2", core.ProfileAdmin, estA)
	s.add("cheffe", core.ProfileHead, estA)
	s.add("lou.petit", core.ProfileTeacher, estA)
	s.add("zoe.eleve", core.ProfilePupil, estA)
	s.add("autre.tech", core.ProfileAdmin, estB)
	s.add("chef.b", core.ProfileHead, estB)
	s.add("vie.sco", core.ProfileStaff, estA)
	return s
}

func (s *school) add(login string, pr core.Profile, ests ...string) {
	p := &directory.Person{ID: core.NewID(), Login: login, GivenName: "Prénom", FamilyName: strings.ToUpper(login),
		DisplayName: "Prénom " + login, Profile: pr, State: directory.Active, Establishments: ests}
	s.mem.AddPerson(p)
	s.ppl[login] = p
}

// as returns a context acting as login, with extra grants.
func (s *school) as(login string, grants ...core.Grant) context.Context {
	p := s.ppl[login]
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
		Profile: p.Profile, Establishments: p.Establishments, Grants: grants, Channel: core.ChannelWeb})
}

func operator() context.Context {
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: "ope",
		Grants: []core.Grant{{Right: core.RightOperator}}, Channel: core.ChannelWeb})
}

func (s *school) ask(login, target string, scope breakglass.Scope) (*breakglass.Request, error) {
	return s.svc.Request(s.as(login), breakglass.Ask{Target: target, Scope: scope, Object: "/home/lou.petit/PERSONNEL",
		Basis: breakglass.Judicial, Reference: "PV 2026/118 TJ Lyon", Reason: "Réquisition du parquet, enquête en cours"})
}

func (s *school) mustAsk(login, target string) *breakglass.Request {
	s.t.Helper()
	r, err := s.ask(login, target, breakglass.ScopeFiles)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

func wantRefusal(t *testing.T, err error, kind core.Kind, sentinel error, msg string) {
	t.Helper()
	if core.KindOf(err) != kind || sentinel != nil && !errors.Is(err, sentinel) || !strings.Contains(core.MessageOf(err), msg) {
		t.Fatalf("got %v (kind %s), want %s wrapping %v saying %q", err, core.KindOf(err), kind, sentinel, msg)
	}
}

// TestWhoMayRequest: only a technical admin (or a holder of the
// break-glass right) of the person's establishment asks, never about
// themself, and every refusal is journaled.
// CARINE: UTI-ESF-8, MCO-SVG-11
func TestWhoMayRequest(t *testing.T) {
	s := newSchool(t)
	if _, err := s.ask("lou.petit", "zoe.eleve", breakglass.ScopeMail); !errors.Is(err, breakglass.ErrMayNotRequest) {
		t.Fatalf("a teacher asked: %v", err)
	}
	if _, err := s.ask("tech", "tech", breakglass.ScopeMail); !errors.Is(err, breakglass.ErrOwnData) {
		t.Fatalf("an admin asked about themself: %v", err)
	}
	// An admin of another establishment does not even learn the person exists.
	if _, err := s.ask("autre.tech", "lou.petit", breakglass.ScopeFiles); core.KindOf(err) != core.Invalid ||
		!strings.Contains(core.MessageOf(err), "no person") {
		t.Fatalf("an admin of another establishment: %v", err)
	}
	if _, err := s.ask("tech", "nobody.here", breakglass.ScopeFiles); core.KindOf(err) != core.Invalid {
		t.Fatalf("unknown target: %v", err)
	}
	refused := s.mem.JournalEntries("breakglass.request")
	if len(refused) != 2 || refused[0].Result != journal.Refused || refused[0].ActorLogin != "lou.petit" {
		t.Fatalf("refusals journaled: %+v", refused)
	}
	// Staff holding the break-glass right there may ask.
	if _, err := s.svc.Request(s.as("vie.sco", core.Grant{Right: core.RightBreakGlass, Establishment: estA}),
		breakglass.Ask{Target: "zoe.eleve", Scope: breakglass.ScopeMail, Basis: breakglass.Consent,
			Reference: "Formulaire 2026-014", Reason: "Demande de la famille, accord signé"}); err != nil {
		t.Fatalf("right holder: %v", err)
	}
	r := s.mustAsk("tech", "lou.petit")
	if r.State != breakglass.Requested || r.Establishment != estA || r.Duration != breakglass.DefaultDuration ||
		r.Requester.Login != "tech" || r.Target.Login != "lou.petit" {
		t.Fatalf("request: %+v", r)
	}
	// One open request per person and scope.
	if _, err := s.ask("tech", "lou.petit", breakglass.ScopeFiles); !errors.Is(err, breakglass.ErrDuplicate) ||
		core.KindOf(err) != core.Conflict {
		t.Fatalf("duplicate: %v", err)
	}
	// The head is told a request awaits them.
	if n := s.mem.Notices(s.ppl["cheffe"].ID); len(n) != 2 || !strings.Contains(n[1].Body, "/admin/breakglass/"+r.ID) {
		t.Fatalf("head notices: %+v", n)
	}
}

// TestOnlyTheHeadApproves: the head of the establishment (or an operator)
// decides, never the requester even when a head, never the person
// concerned, never a head of another establishment.
// CARINE: UTI-ESF-8, MCO-SVG-11, MCO-JAL-6
func TestOnlyTheHeadApproves(t *testing.T) {
	s := newSchool(t)
	r := s.mustAsk("tech", "lou.petit")
	for _, tc := range []struct {
		who      string
		sentinel error
		msg      string
	}{
		{"tech", breakglass.ErrOwnRequest, "your own request"},
		{"tech2", breakglass.ErrNotHead, "only the head of the establishment"},
		{"chef.b", breakglass.ErrNotHead, "only the head"},
	} {
		_, err := s.svc.Approve(s.as(tc.who), r.ID, "")
		if tc.who == "chef.b" {
			// Another establishment's head cannot even see it.
			if core.KindOf(err) != core.NotFound {
				t.Fatalf("head of another establishment: %v", err)
			}
			continue
		}
		wantRefusal(t, err, core.Permission, tc.sentinel, tc.msg)
	}
	// A head who requested cannot approve their own request either.
	hr := s.mustAsk("cheffe", "zoe.eleve")
	_, err := s.svc.Approve(s.as("cheffe"), hr.ID, "")
	wantRefusal(t, err, core.Permission, breakglass.ErrOwnRequest, "your own request")
	// Access to the head's own data is decided by an operator, not by them.
	own := s.mustAsk("tech", "cheffe")
	_, err = s.svc.Approve(s.as("cheffe"), own.ID, "")
	wantRefusal(t, err, core.NotFound, nil, "no such")
	if _, err := s.svc.Approve(operator(), own.ID, "Réquisition vérifiée"); err != nil {
		t.Fatalf("operator approval: %v", err)
	}
	// Refusing needs a comment; the requester is told why.
	_, err = s.svc.Refuse(s.as("cheffe"), r.ID, " ")
	if core.KindOf(err) != core.Invalid {
		t.Fatalf("refusal without comment: %v", err)
	}
	if _, err := s.svc.Refuse(s.as("cheffe"), r.ID, "Référence introuvable au greffe"); err != nil {
		t.Fatal(err)
	}
	if n := s.mem.Notices(s.ppl["tech"].ID); len(n) != 2 || !strings.Contains(n[1].Body, "Référence introuvable") ||
		!strings.Contains(n[0].Body, "à l’espace de fichiers de Prénom cheffe (cheffe) a été approuvée") {
		t.Fatalf("requester not told of the refusal: %+v", n)
	}
	_, err = s.svc.Approve(s.as("cheffe"), r.ID, "")
	wantRefusal(t, err, core.Conflict, breakglass.ErrState, "refused")
	if n := len(s.mem.JournalEntries("breakglass.approve")); n < 3 {
		t.Fatalf("%d approve entries (refusals and the operator's approval)", n)
	}
}

// TestAuthorizeWindow walks one access from request to expiry with a
// controlled clock: refused before approval, allowed within the window and
// the object, each use journaled with the object, refused after, expired by
// the job with a second notice to the person concerned.
// CARINE: UTI-ESF-8, MCO-SVG-11, MCO-JAL-6, MCO-SEI-7
func TestAuthorizeWindow(t *testing.T) {
	s := newSchool(t)
	lou := s.ppl["lou.petit"].ID
	_, err := s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/a.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrNoRequest, "no break-glass access")
	r := s.mustAsk("tech", "lou.petit")
	_, err = s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/a.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrAwaiting, "awaiting the approval")

	s.clock.Advance(10 * time.Minute)
	r, err = s.svc.Approve(s.as("cheffe"), r.ID, "Réquisition vérifiée")
	if err != nil {
		t.Fatal(err)
	}
	if !r.From.Equal(s.clock.Now()) || !r.Until.Equal(s.clock.Now().Add(4*time.Hour)) {
		t.Fatalf("window %v–%v", r.From, r.Until)
	}
	n := s.mem.Notices(lou)
	if len(n) != 1 || n[0].Subject != "Accès exceptionnel à vos données" ||
		!strings.Contains(n[0].Body, "réquisition judiciaire, référence PV 2026/118 TJ Lyon") ||
		!strings.Contains(n[0].Body, "Prénom tech (tech)") || !strings.Contains(n[0].Body, "30/11/2026 à 14:10") ||
		strings.Contains(n[0].Body, "enquête en cours") {
		t.Fatalf("approval notice to the person:\n%+v", n)
	}
	got, err := s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/a.odt")
	if err != nil || got.ID != r.ID || got.Uses != 1 {
		t.Fatalf("authorize in the window: %v %+v", err, got)
	}
	// The access stops with the requester's role in the establishment.
	moved := core.PrincipalFromContext(s.as("tech"))
	moved.Establishments = []string{estB}
	_, err = s.svc.Authorize(core.ContextWithPrincipal(context.Background(), moved), lou, breakglass.ScopeFiles,
		"/home/lou.petit/PERSONNEL/a.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrMayNotRequest, "no longer")
	// Another object, another scope, another admin: refused.
	_, err = s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/Documents/b.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrNotCovered, "covers /home/lou.petit/PERSONNEL only")
	_, err = s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/../Documents")
	wantRefusal(t, err, core.Permission, breakglass.ErrNotCovered, "covers")
	_, err = s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeMail, "INBOX")
	wantRefusal(t, err, core.Permission, breakglass.ErrNoRequest, "mail")
	_, err = s.svc.Authorize(s.as("tech2"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/a.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrNoRequest, "no break-glass access")

	uses := s.mem.JournalEntries("breakglass.use")
	var done, refused int
	for _, e := range uses {
		if e.Result == journal.Done {
			done++
			if !strings.Contains(strings.Join(e.Attributes, " "), "object:/home/lou.petit/PERSONNEL/a.odt") ||
				e.Chain != estA || e.TargetID != lou || e.ActorLogin != "tech" {
				t.Fatalf("use entry: %+v", e)
			}
		} else {
			refused++
		}
	}
	if done != 1 || refused != 7 {
		t.Fatalf("use entries: %d done, %d refused", done, refused)
	}

	s.clock.Advance(4 * time.Hour) // the window closes
	_, err = s.svc.Authorize(s.as("tech"), lou, breakglass.ScopeFiles, "/home/lou.petit/PERSONNEL/a.odt")
	wantRefusal(t, err, core.Permission, breakglass.ErrEnded, "ended on 2026-11-30 13:10 UTC")
	nExp, err := s.svc.ExpireDue(context.Background())
	if err != nil || nExp != 1 {
		t.Fatalf("expire: %d %v", nExp, err)
	}
	if nExp, _ := s.svc.ExpireDue(context.Background()); nExp != 0 {
		t.Fatalf("expired twice: %d", nExp)
	}
	r, evs, err := s.svc.Get(s.as("cheffe"), r.ID)
	if err != nil || r.State != breakglass.Expired || !r.EndedAt.Equal(r.Until) || r.Uses != 1 {
		t.Fatalf("after expiry: %v %+v", err, r)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "request,approve,use,expire" {
		t.Fatalf("timeline %v", actions)
	}
	n = s.mem.Notices(lou)
	if len(n) != 2 || n[1].Subject != "Fin de l’accès exceptionnel à vos données" ||
		!strings.Contains(n[1].Body, "Nombre de consultations enregistrées : 1") {
		t.Fatalf("end notice:\n%+v", n)
	}
	if e := s.mem.JournalEntries("breakglass.expire"); len(e) != 1 || e[0].ActorLogin != "system:breakglass" {
		t.Fatalf("expiry journal: %+v", e)
	}
	// The person sees it; the console does not show it to them.
	mine, err := s.svc.AboutMe(s.as("lou.petit"))
	if err != nil || len(mine) != 1 || mine[0].ID != r.ID {
		t.Fatalf("about me: %v %v", mine, err)
	}
	if _, _, err := s.svc.Get(s.as("lou.petit"), r.ID); core.KindOf(err) != core.NotFound {
		t.Fatalf("the person opened the console record: %v", err)
	}
}

// TestCancelAndClose: the requester cancels a waiting request; anyone
// involved closes an access early, and the person is told.
func TestCancelAndClose(t *testing.T) {
	s := newSchool(t)
	r := s.mustAsk("tech", "lou.petit")
	_, err := s.svc.Cancel(s.as("cheffe"), r.ID, "")
	wantRefusal(t, err, core.Permission, breakglass.ErrNotRequester, "only the requester")
	if r, err = s.svc.Cancel(s.as("tech"), r.ID, "Plus nécessaire"); err != nil || r.State != breakglass.Cancelled {
		t.Fatalf("cancel: %v", err)
	}
	if mine, _ := s.svc.AboutMe(s.as("lou.petit")); len(mine) != 0 {
		t.Fatal("a cancelled request is shown to the person as an access")
	}
	r = s.mustAsk("tech", "lou.petit")
	if _, err := s.svc.Approve(s.as("cheffe"), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.svc.Close(s.as("tech2"), r.ID, "")
	wantRefusal(t, err, core.Permission, breakglass.ErrNotInvolved, "only the requester")
	s.clock.Advance(time.Hour)
	if r, err = s.svc.Close(s.as("tech"), r.ID, "Copie faite"); err != nil || r.State != breakglass.Closed ||
		!r.EndedAt.Equal(s.clock.Now()) {
		t.Fatalf("close: %v %+v", err, r)
	}
	if _, err := s.svc.Authorize(s.as("tech"), s.ppl["lou.petit"].ID, breakglass.ScopeFiles,
		"/home/lou.petit/PERSONNEL"); !errors.Is(err, breakglass.ErrEnded) {
		t.Fatalf("use after close: %v", err)
	}
	if n := s.mem.Notices(s.ppl["lou.petit"].ID); len(n) != 2 || !strings.HasPrefix(n[1].Subject, "Fin de") {
		t.Fatalf("notices: %+v", n)
	}
	_, err = s.svc.Close(s.as("tech"), r.ID, "")
	wantRefusal(t, err, core.Conflict, breakglass.ErrState, "closed")
}

// TestPendingRequestLapses: a request left undecided for a week expires
// and can no longer be approved.
func TestPendingRequestLapses(t *testing.T) {
	s := newSchool(t)
	r := s.mustAsk("tech", "lou.petit")
	s.clock.Advance(breakglass.PendingLifetime + time.Minute)
	_, err := s.svc.Approve(s.as("cheffe"), r.ID, "")
	wantRefusal(t, err, core.Conflict, breakglass.ErrState, "lapsed")
	if n, err := s.svc.ExpireDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("expire: %d %v", n, err)
	}
	if n := s.mem.Notices(s.ppl["tech"].ID); len(n) != 1 || !strings.Contains(n[0].Subject, "expirée") {
		t.Fatalf("requester notices: %+v", n)
	}
	// Every stored notice got its mail copy, after the commit: the head's
	// and the requester's.
	if len(s.mail.sent) != 2 || s.mail.sent[1].Subject != "Demande d’accès exceptionnel expirée" {
		t.Fatalf("mail copies: %+v", s.mail.sent)
	}
}

// TestListVisibility: admins see their establishments' requests, not those
// about themselves; operators see all.
func TestListVisibility(t *testing.T) {
	s := newSchool(t)
	s.mustAsk("tech", "lou.petit")
	s.mustAsk("tech", "tech2")
	s.mustAsk("autre.tech", "chef.b")
	count := func(ctx context.Context, states ...breakglass.State) int {
		rs, err := s.svc.List(ctx, states...)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	if n := count(s.as("cheffe")); n != 2 {
		t.Fatalf("head sees %d", n)
	}
	if n := count(s.as("tech2")); n != 1 {
		t.Fatalf("the target admin sees %d (the request about them must be hidden)", n)
	}
	if n := count(operator()); n != 3 {
		t.Fatalf("operator sees %d", n)
	}
	if n := count(s.as("cheffe"), breakglass.Approved); n != 0 {
		t.Fatalf("state filter: %d", n)
	}
}

func TestValidate(t *testing.T) {
	base := func() breakglass.Request {
		return breakglass.Request{Scope: breakglass.ScopeFiles, Basis: breakglass.Consent, Reference: "F-2026-014",
			Reason: "Accord écrit de la personne"}
	}
	for _, tc := range []struct {
		name string
		mut  func(*breakglass.Request)
		msg  string
	}{
		{"scope", func(r *breakglass.Request) { r.Scope = "disk" }, "scope"},
		{"basis", func(r *breakglass.Request) { r.Basis = "" }, "legal basis"},
		{"no reference", func(r *breakglass.Request) { r.Reference = "  " }, "needs its reference"},
		{"punctuation reference", func(r *breakglass.Request) { r.Reference = "---" }, "letter or a digit"},
		{"control", func(r *breakglass.Request) { r.Reference = "PV\x00123" }, "control"},
		{"short reason", func(r *breakglass.Request) { r.Reason = "vu" }, "at least 10"},
		{"long", func(r *breakglass.Request) { r.Duration = 73 * time.Hour }, "between"},
		{"dotdot", func(r *breakglass.Request) { r.Object = "/home/../etc" }, ".."},
	} {
		r := base()
		tc.mut(&r)
		if err := r.Validate(); core.KindOf(err) != core.Invalid || !strings.Contains(core.MessageOf(err), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	r := base()
	r.Object = `\home\lou\\PERSONNEL\`
	if err := r.Validate(); err != nil || r.Object != "/home/lou/PERSONNEL" || r.Duration != 4*time.Hour {
		t.Fatalf("defaults and cleaning: %v %+v", err, r)
	}
	if !breakglass.Covers("/a/b", "/a/b/c") || breakglass.Covers("/a/b", "/a/bc") || !breakglass.Covers("", "x") ||
		breakglass.Covers("/a", "") {
		t.Fatal("Covers")
	}
}

// FuzzValidate: whatever a form sends, Validate either refuses it as
// Invalid or leaves a clean request whose object stays inside its root.
func FuzzValidate(f *testing.F) {
	f.Add("files", "consent", "F-2026-014", "Accord écrit de la personne", "/home/lou/PERSONNEL", int64(4*3600))
	f.Add("mail", "judicial", "PV 2026/118", "Réquisition du parquet", "INBOX/Privé", int64(0))
	f.Add("logs", "judicial", "\x00", "x", "../../etc/passwd", int64(-1))
	f.Add("backup", "consent", "é", strings.Repeat("a", 3000), "a\\..\\b", int64(1<<40))
	f.Fuzz(func(t *testing.T, scope, basis, ref, reason, object string, secs int64) {
		r := breakglass.Request{Scope: breakglass.Scope(scope), Basis: breakglass.Basis(basis), Reference: ref,
			Reason: reason, Object: object, Duration: time.Duration(secs) * time.Second}
		err := r.Validate()
		if err != nil {
			if core.KindOf(err) != core.Invalid {
				t.Fatalf("kind %s: %v", core.KindOf(err), err)
			}
			return
		}
		if r.Duration < breakglass.MinDuration || r.Duration > breakglass.MaxDuration || r.Reference == "" {
			t.Fatalf("accepted %+v", r)
		}
		if r.Object != "" && (!strings.HasPrefix(r.Object, "/") || strings.Contains(r.Object, "/../") ||
			strings.HasSuffix(r.Object, "/..") || strings.Contains(r.Object, "//")) {
			t.Fatalf("object %q escapes or is not clean", r.Object)
		}
		if r.Object != "" && breakglass.Covers(r.Object, r.Object+"/../x") {
			t.Fatalf("object %q covers a sibling", r.Object)
		}
	})
}

// TestMemStoreSuite keeps the in-memory store honest against the same
// suite as the SQL stores.
func TestMemStoreSuite(t *testing.T) {
	breakglasstest.StoreSuite(t, func(t *testing.T) breakglasstest.Harness {
		clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		mem := breakglasstest.NewMemStore(clock)
		return breakglasstest.Harness{Store: mem, Clock: clock, Establishments: [2]string{estA, estB},
			AddPerson: func(_ *testing.T, p *directory.Person) { mem.AddPerson(p) },
			Notices: func(_ *testing.T, id string) []string {
				var out []string
				for _, n := range mem.Notices(id) {
					out = append(out, n.Subject)
				}
				return out
			},
			Journal: func(_ *testing.T, prefix string) []*journal.Entry {
				var out []*journal.Entry
				for _, e := range mem.JournalEntries(prefix) {
					out = append(out, &e)
				}
				return out
			}}
	})
}
