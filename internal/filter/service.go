// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/preau/preau/internal/core"
)

// Store is what the filter service keeps (package store implements it).
type Store interface {
	FilterSettings(ctx context.Context) (map[string]string, error)
	PutFilterSettings(ctx context.Context, scope, doc, reason string) error
	FilterOverrides(ctx context.Context, since time.Time) ([]Override, error)
	CreateFilterOverride(ctx context.Context, o *Override) error
	EndFilterOverride(ctx context.Context, est, id string) error
}

// GroupRef names a directory group a person belongs to.
type GroupRef struct {
	Establishment string
	Code          string
	Name          string
	Kind          string
}

// Groups lists groups: those a person belongs to (teachers: the classes
// and groups they teach) and those of an establishment.
type Groups interface {
	GroupsOf(ctx context.Context, personID string) ([]GroupRef, error)
	GroupsIn(ctx context.Context, establishment string) ([]GroupRef, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store  Store
	Groups Groups
	Engine *Engine
	Clock  core.Clock
	// Changed is called after every change so that this node applies it at
	// once (other nodes follow the store's filter counter).
	Changed func(ctx context.Context)
}

// Service changes the filter rules on behalf of the people allowed to:
// holders of filter.delegate (heads hold it) for their establishment and
// the groups they teach (INF-SEC-6, -7, -9); operators for the national
// layer. Technical admins without the right cannot change rules.
type Service struct{ d Deps }

// NewService returns the service.
func NewService(d Deps) *Service {
	if d.Changed == nil {
		d.Changed = func(context.Context) {}
	}
	return &Service{d: d}
}

// Errors the pages translate.
var (
	ErrNotDelegate  = core.E("filter", core.Permission, "you do not hold the filter delegation (filter.delegate) for this establishment")
	ErrNotYourGroup = core.E("filter", core.Permission, "you may only change the rules of the classes and groups you teach")
	ErrNotOperator  = core.E("filter", core.Permission, "only the académie's operators change the national layer")
)

// Engine returns the engine the service feeds.
func (s *Service) Engine() *Engine { return s.d.Engine }

// MayDelegate reports whether p may change rules in est.
func MayDelegate(p core.Principal, est string) bool {
	return est != "" && p.HasRight(core.RightFilterDelegate, est)
}

// Targets returns the groups p may act on in est: every group of the
// establishment for its head (and operators), else the groups p belongs to.
func (s *Service) Targets(ctx context.Context, est string) ([]GroupRef, error) {
	p := core.PrincipalFromContext(ctx)
	if !MayDelegate(p, est) {
		return nil, ErrNotDelegate
	}
	var gs []GroupRef
	var err error
	if p.Operator() || p.Profile == core.ProfileHead {
		gs, err = s.d.Groups.GroupsIn(ctx, est)
	} else {
		gs, err = s.d.Groups.GroupsOf(ctx, p.PersonID)
	}
	if err != nil {
		return nil, err
	}
	out := gs[:0]
	for _, g := range gs {
		if g.Establishment == est {
			out = append(out, g)
		}
	}
	return out, nil
}

func (s *Service) mayTarget(ctx context.Context, est, target string) error {
	gs, err := s.Targets(ctx, est)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(gs, func(g GroupRef) bool { return g.Code == target }) {
		return nil
	}
	p := core.PrincipalFromContext(ctx)
	if len(target) > 5 && target[:5] == "zone:" && (p.Operator() || p.Profile == core.ProfileHead) {
		return nil // rooms: the head's decision
	}
	return ErrNotYourGroup
}

// Start stores a delegation or a context mode after checking who asks.
func (s *Service) Start(ctx context.Context, o *Override) error {
	if err := s.mayTarget(ctx, o.Establishment, o.Target); err != nil {
		return err
	}
	if err := o.Validate(s.d.Engine.Lists(), s.d.Clock.Now()); err != nil {
		return err
	}
	if err := s.d.Store.CreateFilterOverride(ctx, o); err != nil {
		return err
	}
	s.d.Changed(ctx)
	return nil
}

// End ends an override early.
func (s *Service) End(ctx context.Context, est, id string) error {
	os, err := s.d.Store.FilterOverrides(ctx, s.d.Clock.Now())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(os, func(o Override) bool { return o.ID == id && o.Establishment == est })
	if i < 0 {
		return core.E("filter.End", core.NotFound, "no such rule in force")
	}
	if err := s.mayTarget(ctx, est, os[i].Target); err != nil {
		return err
	}
	if err := s.d.Store.EndFilterOverride(ctx, est, id); err != nil {
		return err
	}
	s.d.Changed(ctx)
	return nil
}

// InForce returns the overrides in force or to come in est, for the groups
// in targets (all when targets is nil).
func (s *Service) InForce(ctx context.Context, est string, targets []GroupRef) ([]Override, error) {
	os, err := s.d.Store.FilterOverrides(ctx, s.d.Clock.Now())
	if err != nil {
		return nil, err
	}
	out := os[:0]
	for _, o := range os {
		if o.Establishment != est || o.Ended {
			continue
		}
		if targets != nil && !slices.ContainsFunc(targets, func(g GroupRef) bool { return g.Code == o.Target }) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

// Settings returns the settings of est: its own, or the deployment's
// default, or the built-in one.
func (s *Service) Settings(ctx context.Context, est string) (Settings, error) {
	docs, err := s.d.Store.FilterSettings(ctx)
	if err != nil {
		return Settings{}, err
	}
	for _, scope := range []string{est, ""} {
		if doc, ok := docs[scope]; ok {
			var st Settings
			if err := json.Unmarshal([]byte(doc), &st); err == nil {
				return st, nil
			}
		}
	}
	return DefaultSettings(), nil
}

// SaveSettings validates and stores the settings of est.
func (s *Service) SaveSettings(ctx context.Context, est string, st Settings, reason string) error {
	if !MayDelegate(core.PrincipalFromContext(ctx), est) {
		return ErrNotDelegate
	}
	if err := st.Validate(s.d.Engine.Lists()); err != nil {
		return err
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := s.d.Store.PutFilterSettings(ctx, est, string(doc), reason); err != nil {
		return err
	}
	s.d.Changed(ctx)
	return nil
}

// National returns the national layer in force.
func (s *Service) National(ctx context.Context) (National, error) {
	docs, err := s.d.Store.FilterSettings(ctx)
	if err != nil {
		return National{}, err
	}
	var n National
	if doc, ok := docs["national"]; ok {
		if err := json.Unmarshal([]byte(doc), &n); err != nil {
			return National{}, core.E("filter.National", core.Internal, "national layer unreadable: %v", err)
		}
	}
	return n, nil
}

// SaveNational stores the national layer: operators only (INF-SEC-5, -7).
func (s *Service) SaveNational(ctx context.Context, n National, reason string) error {
	if !core.PrincipalFromContext(ctx).Operator() {
		return ErrNotOperator
	}
	for _, h := range n.Sites {
		if _, err := NormalizeHost(h); err != nil {
			return core.E("filter.SaveNational", core.Invalid, "%q is not a site name", h)
		}
	}
	doc, _ := json.Marshal(n)
	if err := s.d.Store.PutFilterSettings(ctx, "national", string(doc), reason); err != nil {
		return err
	}
	s.d.Changed(ctx)
	return nil
}
