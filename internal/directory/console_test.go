// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory_test

import (
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Who may use the console's people pages for an establishment, and on whom:
// its administrators on anyone; a people.manage holder, from the zone of the
// grant, on pupils, teachers and staff but not on heads and admins.
func TestMayManage(t *testing.T) {
	const est, other = "e1", "e2"
	admin := core.Principal{PersonID: "a", Profile: core.ProfileAdmin, Establishments: []string{est}}
	staff := core.Principal{PersonID: "s", Profile: core.ProfileStaff, Establishments: []string{est}, Zone: "peda",
		Grants: []core.Grant{{Right: core.RightPeopleManage, Establishment: est, Zone: core.ZoneAdmin}}}
	teacher := core.Principal{PersonID: "t", Profile: core.ProfileTeacher, Establishments: []string{est}}
	operator := core.Principal{PersonID: "o", Grants: []core.Grant{{Right: core.RightOperator}}}
	inAdminZone := staff
	inAdminZone.Zone = core.ZoneAdmin
	for _, c := range []struct {
		name string
		p    core.Principal
		est  string
		prof core.Profile
		want bool
	}{
		{"admin on a head", admin, est, core.ProfileHead, true},
		{"admin elsewhere", admin, other, core.ProfilePupil, false},
		{"operator anywhere", operator, other, core.ProfileAdmin, true},
		{"grant from the wrong zone", staff, est, core.ProfilePupil, false},
		{"grant from its zone", inAdminZone, est, core.ProfileTeacher, true},
		{"grant on a head", inAdminZone, est, core.ProfileHead, false},
		{"grant on an admin", inAdminZone, est, core.ProfileAdmin, false},
		{"grant elsewhere", inAdminZone, other, core.ProfilePupil, false},
		{"teacher", teacher, est, core.ProfilePupil, false},
	} {
		if got := directory.MayManagePerson(c.p, c.est, c.prof); got != c.want {
			t.Errorf("%s: MayManagePerson = %v, want %v", c.name, got, c.want)
		}
	}
	if directory.MayManage(staff, est) || !directory.MayManage(inAdminZone, est) || directory.MayManage(teacher, est) {
		t.Error("MayManage")
	}
	if z := staff.ZoneRefusal(core.RightPeopleManage, est); z != core.ZoneAdmin {
		t.Errorf("zone refusal names %q", z)
	}
}
