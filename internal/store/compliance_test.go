// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"testing"

	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// TestAccountCounts_INF_AUT_7 counts what the compliance report shows of an
// establishment's accounts: active ones only, service accounts apart, and
// those whose handed-out password must still be changed.
// CARINE: INF-AUT-7, INF-ANN-1
func TestAccountCounts_INF_AUT_7(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db, ctx := open(t), dirtest.Ctx()
		est, other := dirtest.NewEstablishment(999401, directory.College), dirtest.NewEstablishment(999402, directory.Ecole)
		for _, e := range []*directory.Establishment{est, other} {
			if err := db.CreateEstablishment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		pupil := dirtest.NewPerson("eve.martin", core.ProfilePupil, est.ID)
		pupil.MustChangePassword = true
		gone := dirtest.NewPerson("leo.ancien", core.ProfilePupil, est.ID)
		gone.MustChangePassword, gone.State = true, directory.Disabled
		svc := dirtest.NewPerson("svc-pronote", core.ProfileStaff, est.ID)
		svc.Service, svc.MustChangePassword = true, true
		both := dirtest.NewPerson("ana.prof", core.ProfileTeacher, est.ID, other.ID)
		var people []directory.NewPerson
		for _, p := range []*directory.Person{pupil, gone, svc, both,
			dirtest.NewPerson("m.dupont", core.ProfileHead, est.ID), dirtest.NewPerson("tech", core.ProfileAdmin, est.ID),
			dirtest.NewPerson("tech2", core.ProfileAdmin, est.ID), dirtest.NewPerson("ailleurs", core.ProfilePupil, other.ID)} {
			people = append(people, directory.NewPerson{Person: p})
		}
		if err := db.CreatePeople(ctx, people); err != nil {
			t.Fatal(err)
		}
		c, err := db.AccountCounts(ctx, est.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := compliance.AccountCounts{People: 6, Service: 1, MustChange: 1, Heads: 1, Admins: 2}
		if c != want {
			t.Fatalf("counts %+v, want %+v", c, want)
		}
		if c, err := db.AccountCounts(ctx, "no-such-establishment"); err != nil || c != (compliance.AccountCounts{}) {
			t.Fatalf("unknown establishment: %+v %v", c, err)
		}
	})
}
