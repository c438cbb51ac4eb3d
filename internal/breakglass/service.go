// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package breakglass

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Store persists requests. Implementations are safe for concurrent use.
// Mutating methods write the event, the notices and the journal entry in
// the same transaction as the change. Errors: core.NotFound for an unknown
// request; core.Conflict when a request is no longer in the state the
// change starts from (another node or person moved it first).
type Store interface {
	CreateBreakGlass(ctx context.Context, r *Request, ev *Event, notices []Notice, e journal.Entry) error
	// UpdateBreakGlass stores r if its stored state is still from.
	UpdateBreakGlass(ctx context.Context, r *Request, from State, ev *Event, notices []Notice, e journal.Entry) error
	// RecordBreakGlassUse counts one use of request id, which must be
	// approved with a window that holds at the transaction's time.
	RecordBreakGlassUse(ctx context.Context, id string, ev *Event, e journal.Entry) error
	FindBreakGlass(ctx context.Context, id string) (*Request, error)
	// FindBreakGlasses lists requests newest first.
	FindBreakGlasses(ctx context.Context, f Filter) ([]*Request, error)
	// FindBreakGlassEvents returns a request's timeline, oldest first.
	FindBreakGlassEvents(ctx context.Context, id string) ([]*Event, error)
	// Journal records an event that changes no row: a refused attempt.
	Journal(ctx context.Context, e journal.Entry) error
}

// People is what the service reads of the directory.
type People interface {
	FindPerson(ctx context.Context, id string) (*directory.Person, error)
	FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error)
	FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
}

// Mailer sends a mail copy of a notice that is already stored, to the
// person's institutional address when they have one. It reports failures
// itself (log, journal): the portal notice is the record.
type Mailer interface {
	MailNotice(ctx context.Context, n Notice)
}

// Deps are the collaborators of a Service. All fields are required but
// Mail, which may be nil (notices then stay on the portal only).
type Deps struct {
	Store  Store
	People People
	Clock  core.Clock
	Log    *slog.Logger
	Mail   Mailer
}

// Service runs break-glass requests. It is safe for concurrent use.
type Service struct {
	store  Store
	people People
	clock  core.Clock
	log    *slog.Logger
	mail   Mailer
}

// New returns a break-glass service.
func New(deps Deps) *Service {
	return &Service{store: deps.Store, people: deps.People, clock: deps.Clock, log: deps.Log, mail: deps.Mail}
}

// mailCopies sends the mail copies of notices once they are committed.
func (s *Service) mailCopies(ctx context.Context, notices []Notice) {
	if s.mail == nil {
		return
	}
	for _, n := range notices {
		s.mail.MailNotice(ctx, n)
	}
}

// Ask is what a requester fills in.
type Ask struct {
	Establishment string // optional: ID of one of the target's establishments; default the first the requester serves
	Target        string // login or ID of the person concerned
	Scope         Scope
	Object        string
	Basis         Basis
	Reference     string
	Reason        string
	Duration      time.Duration // 0: DefaultDuration
}

// refusal builds a Permission (or other kind) error carrying sentinel.
func refusal(op string, kind core.Kind, sentinel error, msg string, args ...any) error {
	return &core.Error{Op: op, Kind: kind, Msg: fmt.Sprintf(msg, args...), Err: sentinel}
}

// refuse journals a refused attempt on r (or on the target person) and
// returns err.
func (s *Service) refuse(ctx context.Context, action, chain string, target Party, attrs []string, err error) error {
	if chain == "" {
		chain = journal.DeploymentChain
	}
	e := journal.Entry{Chain: chain, Action: action, TargetType: "person", TargetID: target.ID, TargetName: target.Login,
		Attributes: attrs, Result: journal.Refused, Reason: core.MessageOf(err)}
	e.SetActor(core.PrincipalFromContext(ctx))
	if jerr := s.store.Journal(ctx, e); jerr != nil {
		s.log.Error("journaling a refused break-glass attempt failed", "action", action, "err", jerr)
	}
	return err
}

// mayRequest reports whether p may ask for access to content of a person of
// establishment est: a technical admin attached to it, or a holder of the
// break-glass right there (heads and operators hold every right).
func mayRequest(p core.Principal, est string) bool {
	if p.PersonID == "" {
		return false // break-glass is personal: never the system
	}
	return p.Profile == core.ProfileAdmin && p.AttachedTo(est) || p.HasRight(core.RightBreakGlass, est)
}

