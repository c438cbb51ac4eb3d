// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"github.com/preau/preau/internal/journal"
)

// ImportChanges is an import plan ready to apply in one transaction.
// People and groups to create carry their new IDs, so that memberships may
// refer to them.
type ImportChanges struct {
	NewGroups     []*Group
	NewPeople     []NewPerson
	Updates       []PersonChange
	AddMembers    []Membership
	RemoveMembers []Membership
	// EndPictureLogins lists classes whose picture login ends (a
	// school-year rollover archives them): the class's board code and its
	// pupils' picture secrets are deleted before RemoveMembers.
	EndPictureLogins []string
	Run              journal.Entry // the run's summary: operator, files, counts
}

// PersonChange is an update of one existing person.
type PersonChange struct {
	PersonID string
	Update   PersonUpdate
}
