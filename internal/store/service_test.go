// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: INF-ANN-4 — a refused change (wrong role) leaves a "refused"
// journal entry naming the actor, target and attributes, and no data change.
func TestRefusedChangeIsJournaled_INF_ANN_4(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		svc := directory.New(directory.Deps{Store: db, Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler)})
		sys := dirtest.Ctx()
		e := dirtest.NewEstablishment(999010, directory.College)
		if err := db.CreateEstablishment(sys, e); err != nil {
			t.Fatal(err)
		}
		teacher := dirtest.NewPerson("prof.durand", core.ProfileTeacher, e.ID)
		pupil := dirtest.NewPerson("eleve.x", core.ProfilePupil, e.ID)
		if err := db.CreatePeople(sys, []directory.NewPerson{{Person: teacher}, {Person: pupil}}); err != nil {
			t.Fatal(err)
		}
		asTeacher := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: teacher.ID,
			Login: teacher.Login, Profile: core.ProfileTeacher, Establishments: []string{e.ID},
			Channel: core.ChannelAPI, Source: "192.0.2.10"})
		st := directory.Disabled
		name := "Hacked"
		_, err := svc.UpdatePerson(asTeacher, pupil.ID, directory.PersonUpdate{State: &st, FamilyName: &name})
		if core.KindOf(err) != core.Permission {
			t.Fatalf("teacher disabling a pupil: got %v, want a Permission error", err)
		}
		got, err := db.FindPerson(sys, pupil.ID)
		if err != nil || got.State != directory.Active || got.FamilyName == name {
			t.Fatalf("refused change altered data: %+v %v", got, err)
		}
		es, err := db.FindJournal(sys, journal.Filter{Result: journal.Refused})
		if err != nil || len(es) != 1 {
			t.Fatalf("refused entries: %v %v", es, err)
		}
		r := es[0]
		if r.Action != "directory.person.update" || r.ActorLogin != "prof.durand" || r.Channel != "api" ||
			r.Source != "192.0.2.10" || r.TargetName != "eleve.x" || r.Chain != e.ID || len(r.Attributes) != 2 {
			t.Fatalf("refused entry: %+v", r)
		}
		// The same change by the head is done and journaled as done.
		head := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: "chef",
			Profile: core.ProfileHead, Establishments: []string{e.ID}, Channel: core.ChannelWeb})
		if _, err := svc.UpdatePerson(head, pupil.ID, directory.PersonUpdate{State: &st}); err != nil {
			t.Fatal(err)
		}
		rep, err := db.VerifyJournal(sys, nil, nil)
		if err != nil || len(rep.Problems) > 0 {
			t.Fatalf("journal does not verify: %v %+v", err, rep)
		}
	})
}

// TestOnlyOperatorsCreateEstablishments checks the service's authorization
// on establishments and people across establishments.
func TestOnlyOperatorsCreateEstablishments(t *testing.T) {
	db := openSQLite(t)
	svc := directory.New(directory.Deps{Store: db, Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler)})
	e := dirtest.NewEstablishment(999011, directory.Lycee)
	head := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: "chef",
		Profile: core.ProfileHead, Establishments: []string{"other"}})
	if err := svc.CreateEstablishment(head, e); core.KindOf(err) != core.Permission {
		t.Fatalf("head created an establishment: %v", err)
	}
	if err := svc.CreateEstablishment(dirtest.Ctx(), e); err != nil {
		t.Fatal(err)
	}
	p := dirtest.NewPerson("intrus", core.ProfileTeacher, e.ID)
	if err := svc.CreatePerson(head, p, ""); core.KindOf(err) != core.Permission {
		t.Fatalf("head of another establishment created a person here: %v", err)
	}
	if _, err := svc.Person(head, "intrus"); core.KindOf(err) != core.NotFound {
		t.Fatalf("refused person exists: %v", err)
	}
}
