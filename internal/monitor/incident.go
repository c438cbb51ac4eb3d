// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"time"
)

// IncidentState is where an incident stands.
type IncidentState string

// Incident states. The string values are stored.
const (
	Open         IncidentState = "open"
	Acknowledged IncidentState = "acknowledged"
	Resolved     IncidentState = "resolved"
)

// IncidentStates lists every state, in display order.
var IncidentStates = []IncidentState{Open, Acknowledged, Resolved}

// Incident is a loss of service, detected by a check or declared by hand
// (MCO-SEI-2).
type Incident struct {
	ID             string
	Establishment  string // "" for the deployment's own services
	TargetID       string // "" for an incident declared by hand
	Title          string
	Service        string // the service affected
	State          IncidentState
	Auto           bool // opened by a check
	OpenedAt       time.Time
	AcknowledgedAt time.Time
	ResolvedAt     time.Time
	RestoreTarget  time.Duration
	Events         []IncidentEvent // the timeline, oldest first (filled by FindIncident)
}

// EventKind names a step of a timeline.
type EventKind string

// Steps of incident and request timelines. The string values are stored.
const (
	EvDetected     EventKind = "detected"     // a check failed beyond its threshold
	EvOpened       EventKind = "opened"       // declared by hand
	EvAlerted      EventKind = "alerted"      // alerts sent (text says where)
	EvAcknowledged EventKind = "acknowledged" // an admin took it
	EvNote         EventKind = "note"
	EvRecovered    EventKind = "recovered" // the check came back: resolved by itself
	EvResolved     EventKind = "resolved"  // resolved by hand

	EvFiled    EventKind = "filed"    // request filed
	EvAssigned EventKind = "assigned" // request assigned to an admin
	EvAnswer   EventKind = "answer"   // an admin's answer, shown to the requester
	EvComment  EventKind = "comment"  // the requester's comment
	EvReopened EventKind = "reopened"
)

// IncidentEvent is one step of an incident's timeline.
type IncidentEvent struct {
	At    time.Time
	Kind  EventKind
	Actor string // login, or "" for the engine
	Text  string
}

// TimeToRestore returns how long the incident lasted (until now when it is
// still open).
func (i *Incident) TimeToRestore(now time.Time) time.Duration {
	end := i.ResolvedAt
	if end.IsZero() {
		end = now
	}
	return end.Sub(i.OpenedAt)
}

// Breached reports whether the incident outlasted its restore objective.
func (i *Incident) Breached(now time.Time) bool {
	return i.RestoreTarget > 0 && i.TimeToRestore(now) > i.RestoreTarget
}

// Alert is what the on-call admins receive when an incident opens or
// resolves. Its JSON form is the webhook's body (docs/supervision.md).
type Alert struct {
	Event         string    `json:"event"` // "incident.opened" or "incident.resolved"
	IncidentID    string    `json:"incident_id"`
	Establishment string    `json:"establishment,omitempty"` // UAI, or "" for the deployment
	Title         string    `json:"title"`
	Service       string    `json:"service,omitempty"`
	Target        string    `json:"target,omitempty"`
	Error         string    `json:"error,omitempty"`
	At            time.Time `json:"at"`
	OpenedAt      time.Time `json:"opened_at"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	RestoreSecs   int64     `json:"time_to_restore_seconds,omitempty"`
	TargetSecs    int64     `json:"restore_target_seconds"`
	URL           string    `json:"url,omitempty"`
}