// Request records a request. It refuses (journaling the refusal) a
// requester who does not serve the target's establishment, a request about
// oneself and a second open request for the same person and scope.
func (s *Service) Request(ctx context.Context, a Ask) (*Request, error) {
	const op = "breakglass.Request"
	p := core.PrincipalFromContext(ctx)
	if p.Anonymous() {
		return nil, core.E(op, core.Unauthenticated, "")
	}
	r := &Request{Scope: a.Scope, Object: a.Object, Basis: a.Basis, Reference: a.Reference, Reason: a.Reason,
		Duration: a.Duration}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	target, err := s.findPerson(ctx, a.Target)
	if err != nil {
		return nil, err
	}
	r.Target = partyOf(target)
	attrs := []string{"scope:" + string(r.Scope), "basis:" + string(r.Basis)}
	if target.ID == p.PersonID {
		return nil, s.refuse(ctx, "breakglass.request", target.MainEstablishment(), r.Target, attrs,
			refusal(op, core.Permission, ErrOwnData, "you cannot request break-glass access to your own data"))
	}
	if !s.sharesEstablishment(p, target) &&
		!slices.ContainsFunc(target.Establishments, func(e string) bool { return mayRequest(p, e) }) {
		return nil, refusal(op, core.Invalid, ErrUnknownPerson, "no person %q in your establishments", clip(a.Target))
	}
	if a.Establishment != "" && !slices.Contains(target.Establishments, a.Establishment) {
		return nil, core.E(op, core.Invalid, "%s is not attached to the chosen establishment", target.Login)
	}
	for _, est := range target.Establishments {
		if (a.Establishment == "" || a.Establishment == est) && mayRequest(p, est) {
			r.Establishment = est
			break
		}
	}
	if r.Establishment == "" {
		return nil, s.refuse(ctx, "breakglass.request", target.MainEstablishment(), r.Target, attrs,
			refusal(op, core.Permission, ErrMayNotRequest, "only a technical admin of the person's establishment, "+
				"or a holder of the break-glass right there, may request break-glass access"))
	}
	open, err := s.store.FindBreakGlasses(ctx, Filter{Requester: p.PersonID, Target: target.ID,
		States: []State{Requested, Approved}})
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		if o.Scope == r.Scope {
			return nil, refusal(op, core.Conflict, ErrDuplicate,
				"you already have an open request for this person and scope (%s): use it or cancel it first", o.State)
		}
	}
	r.Requester = s.party(ctx, p)
	r.ID, r.State, r.CreatedAt = core.NewID(), Requested, s.clock.Now()
	ev := &Event{RequestID: r.ID, At: r.CreatedAt, Actor: r.Requester, Action: "request", Detail: r.Reason}
	notices, err := s.headNotices(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateBreakGlass(ctx, r, ev, notices, s.entry(r, "request")); err != nil {
		return nil, err
	}
	s.mailCopies(ctx, notices)
	return r, nil
}

func (s *Service) sharesEstablishment(p core.Principal, target *directory.Person) bool {
	if p.Operator() {
		return true
	}
	for _, est := range target.Establishments {
		if p.AttachedTo(est) {
			return true
		}
	}
	return false
}

// findPerson finds the target by ID or login; a missing person is an
// Invalid input.
func (s *Service) findPerson(ctx context.Context, idOrLogin string) (*directory.Person, error) {
	var person *directory.Person
	var err error
	if core.ValidID(idOrLogin) {
		person, err = s.people.FindPerson(ctx, idOrLogin)
	} else {
		login, perr := directory.ParseLogin(idOrLogin)
		if perr != nil {
			return nil, refusal("breakglass.Request", core.Invalid, ErrUnknownPerson, "no person %q in your establishments",
				clip(idOrLogin))
		}
		person, err = s.people.FindPersonByLogin(ctx, login)
	}
	if core.IsKind(err, core.NotFound) {
		return nil, refusal("breakglass.Request", core.Invalid, ErrUnknownPerson, "no person %q in your establishments",
			clip(idOrLogin))
	}
	return person, err
}

