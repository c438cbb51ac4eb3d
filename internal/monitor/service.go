// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// Notifier tells a person about their request (portal notice, and mail
// when they have an address).
type Notifier interface {
	NotifyPerson(ctx context.Context, personID, subject, body string) error
}

// Deps are the collaborators of a Service. Store and Clock are required.
type Deps struct {
	Store  Store
	Notify Notifier // nil: no notifications
	Clock  core.Clock
	Log    *slog.Logger
	// Admins lists the people who triage an establishment's requests, to
	// tell them of a new one (nil: nobody is told).
	Admins func(ctx context.Context, est string) ([]string, error)
	// PersonName returns a person's display name (nil or "": the login).
	PersonName func(ctx context.Context, personID string) string
	// Triagers lists the people who may take an establishment's requests
	// (its administrators and head), for assigning one to a colleague
	// (nil: an admin can only take a request themself).
	Triagers func(ctx context.Context, est string) ([]Triager, error)
}

// Triager is someone a request can be assigned to.
type Triager struct {
	ID, Login, Name string
}

// Service holds the rules of supervision data and the helpdesk: who may
// read, declare, triage and answer.
type Service struct {
	deps Deps
	log  *slog.Logger
}

// NewService returns a Service.
func NewService(deps Deps) *Service {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Service{deps: deps, log: deps.Log}
}

// Refusals, of kind core.Permission.
var (
	ErrMayNotRead   = core.E("monitor", core.Permission, "reading supervision data needs the monitor.read right in this establishment")
	ErrMayNotManage = core.E("monitor", core.Permission, "only the administrators of the establishment may do this")
	ErrNotYours     = core.E("monitor", core.Permission, "this request is not yours")
)

// CanRead reports whether p may read the supervision data of est ("" the
// deployment's own services): holders of monitor.read (heads hold it in
// their establishments) and the establishment's administrators (MCO-SEI-9).
func CanRead(p core.Principal, est string) bool {
	if est == "" {
		if p.IsAdmin() {
			return true
		}
		for _, g := range p.Grants {
			if g.Right == core.RightMonitorRead {
				return true
			}
		}
		return false
	}
	return p.CanAdminister(est) || p.HasRight(core.RightMonitorRead, est)
}

