// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"context"
	"time"
)

// Store persists targets, results, incidents and requests. Implementations
// must be safe for concurrent use. Mutating methods record a journal entry
// in the same transaction, with the principal in ctx as the actor — except
// RecordChecks, which stores measurements, not changes.
type Store interface {
	// CreateTarget stores a new target (t.ID set by the caller); a name
	// already used in the establishment is core.Exists.
	CreateTarget(ctx context.Context, t *Target) error
	// UpdateTarget changes the declared fields of a target (not its state).
	UpdateTarget(ctx context.Context, t *Target) error
	// DeleteTarget deletes a target and its history; its incidents stay.
	DeleteTarget(ctx context.Context, id string) error
	// EnsureSelfTarget stores a self-check target unless it exists; it
	// journals only an insertion.
	EnsureSelfTarget(ctx context.Context, t *Target) error
	// FindTarget returns one target or core.NotFound.
	FindTarget(ctx context.Context, id string) (*Target, error)
	// FindTargets lists the targets of ests (nil: all, self-checks included),
	// by establishment and name.
	FindTargets(ctx context.Context, ests []string) ([]*Target, error)
	// RecordChecks adds samples to the hourly history and saves the state
	// of the given targets, in one transaction.
	RecordChecks(ctx context.Context, samples []Sample, states []*Target) error
	// FindSamples returns the hourly samples of the targets of ests (nil:
	// all) from since on.
	FindSamples(ctx context.Context, ests []string, since time.Time) ([]Sample, error)
	// SumSamples returns one sample per target of ests (nil: all) summing
	// its hours from since on (Hour is since): the dashboards' one read.
	SumSamples(ctx context.Context, ests []string, since time.Time) ([]Sample, error)
	// RecomputeWindows sets the targets' window counts to the sums of
	// their samples from since on.
	RecomputeWindows(ctx context.Context, since time.Time) error
	// DownsampleSamples merges the hourly samples before before into one
	// row per target and day (UTC), at the day's first hour.
	DownsampleSamples(ctx context.Context, before time.Time) (int64, error)
	// PurgeSamples deletes samples older than before.
	PurgeSamples(ctx context.Context, before time.Time) (int64, error)

	// OpenIncident stores a new incident with its first event. An automatic
	// incident on a target that already has an unresolved one is
	// core.Exists.
	OpenIncident(ctx context.Context, i *Incident, first IncidentEvent) error
	// AddIncidentEvent appends ev to the timeline and moves the incident to
	// state to ("" keeps it); moving a resolved incident is core.Conflict.
	AddIncidentEvent(ctx context.Context, id string, ev IncidentEvent, to IncidentState) (*Incident, error)
	// FindIncident returns an incident with its timeline, or core.NotFound.
	FindIncident(ctx context.Context, id string) (*Incident, error)
	// FindIncidents lists incidents, newest first, without timelines.
	FindIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, error)

	// CreateRequest stores a new request with its "filed" event.
	CreateRequest(ctx context.Context, r *Request) error
	// UpdateRequest appends ev to the timeline and applies upd; a change
	// from a state other than upd.From (when set) is core.Conflict.
	UpdateRequest(ctx context.Context, id string, upd RequestUpdate, ev RequestEvent) (*Request, error)
	// FindRequest returns a request with its timeline (the attachment's
	// name and type only), or core.NotFound.
	FindRequest(ctx context.Context, id string) (*Request, error)
	// FindAttachment returns a request's attachment, or core.NotFound.
	FindAttachment(ctx context.Context, id string) (*Attachment, error)
	// FindRequests lists requests, newest first, without timelines.
	FindRequests(ctx context.Context, f RequestFilter) ([]*Request, error)
	// RequestStats counts requests filed since by establishment, category
	// and state, with the delay to resolution: never a person.
	RequestStats(ctx context.Context, ests []string, since time.Time) ([]RequestCount, error)

	// AcquireLease takes or renews the lease called name for holder until
	// now+ttl, and reports whether holder has it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
}

// IncidentFilter selects incidents. Zero fields match all.
type IncidentFilter struct {
	Establishments []string // nil: all (self-check incidents included)
	States         []IncidentState
	TargetID       string
	Since          time.Time // opened at or after
	Limit          int
}

// RequestUpdate is a change of a request. Nil fields keep their value.
type RequestUpdate struct {
	From     []RequestState // the states it may move from; nil: any
	State    *RequestState
	Assignee *Assignee
}

// Assignee is the admin a request is assigned to.
type Assignee struct{ ID, Login string }
