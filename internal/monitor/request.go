// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitor

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// Category is what a user request is about.
type Category string

// Categories. The string values are stored.
const (
	CatHardware Category = "hardware" // a computer, a printer, a projector
	CatSoftware Category = "software"
	CatAccount  Category = "account" // login, password, rights
	CatNetwork  Category = "network" // Wi-Fi, internet, filtering
	CatOther    Category = "other"
)

// Categories lists every category, in display order.
var Categories = []Category{CatHardware, CatSoftware, CatAccount, CatNetwork, CatOther}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// RequestState is where a request stands.
type RequestState string

// Request states. The string values are stored.
const (
	ReqNew      RequestState = "new"      // filed, nobody took it yet
	ReqAssigned RequestState = "assigned" // an admin has it
	ReqAnswered RequestState = "answered" // an admin answered, waiting for the requester
	ReqResolved RequestState = "resolved"
)

// RequestStates lists every state, in display order.
var RequestStates = []RequestState{ReqNew, ReqAssigned, ReqAnswered, ReqResolved}

// Request is a user's request to the helpdesk (MCO-SEI-3).
type Request struct {
	ID             string
	Establishment  string
	RequesterID    string
	RequesterLogin string
	RequesterName  string
	Category       Category
	Device         string // the device concerned, e.g. "PC-CDI-04"
	Subject        string
	Description    string
	State          RequestState
	AssigneeID     string
	AssigneeLogin  string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ResolvedAt     time.Time
	Attachment     *Attachment    // nil when none (content filled by FindAttachment only)
	Events         []RequestEvent // the timeline, oldest first (filled by FindRequest)
}

// Attachment is a file joined to a request.
type Attachment struct {
	Name    string
	Type    string
	Content []byte
}

// MaxAttachment bounds an attachment (a screenshot, a photo of a screen).
const MaxAttachment = 700 << 10

// RequestEvent is one step of a request's timeline.
type RequestEvent struct {
	At         time.Time
	Kind       EventKind
	ActorID    string
	ActorLogin string
	ActorName  string
	Text       string
}

// NewRequest is what a person fills in.
type NewRequest struct {
	Establishment string
	Category      Category
	Device        string
	Subject       string
	Description   string
	Attachment    *Attachment
}

// Validate checks n, returning every problem at once.
func (n *NewRequest) Validate() error {
	n.Subject, n.Device = strings.TrimSpace(n.Subject), strings.TrimSpace(n.Device)
	n.Description = strings.TrimSpace(n.Description)
	var probs []string
	if !n.Category.Valid() {
		probs = append(probs, "category: choose one of the list")
	}
	if n.Subject == "" || utf8.RuneCountInString(n.Subject) > 150 || strings.ContainsAny(n.Subject, "\r\n") {
		probs = append(probs, "subject: 1 to 150 characters on one line")
	}
	if n.Description == "" || utf8.RuneCountInString(n.Description) > 5000 {
		probs = append(probs, "description: 1 to 5,000 characters")
	}
	if utf8.RuneCountInString(n.Device) > 100 || strings.ContainsAny(n.Device, "\r\n") {
		probs = append(probs, "device: at most 100 characters on one line")
	}
	if a := n.Attachment; a != nil {
		if len(a.Content) == 0 {
			n.Attachment = nil
		} else if len(a.Content) > MaxAttachment {
			probs = append(probs, fmt.Sprintf("attachment: at most %d KB", MaxAttachment>>10))
		} else if a.Name = strings.TrimSpace(a.Name); a.Name == "" || len(a.Name) > 200 || strings.ContainsAny(a.Name, "/\\\r\n\"") {
			probs = append(probs, "attachment: a file name without slashes or quotes")
		}
	}
	if len(probs) > 0 {
		return core.E("monitor.NewRequest", core.Invalid, "%s", strings.Join(probs, "; "))
	}
	return nil
}

// RequestFilter selects requests. Zero fields match all.
type RequestFilter struct {
	Establishments []string // nil: all
	RequesterID    string
	States         []RequestState
	Limit          int
}

// RequestCount is one group of the request statistics: no person in it.
type RequestCount struct {
	Establishment string
	Category      Category
	State         RequestState
	N             int
	ResolvedN     int           // of which resolved
	DelaySum      time.Duration // filing to resolution, summed over the resolved
}
