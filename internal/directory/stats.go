// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import "github.com/preau/preau/internal/core"

// PeopleCount is how many people share a profile, a state and whether they
// must change their password: one row of the dashboards' grouped count.
type PeopleCount struct {
	Profile    core.Profile
	State      State
	MustChange bool
	N          int
}