// ReadScope returns the establishments whose data p may read: nil for
// every one (operators), else a list (maybe empty).
func ReadScope(p core.Principal) []string {
	if p.Operator() {
		return nil
	}
	out := []string{}
	seen := map[string]bool{}
	add := func(e string) {
		if e != "" && !seen[e] && CanRead(p, e) {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, e := range p.Establishments {
		add(e)
	}
	for _, g := range p.Grants {
		add(g.Establishment)
	}
	return out
}

// inScope reports whether est is in scope (nil: all).
func inScope(scope []string, est string) bool { return scope == nil || slices.Contains(scope, est) }

// Targets lists the targets p may read; self-checks come with them for
// those who may read the deployment's own services.
func (s *Service) Targets(ctx context.Context) ([]*Target, error) {
	p := core.PrincipalFromContext(ctx)
	scope := ReadScope(p)
	all, err := s.deps.Store.FindTargets(ctx, scope)
	if err != nil {
		return nil, err
	}
	if scope != nil && CanRead(p, "") {
		self, err := s.deps.Store.FindTargets(ctx, []string{""})
		if err != nil {
			return nil, err
		}
		all = append(self, all...)
	}
	return all, nil
}

// Target returns one target p may read.
func (s *Service) Target(ctx context.Context, id string) (*Target, error) {
	t, err := s.deps.Store.FindTarget(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanRead(core.PrincipalFromContext(ctx), t.Establishment) {
		return nil, ErrMayNotRead
	}
	return t, nil
}

// SaveTarget declares a target (t.ID empty) or changes one.
func (s *Service) SaveTarget(ctx context.Context, t *Target) error {
	p := core.PrincipalFromContext(ctx)
	if t.Kind == KindSelf {
		return core.E("monitor.SaveTarget", core.Invalid, "self-checks are registered by Préau, not declared")
	}
	if t.Establishment == "" || !p.CanAdminister(t.Establishment) {
		return ErrMayNotManage
	}
	if err := t.Normalize(); err != nil {
		return err
	}
	if t.ID == "" {
		t.ID, t.CreatedAt, t.State = core.NewID(), s.deps.Clock.Now(), Unknown
		return s.deps.Store.CreateTarget(ctx, t)
	}
	old, err := s.deps.Store.FindTarget(ctx, t.ID)
	if err != nil {
		return err
	}
	if old.Establishment != t.Establishment || old.Kind == KindSelf {
		return ErrMayNotManage
	}
	return s.deps.Store.UpdateTarget(ctx, t)
}

// History returns the results of a target p may read, summed per day
// (UTC) from since on, oldest first.
func (s *Service) History(ctx context.Context, id string, since time.Time) ([]Sample, error) {
	t, err := s.Target(ctx, id)
	if err != nil {
		return nil, err
	}
	hours, err := s.deps.Store.FindSamples(ctx, []string{t.Establishment}, since)
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, h := range hours {
		if h.TargetID != id {
			continue
		}
		day := h.Hour.UTC().Truncate(24 * time.Hour)
		if n := len(out); n == 0 || !out[n-1].Hour.Equal(day) {
			out = append(out, Sample{TargetID: id, Hour: day})
		}
		d := &out[len(out)-1]
		d.Checks += h.Checks
		d.Failures += h.Failures
		d.LatencySum += h.LatencySum
		d.LatencyMax = max(d.LatencyMax, h.LatencyMax)
	}
	return out, nil
}

// DeleteTarget deletes a declared target.
func (s *Service) DeleteTarget(ctx context.Context, id string) error {
	t, err := s.deps.Store.FindTarget(ctx, id)
	if err != nil {
		return err
	}
	if t.Kind == KindSelf || !core.PrincipalFromContext(ctx).CanAdminister(t.Establishment) {
		return ErrMayNotManage
	}
	return s.deps.Store.DeleteTarget(ctx, id)
}

// mayManageIncidents: the establishment's admins; the deployment's own
// incidents, any admin.
func mayManage(p core.Principal, est string) bool {
	if est == "" {
		return p.IsAdmin()
	}
	return p.CanAdminister(est)
}

// Incidents lists the incidents p may read.
func (s *Service) Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error) {
	p := core.PrincipalFromContext(ctx)
	scope := ReadScope(p)
	if scope != nil && CanRead(p, "") {
		scope = append(scope, "")
	}
	f.Establishments = scope
	return s.deps.Store.FindIncidents(ctx, f)
}

// Incident returns an incident with its timeline.
func (s *Service) Incident(ctx context.Context, id string) (*Incident, error) {
	i, err := s.deps.Store.FindIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanRead(core.PrincipalFromContext(ctx), i.Establishment) {
		return nil, ErrMayNotRead
	}
	return i, nil
}

// OpenIncident declares an incident by hand.
func (s *Service) OpenIncident(ctx context.Context, est, title, service, note string, restore time.Duration) (*Incident, error) {
	p := core.PrincipalFromContext(ctx)
	if !mayManage(p, est) {
		return nil, ErrMayNotManage
	}
	title, note = strings.TrimSpace(title), strings.TrimSpace(note)
	if title == "" || utf8.RuneCountInString(title) > 150 || strings.ContainsAny(title, "\r\n") {
		return nil, core.E("monitor.OpenIncident", core.Invalid, "title: 1 to 150 characters on one line")
	}
	if restore <= 0 {
		restore = DefaultRestoreTarget
	}
	now := s.deps.Clock.Now()
	i := &Incident{ID: core.NewID(), Establishment: est, Title: title, Service: strings.ToLower(strings.TrimSpace(service)),
		State: Open, OpenedAt: now, RestoreTarget: restore}
	if err := s.deps.Store.OpenIncident(ctx, i, IncidentEvent{At: now, Kind: EvOpened, Actor: p.Login, Text: note}); err != nil {
		return nil, err
	}
	return i, nil
}

// IncidentAction is what an admin does to an incident.
type IncidentAction string

// Incident actions.
const (
	ActAcknowledge IncidentAction = "acknowledge"
	ActNote        IncidentAction = "note"
	ActResolve     IncidentAction = "resolve"
)

// ActOnIncident acknowledges, annotates or resolves an incident.
func (s *Service) ActOnIncident(ctx context.Context, id string, act IncidentAction, text string) (*Incident, error) {
	i, err := s.deps.Store.FindIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	if !mayManage(p, i.Establishment) {
		return nil, ErrMayNotManage
	}
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 2000 {
		return nil, core.E("monitor.ActOnIncident", core.Invalid, "note: at most 2,000 characters")
	}
	ev := IncidentEvent{At: s.deps.Clock.Now(), Actor: p.Login, Text: text}
	var to IncidentState
	switch act {
	case ActAcknowledge:
		if i.State != Open {
			return nil, core.E("monitor.ActOnIncident", core.Conflict, "the incident is %s, not open", i.State)
		}
		ev.Kind, to = EvAcknowledged, Acknowledged
	case ActNote:
		if text == "" {
			return nil, core.E("monitor.ActOnIncident", core.Invalid, "note: write something")
		}
		ev.Kind = EvNote
	case ActResolve:
		ev.Kind, to = EvResolved, Resolved
	default:
		return nil, core.E("monitor.ActOnIncident", core.Invalid, "unknown action %q", act)
	}
	return s.deps.Store.AddIncidentEvent(ctx, id, ev, to)
}

// FileRequest files a user's request in one of their establishments and
// tells the establishment's admins.
func (s *Service) FileRequest(ctx context.Context, n NewRequest) (*Request, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("monitor.FileRequest", core.Permission, "log in to file a request")
	}
	if n.Establishment == "" && len(p.Establishments) > 0 {
		n.Establishment = p.Establishments[0]
	}
	if !p.AttachedTo(n.Establishment) {
		return nil, core.E("monitor.FileRequest", core.Permission, "you may file a request only in your own establishment")
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	now := s.deps.Clock.Now()
	r := &Request{ID: core.NewID(), Establishment: n.Establishment, RequesterID: p.PersonID, RequesterLogin: p.Login,
		RequesterName: s.name(ctx, p), Category: n.Category, Device: n.Device, Subject: n.Subject, Description: n.Description,
		State: ReqNew, CreatedAt: now, UpdatedAt: now, Attachment: n.Attachment}
	if err := s.deps.Store.CreateRequest(ctx, r); err != nil {
		return nil, err
	}
	if s.deps.Admins != nil && s.deps.Notify != nil {
		admins, err := s.deps.Admins(ctx, r.Establishment)
		if err != nil {
			s.log.Warn("listing the admins to tell of a request", "err", err)
		}
		for _, id := range admins {
			s.notify(ctx, id, "Nouvelle demande d'assistance : "+r.Subject,
				fmt.Sprintf("%s a déposé une demande (%s).\n\n%s\n\n/admin/monitor/requests/%s", r.RequesterName, r.Category, r.Subject, r.ID))
		}
	}
	return r, nil
}

func (s *Service) notify(ctx context.Context, personID, subject, body string) {
	if s.deps.Notify == nil || personID == "" {
		return
	}
	if err := s.deps.Notify.NotifyPerson(ctx, personID, subject, body); err != nil {
		s.log.Warn("notifying about a request", "err", err)
	}
}

// name returns the display name of p.
func (s *Service) name(ctx context.Context, p core.Principal) string {
	if s.deps.PersonName != nil {
		if n := s.deps.PersonName(ctx, p.PersonID); n != "" {
			return n
		}
	}
	return p.Login
}

// mayTriage reports whether p handles the requests of est.
func mayTriage(p core.Principal, est string) bool { return p.CanAdminister(est) }

// Requests lists the requests p may see: those they filed (mine), or
// those of the establishments they triage.
func (s *Service) Requests(ctx context.Context, mine bool, states ...RequestState) ([]*Request, error) {
	p := core.PrincipalFromContext(ctx)
	f := RequestFilter{States: states, Limit: 500}
	if mine {
		if p.PersonID == "" {
			return nil, nil
		}
		f.RequesterID = p.PersonID
	} else if !p.Operator() {
		f.Establishments = []string{}
		for _, e := range p.Establishments {
			if mayTriage(p, e) {
				f.Establishments = append(f.Establishments, e)
			}
		}
		if len(f.Establishments) == 0 {
			return nil, ErrMayNotManage
		}
	}
	return s.deps.Store.FindRequests(ctx, f)
}

// Request returns a request with its timeline, to its requester or to the
// admins of its establishment; triage says whether p may act as an admin.
func (s *Service) Request(ctx context.Context, id string) (r *Request, triage bool, err error) {
	r, err = s.deps.Store.FindRequest(ctx, id)
	if err != nil {
		return nil, false, err
	}
	p := core.PrincipalFromContext(ctx)
	triage = mayTriage(p, r.Establishment)
	if !triage && r.RequesterID != p.PersonID {
		return nil, false, ErrNotYours
	}
	return r, triage, nil
}

// Attachment returns a request's attachment to those who may see it.
func (s *Service) Attachment(ctx context.Context, id string) (*Attachment, error) {
	if _, _, err := s.Request(ctx, id); err != nil {
		return nil, err
	}
	return s.deps.Store.FindAttachment(ctx, id)
}

// RequestAction is what someone does to a request.
type RequestAction string

// Request actions: the admins' (assign, answer, resolve) and the
// requester's (comment, reopen).
const (
	ReqActAssign  RequestAction = "assign"
	ReqActAnswer  RequestAction = "answer"
	ReqActResolve RequestAction = "resolve"
	ReqActComment RequestAction = "comment"
	ReqActReopen  RequestAction = "reopen"
)

// ActOnRequest moves a request along and notifies the other party.
// Assigning gives the request to the acting admin.
func (s *Service) ActOnRequest(ctx context.Context, id string, act RequestAction, text string) (*Request, error) {
	r, triage, err := s.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	p := core.PrincipalFromContext(ctx)
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 5000 {
		return nil, core.E("monitor.ActOnRequest", core.Invalid, "text: at most 5,000 characters")
	}
	ev := RequestEvent{At: s.deps.Clock.Now(), ActorID: p.PersonID, ActorLogin: p.Login, ActorName: s.name(ctx, p), Text: text}
	var upd RequestUpdate
	state := func(st RequestState) *RequestState { return &st }
	open := []RequestState{ReqNew, ReqAssigned, ReqAnswered}
	toRequester := false
	switch act {
	case ReqActAssign, ReqActAnswer, ReqActResolve:
		if !triage {
			return nil, ErrMayNotManage
		}
		upd.From = open
		switch act {
		case ReqActAssign:
			ev.Kind, upd.State, upd.Assignee = EvAssigned, state(ReqAssigned), &Assignee{ID: p.PersonID, Login: p.Login}
		case ReqActAnswer:
			if text == "" {
				return nil, core.E("monitor.ActOnRequest", core.Invalid, "answer: write something")
			}
			ev.Kind, upd.State = EvAnswer, state(ReqAnswered)
			if r.AssigneeID == "" {
				upd.Assignee = &Assignee{ID: p.PersonID, Login: p.Login}
			}
		default:
			ev.Kind, upd.State = EvResolved, state(ReqResolved)
		}
		toRequester = true
	case ReqActComment:
		if r.RequesterID != p.PersonID && !triage {
			return nil, ErrNotYours
		}
		if text == "" {
			return nil, core.E("monitor.ActOnRequest", core.Invalid, "comment: write something")
		}
		ev.Kind, upd.From = EvComment, open
		toRequester = r.RequesterID != p.PersonID
	case ReqActReopen:
		if r.RequesterID != p.PersonID && !triage {
			return nil, ErrNotYours
		}
		ev.Kind, upd.From, upd.State = EvReopened, []RequestState{ReqResolved}, state(ReqNew)
	default:
		return nil, core.E("monitor.ActOnRequest", core.Invalid, "unknown action %q", act)
	}
	out, err := s.deps.Store.UpdateRequest(ctx, id, upd, ev)
	if err != nil {
		return nil, err
	}
	if toRequester {
		s.notify(ctx, r.RequesterID, requestSubject(act, r.Subject),
			fmt.Sprintf("%s\n\n%s\n\nSuivre la demande / Follow the request: /requests/%s", requestSubject(act, r.Subject), text, r.ID))
	} else if r.AssigneeID != "" && r.AssigneeID != p.PersonID {
		s.notify(ctx, r.AssigneeID, "Demande d'assistance : "+r.Subject,
			fmt.Sprintf("%s (%s)\n\n%s\n\n/admin/monitor/requests/%s", r.RequesterName, act, text, r.ID))
	}
	return out, nil
}

// Triagers lists those a request of est can be assigned to, for someone who
// triages it.
func (s *Service) Triagers(ctx context.Context, est string) ([]Triager, error) {
	if !mayTriage(core.PrincipalFromContext(ctx), est) {
		return nil, ErrMayNotManage
	}
	if s.deps.Triagers == nil {
		return nil, nil
	}
	return s.deps.Triagers(ctx, est)
}

// AssignRequest gives an open request to personID, one of the people who
// may triage it (Triagers), on behalf of an admin who triages it; the new
// assignee and the requester are told. Assigning to oneself is "take".
func (s *Service) AssignRequest(ctx context.Context, id, personID string) (*Request, error) {
	const op = "monitor.AssignRequest"
	r, triage, err := s.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if !triage {
		return nil, ErrMayNotManage
	}
	p := core.PrincipalFromContext(ctx)
	if personID == p.PersonID {
		return s.ActOnRequest(ctx, id, ReqActAssign, "")
	}
	ts, err := s.Triagers(ctx, r.Establishment)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ts, func(t Triager) bool { return t.ID == personID })
	if i < 0 {
		return nil, core.E(op, core.Invalid, "this person does not administer the request's establishment")
	}
	to := ts[i]
	ev := RequestEvent{At: s.deps.Clock.Now(), ActorID: p.PersonID, ActorLogin: p.Login, ActorName: s.name(ctx, p),
		Kind: EvAssigned, Text: "→ " + cmp.Or(to.Name, to.Login)}
	st := ReqAssigned
	out, err := s.deps.Store.UpdateRequest(ctx, id, RequestUpdate{From: []RequestState{ReqNew, ReqAssigned, ReqAnswered},
		State: &st, Assignee: &Assignee{ID: to.ID, Login: to.Login}}, ev)
	if err != nil {
		return nil, err
	}
	s.notify(ctx, to.ID, "Demande d'assistance confiée : "+r.Subject,
		fmt.Sprintf("%s vous confie la demande de %s.\n\n/admin/monitor/requests/%s", ev.ActorName, r.RequesterName, r.ID))
	s.notify(ctx, r.RequesterID, requestSubject(ReqActAssign, r.Subject),
		fmt.Sprintf("%s\n\nSuivre la demande / Follow the request: /requests/%s", requestSubject(ReqActAssign, r.Subject), r.ID))
	return out, nil
}

// requestSubject is the subject of the notice sent to a requester.
func requestSubject(act RequestAction, subject string) string {
	switch act {
	case ReqActAssign:
		return "Votre demande est prise en charge : " + subject
	case ReqActAnswer:
		return "Réponse à votre demande : " + subject
	case ReqActResolve:
		return "Votre demande est résolue : " + subject
	}
	return "Votre demande : " + subject
}

// RequestStats counts the requests of the establishments p may read.
func (s *Service) RequestStats(ctx context.Context, since time.Time) ([]RequestCount, error) {
	p := core.PrincipalFromContext(ctx)
	scope := ReadScope(p)
	if scope != nil && len(scope) == 0 {
		return nil, ErrMayNotRead
	}
	return s.deps.Store.RequestStats(ctx, scope, since)
}

// IsRefusal reports whether err is one of the rules' refusals.
func IsRefusal(err error) bool {
	return errors.Is(err, ErrMayNotRead) || errors.Is(err, ErrMayNotManage) || errors.Is(err, ErrNotYours)
}

// Store returns the service's store, for the aggregated reads of the
// dashboards (whose scope the caller takes from ReadScope).
func (s *Service) Store() Store { return s.deps.Store }
