// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package admin_test

import (
	"context"
	"slices"
	"testing"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// TestPeopleCharts: one grouped count gives the three directory charts.
// CARINE: MCO-SEI-6
func TestPeopleCharts(t *testing.T) {
	t.Parallel()
	counts := []directory.PeopleCount{
		{Profile: core.ProfilePupil, State: directory.Active, MustChange: true, N: 30},
		{Profile: core.ProfilePupil, State: directory.Active, N: 70},
		{Profile: core.ProfilePupil, State: directory.ToDelete, MustChange: true, N: 5}, // leaving: not pending
		{Profile: core.ProfileTeacher, State: directory.Pending, MustChange: true, N: 4},
		{Profile: core.ProfileTeacher, State: directory.Disabled, N: 1},
	}
	cs := admin.PeopleCharts(context.Background(), counts)
	if len(cs) != 3 {
		t.Fatalf("%d charts", len(cs))
	}
	people, states, pw := cs[0], cs[1], cs[2]
	if len(people.Rows) != 2 || people.Rows[0].Total() != 105 || people.Rows[1].Total() != 5 {
		t.Errorf("people per profile %+v", people.Rows)
	}
	var st []int
	for _, r := range states.Rows {
		st = append(st, r.Total())
	}
	if !slices.Equal(st, []int{70 + 30, 4, 1, 5}) {
		t.Errorf("states %v", st)
	}
	if !pw.Percent || len(pw.Rows) != 2 || !slices.Equal(pw.Rows[0].Values, []int{30, 70}) ||
		!slices.Equal(pw.Rows[1].Values, []int{4, 0}) {
		t.Errorf("password changes %+v", pw.Rows)
	}
	if cs := admin.PeopleCharts(context.Background(), nil); !cs[0].IsEmpty() || !cs[2].IsEmpty() {
		t.Error("no people: empty charts")
	}
}
