// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

func personCtx(p *directory.Person) context.Context {
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
		Profile: p.Profile, Establishments: p.Establishments, Channel: core.ChannelWeb, Source: "192.0.2.9"})
}

// TestCharterStore drafts, publishes and accepts versions on both back
// ends, with a journal entry in the establishment's chain for each change.
// CARINE: INF-SEC-3, INF-AUT-5
func TestCharterStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		est := dirtest.NewEstablishment(999501, directory.College)
		other := dirtest.NewEstablishment(999502, directory.Lycee)
		for _, e := range []*directory.Establishment{est, other} {
			if err := db.CreateEstablishment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		head := dirtest.NewPerson("m.head", core.ProfileHead, est.ID)
		pupil := dirtest.NewPerson("e.pupil", core.ProfilePupil, est.ID)
		pupil2 := dirtest.NewPerson("e.pupil2", core.ProfilePupil, est.ID)
		tech := dirtest.NewPerson("s.tech", core.ProfileAdmin, est.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: head}, {Person: pupil}, {Person: pupil2}, {Person: tech}}); err != nil {
			t.Fatal(err)
		}
		hctx := personCtx(head)

		// A draft, saved twice, stays version 1.
		v := &charter.Version{Establishment: est.ID, Kind: charter.KindCharte, Title: "Charte", Body: "# Un\n"}
		if err := db.SaveCharterDraft(hctx, v); err != nil || v.Number != 1 {
			t.Fatalf("draft: %v, number %d", err, v.Number)
		}
		v.Body = "# Un, relu\n"
		if err := db.SaveCharterDraft(hctx, v); err != nil || v.Number != 1 {
			t.Fatalf("draft again: %v, number %d", err, v.Number)
		}
		if cur, _ := db.CurrentCharters(ctx, []string{est.ID}); len(cur) != 0 {
			t.Fatalf("a draft is not current: %+v", cur)
		}
		if _, err := db.PublishCharter(hctx, est.ID, charter.KindCharte, 2, time.Time{}); !core.IsKind(err, core.NotFound) {
			t.Fatalf("publishing a missing draft: %v", err)
		}
		if _, err := db.PublishCharter(hctx, est.ID, charter.KindCharte, 1, v.UpdatedAt.Add(-time.Second)); !core.IsKind(err, core.Conflict) {
			t.Fatalf("publishing a draft changed since it was read: %v", err)
		}
		pub, err := db.PublishCharter(hctx, est.ID, charter.KindCharte, 1, v.UpdatedAt)
		if err != nil || pub.PublishedAt.IsZero() || pub.PublisherName != "m.head" || pub.Body != "# Un, relu\n" {
			t.Fatalf("publish: %v %+v", err, pub)
		}
		if _, err := db.PublishCharter(hctx, est.ID, charter.KindCharte, 1, time.Time{}); !core.IsKind(err, core.Conflict) {
			t.Fatalf("publishing twice: %v", err)
		}
		// The next draft is version 2; version 1 stays current until it is published.
		v2 := &charter.Version{Establishment: est.ID, Kind: charter.KindCharte, Title: "Charte", Body: "# Deux\n"}
		if err := db.SaveCharterDraft(hctx, v2); err != nil || v2.Number != 2 {
			t.Fatalf("second draft: %v, number %d", err, v2.Number)
		}
		cur, err := db.CurrentCharters(ctx, []string{est.ID, other.ID})
		if err != nil || len(cur) != 1 || cur[0].Number != 1 {
			t.Fatalf("current: %v %+v", err, cur)
		}
		vs, _ := db.CharterVersions(ctx, est.ID, charter.KindCharte)
		if len(vs) != 2 || !vs[0].Draft() || vs[1].Draft() {
			t.Fatalf("versions: %+v", vs)
		}
		if ks, _ := db.CharterKinds(ctx, est.ID); len(ks) != 1 || ks[0] != charter.KindCharte {
			t.Fatalf("kinds: %v", ks)
		}

		// Acceptance, once; accepting again writes nothing.
		pctx := personCtx(pupil)
		ref := charter.Ref{Establishment: est.ID, Kind: charter.KindCharte, Number: 1}
		for range 2 {
			if err := db.AcceptCharters(pctx, []charter.Ref{ref}); err != nil {
				t.Fatal(err)
			}
		}
		as, err := db.CharterAcceptances(ctx, pupil.ID)
		if err != nil || len(as) != 1 || as[0].Number != 1 || as[0].Channel != core.ChannelWeb || as[0].Source != "192.0.2.9" {
			t.Fatalf("acceptances: %v %+v", err, as)
		}
		stats, err := db.CharterStats(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		got := map[core.Profile]charter.ProfileStat{}
		for _, s := range stats {
			got[s.Profile] = s
		}
		if got[core.ProfilePupil].People != 2 || got[core.ProfilePupil].Accepted != 1 || got[core.ProfilePupil].Percent() != 50 ||
			got[core.ProfileHead].People != 1 || got[core.ProfileHead].Accepted != 0 || got[core.ProfileTeacher].People != 0 {
			t.Fatalf("stats: %+v", stats)
		}

		es, _ := db.FindJournal(ctx, journal.Filter{Action: "charter.", Chain: est.ID})
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action+" "+e.TargetName+" "+e.ActorLogin)
		}
		want := []string{"charter.draft.save charte v1 m.head", "charter.draft.save charte v1 m.head",
			"charter.publish charte v1 m.head", "charter.draft.save charte v2 m.head", "charter.accept charte v1 e.pupil"}
		if len(actions) != len(want) {
			t.Fatalf("journal:\n%q\nwant\n%q", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("journal:\n%q\nwant\n%q", actions, want)
			}
		}
		if err := db.AcceptCharters(ctx, []charter.Ref{ref}); !core.IsKind(err, core.Permission) {
			t.Fatalf("a system principal accepting: %v", err)
		}
	})
}