func partyOf(p *directory.Person) Party { return Party{ID: p.ID, Login: p.Login, Name: p.DisplayName} }

// party returns p as a Party, with their display name when the directory
// has it.
func (s *Service) party(ctx context.Context, p core.Principal) Party {
	if p.PersonID == "" {
		return Party{Login: p.Login}
	}
	if person, err := s.people.FindPerson(ctx, p.PersonID); err == nil {
		return partyOf(person)
	}
	return Party{ID: p.PersonID, Login: p.Login, Name: p.Login}
}

// entry is the journal entry of a transition of r.
func (s *Service) entry(r *Request, action string) journal.Entry {
	attrs := []string{"request:" + r.ID, "scope:" + string(r.Scope), "basis:" + string(r.Basis),
		"reference:" + r.Reference}
	if r.Object != "" {
		attrs = append(attrs, "object:"+r.Object)
	}
	switch action {
	case "request":
		attrs = append(attrs, "duration:"+r.Duration.String())
	case "approve":
		attrs = append(attrs, "until:"+r.Until.UTC().Format(time.RFC3339))
	case "close", "expire":
		attrs = append(attrs, "uses:"+strconv.Itoa(r.Uses))
	}
	return journal.Entry{Chain: r.Establishment, Action: "breakglass." + action, TargetType: "person",
		TargetID: r.Target.ID, TargetName: r.Target.Login, Attributes: attrs}
}

// load returns request id if p may see it.
func (s *Service) load(ctx context.Context, op, id string) (*Request, error) {
	if !core.ValidID(id) {
		return nil, core.E(op, core.NotFound, "no such break-glass request")
	}
	r, err := s.store.FindBreakGlass(ctx, id)
	if err != nil {
		return nil, err
	}
	if !mayView(core.PrincipalFromContext(ctx), r) {
		return nil, core.E(op, core.NotFound, "no such break-glass request")
	}
	return r, nil
}

// mayView: the requester; the heads, admins and break-glass right holders
// of the establishment and operators — but not the person concerned, who
// sees the accesses about them on their own page.
func mayView(p core.Principal, r *Request) bool {
	if p.PersonID != "" && p.PersonID == r.Requester.ID {
		return true
	}
	if p.PersonID != "" && p.PersonID == r.Target.ID {
		return false
	}
	return p.Operator() || p.CanAdminister(r.Establishment) || p.HasRight(core.RightBreakGlass, r.Establishment)
}

// Actions says what the principal may do with a request now.
type Actions struct {
	Decide bool // approve or refuse
	Cancel bool
	Close  bool
}

// ActionsFor returns what p may do with r.
func ActionsFor(p core.Principal, r *Request) Actions {
	return Actions{
		Decide: r.State == Requested && mayDecide(p, r) == nil,
		Cancel: r.State == Requested && p.PersonID != "" && p.PersonID == r.Requester.ID,
		Close:  r.State == Approved && mayClose(p, r) == nil,
	}
}

// mayDecide returns the sentinel that forbids p to approve or refuse r.
func mayDecide(p core.Principal, r *Request) error {
	switch {
	case p.PersonID != "" && p.PersonID == r.Requester.ID:
		return ErrOwnRequest
	case p.PersonID != "" && p.PersonID == r.Target.ID:
		return ErrOwnData
	case p.Operator(), p.Profile == core.ProfileHead && p.AttachedTo(r.Establishment):
		return nil
	}
	return ErrNotHead
}

// mayClose: the requester, the approver, the heads of the establishment
// and operators.
func mayClose(p core.Principal, r *Request) error {
	switch {
	case p.PersonID != "" && (p.PersonID == r.Requester.ID || p.PersonID == r.Approver.ID):
		return nil
	case p.PersonID != "" && p.PersonID == r.Target.ID:
		return ErrNotInvolved
	case p.Operator(), p.Profile == core.ProfileHead && p.AttachedTo(r.Establishment):
		return nil
	}
	return ErrNotInvolved
}

var decideMessages = map[error]string{
	ErrOwnRequest: "you cannot approve or refuse your own request: the head of the establishment decides",
	ErrOwnData:    "you cannot decide on access to your own data: an operator or another head decides",
	ErrNotHead:    "only the head of the establishment (or an operator) can approve or refuse a break-glass request",
}

