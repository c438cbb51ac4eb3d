// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package chartertest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
)

// Harness is a store under test with the means to fill it.
type Harness struct {
	Store charter.Store
	// Establishment creates an establishment and returns its ID.
	Establishment func(t *testing.T) string
	// Person creates an active person of est and returns its ID.
	Person func(t *testing.T, login string, p core.Profile, est string) string
	// Actions returns the journal of est as "action target actor" lines.
	Actions func(t *testing.T, est string) []string
}

// Mem returns a harness over a fresh MemStore.
func Mem(t *testing.T) Harness {
	m := NewMemStore(core.NewFakeClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)))
	n := 0
	return Harness{Store: m,
		Establishment: func(*testing.T) string { n++; return "est-" + string(rune('a'+n)) },
		Person: func(_ *testing.T, login string, p core.Profile, est string) string {
			m.AddPerson(login, est, p)
			return login
		},
		Actions: func(_ *testing.T, est string) []string { return m.Actions(est) },
	}
}

// As returns a web context of a person.
func As(id, login string, p core.Profile, est string) context.Context {
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: id, Login: login, Profile: p,
		Establishments: []string{est}, Channel: core.ChannelWeb, Source: "192.0.2.9"})
}

// StoreSuite checks a charter.Store: drafts, publication, acceptances,
// current versions, statistics and their journal entries.
// CARINE: INF-SEC-3, INF-AUT-5
func StoreSuite(t *testing.T, open func(t *testing.T) Harness) {
	h := open(t)
	s := h.Store
	est, other := h.Establishment(t), h.Establishment(t)
	headID := h.Person(t, "m.head", core.ProfileHead, est)
	pupilID := h.Person(t, "e.pupil", core.ProfilePupil, est)
	h.Person(t, "e.pupil2", core.ProfilePupil, est)
	h.Person(t, "s.tech", core.ProfileAdmin, est)
	hctx := As(headID, "m.head", core.ProfileHead, est)
	ctx := context.Background()

	v := &charter.Version{Establishment: est, Kind: charter.KindCharte, Title: "Charte", Body: "# Un\n"}
	if err := s.SaveCharterDraft(hctx, v); err != nil || v.Number != 1 {
		t.Fatalf("draft: %v, number %d", err, v.Number)
	}
	v.Body = "# Un, relu\n"
	if err := s.SaveCharterDraft(hctx, v); err != nil || v.Number != 1 {
		t.Fatalf("draft again: %v, number %d", err, v.Number)
	}
	if cur, _ := s.CurrentCharters(ctx, []string{est}); len(cur) != 0 {
		t.Fatalf("a draft is not current: %+v", cur)
	}
	if _, err := s.PublishCharter(hctx, est, charter.KindCharte, 2, time.Time{}); !core.IsKind(err, core.NotFound) {
		t.Fatalf("publishing a missing draft: %v", err)
	}
	if _, err := s.PublishCharter(hctx, est, charter.KindCharte, 1, v.UpdatedAt.Add(-time.Second)); !core.IsKind(err, core.Conflict) {
		t.Fatalf("publishing a draft changed since it was read: %v", err)
	}
	pub, err := s.PublishCharter(hctx, est, charter.KindCharte, 1, v.UpdatedAt)
	if err != nil || pub.PublishedAt.IsZero() || pub.PublisherName != "m.head" || pub.Body != "# Un, relu\n" {
		t.Fatalf("publish: %v %+v", err, pub)
	}
	if _, err := s.PublishCharter(hctx, est, charter.KindCharte, 1, time.Time{}); !core.IsKind(err, core.Conflict) {
		t.Fatalf("publishing twice: %v", err)
	}
	v2 := &charter.Version{Establishment: est, Kind: charter.KindCharte, Title: "Charte", Body: "# Deux\n"}
	if err := s.SaveCharterDraft(hctx, v2); err != nil || v2.Number != 2 {
		t.Fatalf("second draft: %v, number %d", err, v2.Number)
	}
	cur, err := s.CurrentCharters(ctx, []string{est, other})
	if err != nil || len(cur) != 1 || cur[0].Number != 1 {
		t.Fatalf("current: %v %+v", err, cur)
	}
	vs, _ := s.CharterVersions(ctx, est, charter.KindCharte)
	if len(vs) != 2 || !vs[0].Draft() || vs[1].Draft() {
		t.Fatalf("versions: %+v", vs)
	}
	if ks, _ := s.CharterKinds(ctx, est); len(ks) != 1 || ks[0] != charter.KindCharte {
		t.Fatalf("kinds: %v", ks)
	}

	pctx := As(pupilID, "e.pupil", core.ProfilePupil, est)
	ref := charter.Ref{Establishment: est, Kind: charter.KindCharte, Number: 1}
	for range 2 {
		if err := s.AcceptCharters(pctx, []charter.Ref{ref}); err != nil {
			t.Fatal(err)
		}
	}
	as, err := s.CharterAcceptances(ctx, pupilID)
	if err != nil || len(as) != 1 || as[0].Number != 1 || as[0].Channel != core.ChannelWeb || as[0].Source != "192.0.2.9" {
		t.Fatalf("acceptances: %v %+v", err, as)
	}
	stats, err := s.CharterStats(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	got := map[core.Profile]charter.ProfileStat{}
	for _, st := range stats {
		got[st.Profile] = st
	}
	if len(stats) != len(core.Profiles) || got[core.ProfilePupil].People != 2 || got[core.ProfilePupil].Accepted != 1 ||
		got[core.ProfilePupil].Percent() != 50 || got[core.ProfileHead].People != 1 || got[core.ProfileHead].Accepted != 0 ||
		got[core.ProfileTeacher].People != 0 {
		t.Fatalf("stats: %+v", stats)
	}
	want := []string{"charter.draft.save charte v1 m.head", "charter.draft.save charte v1 m.head",
		"charter.publish charte v1 m.head", "charter.draft.save charte v2 m.head", "charter.accept charte v1 e.pupil"}
	if actions := h.Actions(t, est); !slices.Equal(actions, want) {
		t.Fatalf("journal:\n%q\nwant\n%q", actions, want)
	}
	if err := s.AcceptCharters(ctx, []charter.Ref{ref}); !core.IsKind(err, core.Permission) {
		t.Fatalf("accepting without a person: %v", err)
	}
}