func stateError(op string, r *Request, verb string) error {
	return refusal(op, core.Conflict, ErrState, "this request is %s: it can no longer be %s", r.State, verb)
}

// Approve approves a waiting request: the window opens now for the asked
// duration. The person concerned gets a portal notice naming who, on what
// legal basis, which content and until when.
func (s *Service) Approve(ctx context.Context, id, comment string) (*Request, error) {
	return s.decide(ctx, "breakglass.Approve", id, comment, true)
}

// Refuse refuses a waiting request; the comment is required.
func (s *Service) Refuse(ctx context.Context, id, comment string) (*Request, error) {
	return s.decide(ctx, "breakglass.Refuse", id, comment, false)
}

func (s *Service) decide(ctx context.Context, op, id, comment string, approve bool) (*Request, error) {
	action, verb := "refuse", "refused"
	if approve {
		action, verb = "approve", "approved"
	}
	comment, err := CheckComment(comment, !approve)
	if err != nil {
		return nil, err
	}
	r, err := s.load(ctx, op, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if sentinel := mayDecide(p, r); sentinel != nil {
		return nil, s.refuse(ctx, "breakglass."+action, r.Establishment, r.Target, []string{"request:" + r.ID},
			refusal(op, core.Permission, sentinel, "%s", decideMessages[sentinel]))
	}
	if r.State != Requested {
		return nil, stateError(op, r, verb)
	}
	now := s.clock.Now()
	if approve && now.Sub(r.CreatedAt) > PendingLifetime {
		return nil, refusal(op, core.Conflict, ErrState,
			"this request waited more than %d days and lapsed: it must be asked again", int(PendingLifetime.Hours()/24))
	}
	r.Approver, r.DecidedAt, r.Comment = s.party(ctx, p), now, comment
	var notices []Notice
	if approve {
		r.State, r.From, r.Until = Approved, now, now.Add(r.Duration)
		notices = []Notice{approvedTargetNotice(r), approvedRequesterNotice(r)}
	} else {
		r.State = Refused
		notices = []Notice{refusedNotice(r)}
	}
	ev := &Event{RequestID: r.ID, At: now, Actor: r.Approver, Action: action, Detail: comment}
	if err := s.store.UpdateBreakGlass(ctx, r, Requested, ev, notices, s.entry(r, action)); err != nil {
		return nil, err
	}
	s.mailCopies(ctx, notices)
	return r, nil
}

// Cancel withdraws a request still waiting for a decision. Only its
// requester may.
func (s *Service) Cancel(ctx context.Context, id, comment string) (*Request, error) {
	const op = "breakglass.Cancel"
	comment, err := CheckComment(comment, false)
	if err != nil {
		return nil, err
	}
	r, err := s.load(ctx, op, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" || p.PersonID != r.Requester.ID {
		return nil, s.refuse(ctx, "breakglass.cancel", r.Establishment, r.Target, []string{"request:" + r.ID},
			refusal(op, core.Permission, ErrNotRequester, "only the requester can cancel a request"))
	}
	if r.State != Requested {
		return nil, stateError(op, r, "cancelled")
	}
	now := s.clock.Now()
	r.State, r.EndedAt, r.EndedBy, r.EndComment = Cancelled, now, r.Requester, comment
	ev := &Event{RequestID: r.ID, At: now, Actor: r.Requester, Action: "cancel", Detail: comment}
	if err := s.store.UpdateBreakGlass(ctx, r, Requested, ev, nil, s.entry(r, "cancel")); err != nil {
		return nil, err
	}
	return r, nil
}

// Close ends an approved access before its time. The requester, the
// approver, the heads of the establishment and operators may; the person
// concerned is told.
func (s *Service) Close(ctx context.Context, id, comment string) (*Request, error) {
	const op = "breakglass.Close"
	comment, err := CheckComment(comment, false)
	if err != nil {
		return nil, err
	}
	r, err := s.load(ctx, op, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if mayClose(p, r) != nil {
		return nil, s.refuse(ctx, "breakglass.close", r.Establishment, r.Target, []string{"request:" + r.ID},
			refusal(op, core.Permission, ErrNotInvolved,
				"only the requester, the approver, the head of the establishment or an operator can close an access"))
	}
	if r.State != Approved {
		return nil, stateError(op, r, "closed")
	}
	now := s.clock.Now()
	if !now.Before(r.Until) {
		now = r.Until // it had ended already; the expiry job was late
	}
	r.State, r.EndedAt, r.EndedBy, r.EndComment = Closed, now, s.party(ctx, p), comment
	ev := &Event{RequestID: r.ID, At: now, Actor: r.EndedBy, Action: "close", Detail: comment}
	notices := []Notice{endedTargetNotice(r)}
	if r.EndedBy.ID != r.Requester.ID {
		notices = append(notices, endedRequesterNotice(r))
	}
	if err := s.store.UpdateBreakGlass(ctx, r, Approved, ev, notices, s.entry(r, "close")); err != nil {
		return nil, err
	}
	s.mailCopies(ctx, notices)
	return r, nil
}

// ExpireDue ends, as the system, every approved access whose window has
// passed (telling the person concerned) and every request that waited for a
// decision longer than PendingLifetime. A periodic job calls it; several
// nodes may run it at once (a request moved by another is skipped). It
// returns how many requests it ended.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	ctx = core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:breakglass", core.ChannelJob))
	now := s.clock.Now()
	due, err := s.store.FindBreakGlasses(ctx, Filter{DueBefore: now, Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range due {
		from := r.State
		var notices []Notice
		switch {
		case from == Approved && !now.Before(r.Until):
			r.EndedAt = r.Until
			notices = []Notice{endedTargetNotice(r), endedRequesterNotice(r)}
		case from == Requested && now.Sub(r.CreatedAt) >= PendingLifetime:
			r.EndedAt = now
			notices = []Notice{lapsedNotice(r)}
		default:
			continue
		}
		r.State = Expired
		ev := &Event{RequestID: r.ID, At: r.EndedAt, Action: "expire"}
		err := s.store.UpdateBreakGlass(ctx, r, from, ev, notices, s.entry(r, "expire"))
		switch {
		case err == nil:
			n++
			s.mailCopies(ctx, notices)
		case !core.IsKind(err, core.Conflict):
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// Authorize is the one check services make before showing an administrator
// private content of person target within scope; see the package
// documentation for the contract. object names what is opened (a path, a
// message ID, a log query); it is journaled.
func (s *Service) Authorize(ctx context.Context, target string, scope Scope, object string) (*Request, error) {
	const op = "breakglass.Authorize"
	p := core.PrincipalFromContext(ctx)
	attrs := []string{"scope:" + string(scope), "object:" + clipObject(object)}
	who := Party{ID: target}
	if person, err := s.people.FindPerson(ctx, target); err == nil {
		who = partyOf(person)
		return s.authorize(ctx, op, p, person.MainEstablishment(), who, scope, object, attrs)
	} else if !core.IsKind(err, core.NotFound) {
		return nil, err
	}
	return nil, s.refuse(ctx, "breakglass.use", "", who, attrs,
		refusal(op, core.Permission, ErrNoRequest, "no break-glass access is in force for you on this person's %s", scope))
}

func (s *Service) authorize(ctx context.Context, op string, p core.Principal, chain string, who Party, scope Scope,
	object string, attrs []string) (*Request, error) {
	if p.PersonID == "" {
		return nil, s.refuse(ctx, "breakglass.use", chain, who, attrs, refusal(op, core.Permission, ErrNoRequest,
			"break-glass access is personal: only the person who requested it may use it"))
	}
	rs, err := s.store.FindBreakGlasses(ctx, Filter{Requester: p.PersonID, Target: who.ID, Limit: 50})
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var waiting, ended, refused, uncovered *Request
	for _, r := range rs {
		if r.Scope != scope {
			continue
		}
		switch {
		case r.InForce(now) && Covers(r.Object, object) && !mayRequest(p, r.Establishment):
			// The requester no longer serves the establishment (moved, role
			// withdrawn): the access stops with their role.
			return nil, s.refuse(ctx, "breakglass.use", r.Establishment, who, attrs, refusal(op, core.Permission,
				ErrMayNotRequest, "you no longer hold a technical admin role or the break-glass right in this establishment"))
		case r.InForce(now) && Covers(r.Object, object):
			ev := &Event{RequestID: r.ID, At: now, Actor: s.party(ctx, p), Action: "use", Detail: clipObject(object)}
			e := s.entry(r, "use")
			e.Attributes = append([]string{"request:" + r.ID, "scope:" + string(scope), "object:" + clipObject(object)},
				"basis:"+string(r.Basis), "reference:"+r.Reference)
			err := s.store.RecordBreakGlassUse(ctx, r.ID, ev, e)
			if core.IsKind(err, core.Conflict) {
				ended = r // closed between the read and the write
				continue
			}
			if err != nil {
				return nil, err
			}
			r.Uses++
			r.LastUsedAt = now
			return r, nil
		case r.InForce(now):
			uncovered = r
		case r.State == Requested && waiting == nil:
			waiting = r
		case r.WasApproved() && ended == nil:
			ended = r
		case r.State == Refused && refused == nil:
			refused = r
		}
	}
	if chain == "" {
		chain = journal.DeploymentChain
	}
	var rerr error
	switch {
	case uncovered != nil:
		rerr = refusal(op, core.Permission, ErrNotCovered, "your break-glass access covers %s only", uncovered.Object)
		chain = uncovered.Establishment
	case waiting != nil:
		rerr = refusal(op, core.Permission, ErrAwaiting,
			"your break-glass request is awaiting the approval of the head of the establishment")
		chain = waiting.Establishment
	case ended != nil:
		end := ended.Until
		if !ended.EndedAt.IsZero() && ended.EndedAt.Before(end) {
			end = ended.EndedAt
		}
		rerr = refusal(op, core.Permission, ErrEnded, "your break-glass access ended on %s UTC: request it again",
			end.UTC().Format("2006-01-02 15:04"))
		chain = ended.Establishment
	case refused != nil:
		rerr = refusal(op, core.Permission, ErrNoRequest, "your break-glass request was refused")
		chain = refused.Establishment
	default:
		rerr = refusal(op, core.Permission, ErrNoRequest,
			"no break-glass access is in force for you on this person's %s: request one, with its legal basis", scope)
	}
	return nil, s.refuse(ctx, "breakglass.use", chain, who, attrs, rerr)
}

func clipObject(s string) string {
	if len(s) > MaxObject {
		return s[:MaxObject]
	}
	return s
}

// Get returns a request the principal may see, with its timeline.
func (s *Service) Get(ctx context.Context, id string) (*Request, []*Event, error) {
	r, err := s.load(ctx, "breakglass.Get", id)
	if err != nil {
		return nil, nil, err
	}
	evs, err := s.store.FindBreakGlassEvents(ctx, id)
	return r, evs, err
}

// List lists the requests the principal may see (see Get), newest first,
// in the given states (all when none).
func (s *Service) List(ctx context.Context, states ...State) ([]*Request, error) {
	p := core.PrincipalFromContext(ctx)
	if p.Anonymous() {
		return nil, core.E("breakglass.List", core.Unauthenticated, "")
	}
	f := Filter{States: states, NotTarget: p.PersonID}
	if !p.Operator() {
		f.Establishments = []string{}
		for _, est := range p.Establishments {
			if p.CanAdminister(est) || p.HasRight(core.RightBreakGlass, est) {
				f.Establishments = append(f.Establishments, est)
			}
		}
	}
	rs, err := s.store.FindBreakGlasses(ctx, f)
	if err != nil {
		return nil, err
	}
	if !p.Operator() && p.PersonID != "" {
		// The principal's own requests in an establishment they no longer serve.
		mine, err := s.store.FindBreakGlasses(ctx, Filter{Requester: p.PersonID, States: states})
		if err != nil {
			return nil, err
		}
		for _, m := range mine {
			if !slices.ContainsFunc(rs, func(r *Request) bool { return r.ID == m.ID }) {
				rs = append(rs, m)
			}
		}
		slices.SortFunc(rs, func(a, b *Request) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	return rs, nil
}

// AboutMe lists the accesses that were granted to the principal's own
// content, newest first: what the person concerned sees.
func (s *Service) AboutMe(ctx context.Context) ([]*Request, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("breakglass.AboutMe", core.Unauthenticated, "")
	}
	rs, err := s.store.FindBreakGlasses(ctx, Filter{Target: p.PersonID})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rs, func(r *Request) bool { return !r.WasApproved() }), nil
}
