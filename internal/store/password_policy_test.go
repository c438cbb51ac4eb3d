// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// policyFixture is an auth service on a real store with a fake clock and
// one establishment.
type policyFixture struct {
	db    *store.DB
	a     *auth.Service
	clock *core.FakeClock
	est   *directory.Establishment
}

func newPolicyFixture(t *testing.T, open func(testing.TB) *store.DB) *policyFixture {
	t.Helper()
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
	db, _ := store.Reopen(open(t), store.Config{Clock: clock})
	e := dirtest.NewEstablishment(999030, directory.College)
	if err := db.CreateEstablishment(dirtest.Ctx(), e); err != nil {
		t.Fatal(err)
	}
	return &policyFixture{db: db, a: newAuth(db, clock), clock: clock, est: e}
}

// person creates a person with password pw and returns a context holding
// their principal, as after a login.
func (f *policyFixture) person(t *testing.T, login string, pr core.Profile, pw string) (*directory.Person, context.Context) {
	t.Helper()
	p := dirtest.NewPerson(login, pr, f.est.ID)
	if err := f.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: p, PasswordHash: f.a.Hash(pw)}}); err != nil {
		t.Fatal(err)
	}
	return p, core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: login, Profile: pr,
		Establishments: p.Establishments, Channel: core.ChannelWeb, Source: "192.0.2.7"})
}

// violations returns the codes of a refused password, failing on any other
// error.
func violations(t *testing.T, err error) []string {
	t.Helper()
	var vs policy.Violations
	if core.KindOf(err) != core.Invalid || !errors.As(err, &vs) {
		t.Fatalf("got %v, want a policy refusal", err)
	}
	return vs.Codes()
}

// TestPasswordHistoryStore checks the history kept by SetPasswordHash: the
// replaced hash, newest first, the last 20 only, none for a rehash.
func TestPasswordHistoryStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		f := newPolicyFixture(t, open)
		ctx := dirtest.Ctx()
		p := dirtest.NewPerson("hist.one", core.ProfileStaff, f.est.ID)
		if err := f.db.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: "h0"}}); err != nil {
			t.Fatal(err)
		}
		if h, err := f.db.PasswordHistory(ctx, p.ID, 5); err != nil || len(h) != 0 {
			t.Fatalf("fresh history: %v %v", h, err)
		}
		set := func(hash, action string) {
			t.Helper()
			e := journal.Entry{Action: action, TargetType: "person", TargetID: p.ID, TargetName: p.Login}
			if err := f.db.SetPasswordHash(ctx, p.ID, hash, false, e); err != nil {
				t.Fatal(err)
			}
		}
		credV := func() int64 {
			t.Helper()
			v, err := f.db.CredentialsVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v0 := credV()
		for i := 1; i <= 24; i++ {
			set(fmt.Sprintf("h%d", i), "auth.password.change") // same clock instant: the order still holds
		}
		// INF-AUT-10: every change moves the counter that caches of
		// verified passwords watch; a transparent rehash does not.
		if v := credV(); v != v0+24 {
			t.Fatalf("credentials version moved by %d, want 24", v-v0)
		}
		set("h24-rehashed", "auth.password.rehash")
		if v := credV(); v != v0+24 {
			t.Fatalf("a rehash moved the credentials version to %d", v)
		}
		h, err := f.db.PasswordHistory(ctx, p.ID, 50)
		if err != nil || len(h) != 20 || h[0] != "h23" || h[19] != "h4" {
			t.Fatalf("history: %v %v, want h23 … h4", h, err)
		}
		if h, _ := f.db.PasswordHistory(ctx, p.ID, 2); !slices.Equal(h, []string{"h23", "h22"}) {
			t.Fatalf("last 2: %v", h)
		}
		f.clock.Advance(time.Hour)
		set("h25", "auth.password.reset")
		at, err := f.db.PasswordChangedAt(ctx, p.ID)
		if err != nil || !at.Equal(f.clock.Now()) {
			t.Fatalf("changed at %v %v, want %v", at, err, f.clock.Now())
		}
		if h, _ := f.db.PasswordHistory(ctx, p.ID, 1); h[0] != "h24-rehashed" {
			t.Fatalf("newest after the rehash: %v", h)
		}
		if _, err := f.db.PasswordChangedAt(ctx, core.NewID()); core.KindOf(err) != core.NotFound {
			t.Fatalf("no password: %v", err)
		}
	})
}

// CARINE: INF-AUT-6 — a common password (also with digits and signs
// around it) and one made of the person's names are refused, on change and
// on reset; the refusal names the rule.
func TestPasswordPolicyCommonAndPersonal_INF_AUT_6(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		f := newPolicyFixture(t, open)
		_, ctx := f.person(t, "lea.petit", core.ProfileTeacher, "Tartine-Kiwi-Vert-42")
		err := f.a.ChangePassword(ctx, "Tartine-Kiwi-Vert-42", "Marseille2026!")
		if got := violations(t, err); !slices.Equal(got, []string{"common"}) || !strings.Contains(core.MessageOf(err), "common") {
			t.Fatalf("common password: %v (%s)", got, core.MessageOf(err))
		}
		err = f.a.ChangePassword(ctx, "Tartine-Kiwi-Vert-42", "Chaperon-Rouge-PETIT-7")
		if got := violations(t, err); !slices.Equal(got, []string{"personal"}) {
			t.Fatalf("personal password: %v", got)
		}
		err = f.a.ResetPassword(dirtest.Ctx(), "lea.petit", "Ervèfel-Jardin-2026") // the family name backwards
		if got := violations(t, err); !slices.Equal(got, []string{"personal"}) {
			t.Fatalf("reset to a personal password: %v", got)
		}
		if err := f.a.ResetPassword(dirtest.Ctx(), "lea.petit", "azerty"); !slices.Equal(violations(t, err),
			[]string{"too_short", "too_few_classes", "common"}) {
			t.Fatalf("reset to azerty: %v", err)
		}
		if err := f.a.ChangePassword(ctx, "Tartine-Kiwi-Vert-42", "Une phrase assez longue"); err != nil {
			t.Fatal(err)
		}
	})
}

// CARINE: INF-AUT-6 — with History 5 (teachers), the last 5 passwords, the
// current one included, cannot be chosen again; older ones can.
func TestPasswordHistoryReuseRefused_INF_AUT_6(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		f := newPolicyFixture(t, open)
		pw := func(i int) string { return fmt.Sprintf("Kiwi-Vert-Bleu-%d", 10+i) }
		_, ctx := f.person(t, "prof.durand", core.ProfileTeacher, pw(0))
		for i := 1; i <= 5; i++ {
			if err := f.a.ChangePassword(ctx, pw(i-1), pw(i)); err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		err := f.a.ChangePassword(ctx, pw(5), pw(2))
		if got := violations(t, err); !slices.Equal(got, []string{"reused"}) || !strings.Contains(core.MessageOf(err), "last 5") {
			t.Fatalf("reuse of the 4th last: %v %s", got, core.MessageOf(err))
		}
		if got := violations(t, f.a.ResetPassword(dirtest.Ctx(), "prof.durand", pw(5))); !slices.Equal(got, []string{"reused"}) {
			t.Fatalf("reset to the current password: %v", got)
		}
		if err := f.a.ChangePassword(ctx, pw(5), pw(0)); err != nil {
			t.Fatalf("the 6th last is allowed again: %v", err)
		}
	})
}

// CARINE: INF-AUT-6 — the admin policy asks for 14 characters, and the
// generated initial passwords meet it.
func TestAdminPasswordLength_INF_AUT_6(t *testing.T) {
	f := newPolicyFixture(t, openSQLite)
	f.person(t, "admin2", core.ProfileAdmin, "Initial-Admin-Secret-1")
	if got := violations(t, f.a.ResetPassword(dirtest.Ctx(), "admin2", "Kiwi-Vert-42x")); !slices.Equal(got, []string{"too_short"}) {
		t.Fatalf("13 characters: %v", got)
	}
	if err := f.a.ResetPassword(dirtest.Ctx(), "admin2", "Kiwi-Vert-42-x"); err != nil {
		t.Fatalf("14 characters: %v", err)
	}
	if err := f.a.ResetPassword(dirtest.Ctx(), "admin2", auth.GeneratePassword()); err != nil {
		t.Fatalf("generated password: %v", err)
	}
}

// CARINE: INF-AUT-8 — a password older than the policy's MaxAge (one year
// for admins by default; set per profile in the "auth/password_policies"
// setting) restricts the next login to the password change, journaled as
// "password expired"; the change lifts it.
func TestPasswordExpiryForcesChange_INF_AUT_8(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		f := newPolicyFixture(t, open)
		f.person(t, "root.admin", core.ProfileAdmin, "Initial-Admin-Secret-1")
		f.person(t, "prof.martin", core.ProfileTeacher, "Tartine-Kiwi-Vert-42")
		login := func(login, pw string) (string, core.Principal) {
			t.Helper()
			cookie, p, err := f.a.Login(context.Background(), auth.Attempt{Login: login, Password: pw,
				Channel: core.ChannelWeb, Source: "192.0.2.8"})
			if err != nil {
				t.Fatalf("login %s: %v", login, err)
			}
			return cookie, p
		}
		f.clock.Advance(364 * 24 * time.Hour)
		if _, p := login("root.admin", "Initial-Admin-Secret-1"); p.MustChangePassword {
			t.Fatal("expired after 364 days")
		}
		f.clock.Advance(2 * 24 * time.Hour)
		cookie, p := login("root.admin", "Initial-Admin-Secret-1")
		if !p.MustChangePassword {
			t.Fatal("not expired after 366 days")
		}
		if sp, err := f.a.SessionPrincipal(context.Background(), cookie); err != nil || !sp.MustChangePassword {
			t.Fatalf("the session is not restricted: %v %+v", err, sp)
		}
		es, err := f.db.FindJournal(dirtest.Ctx(), journal.Filter{Action: "auth.password.expire"})
		if err != nil || len(es) != 1 || es[0].Reason != "password expired" || es[0].TargetName != "root.admin" {
			t.Fatalf("expiry journal: %v %+v", err, es)
		}
		if _, p := login("prof.martin", "Tartine-Kiwi-Vert-42"); p.MustChangePassword {
			t.Fatal("a teacher's password expired: the default teacher policy has no MaxAge")
		}
		ctx := core.ContextWithPrincipal(context.Background(), p)
		if err := f.a.ChangePassword(ctx, "Initial-Admin-Secret-1", "Nouveau-Secret-Chef-2027"); err != nil {
			t.Fatal(err)
		}
		if _, p := login("root.admin", "Nouveau-Secret-Chef-2027"); p.MustChangePassword {
			t.Fatal("still restricted after the change")
		}
		// A deployment sets 90 days for teachers.
		ps := policy.Defaults()
		teacher := ps.Profiles[core.ProfileTeacher]
		teacher.MaxAge = 90 * policy.Day
		ps.Profiles[core.ProfileTeacher] = teacher
		b, _ := json.Marshal(ps)
		if err := f.db.PutSetting(dirtest.Ctx(), auth.SettingScope, auth.SettingPasswordPolicies, string(b)); err != nil {
			t.Fatal(err)
		}
		if _, p := login("prof.martin", "Tartine-Kiwi-Vert-42"); !p.MustChangePassword {
			t.Fatal("a teacher's 366-day-old password did not expire under a 90-day policy")
		}
	})
}

// CARINE: INF-AUT-6 — an establishment may override the policy of a
// profile; other establishments keep the deployment's.
func TestPasswordPolicyOverride_INF_AUT_6(t *testing.T) {
	f := newPolicyFixture(t, openSQLite)
	p, _ := f.person(t, "eleve.tom", core.ProfilePupil, "bakuteri47")
	ps := policy.Defaults()
	ps.Establishments = map[string]map[core.Profile]policy.Policy{f.est.ID: {core.ProfilePupil: {MinLength: 10,
		MinClasses: 2, RejectCommon: true, RejectPersonal: true}}}
	b, _ := json.Marshal(ps)
	if err := f.db.PutSetting(dirtest.Ctx(), auth.SettingScope, auth.SettingPasswordPolicies, string(b)); err != nil {
		t.Fatal(err)
	}
	if got := f.a.PolicyFor(context.Background(), p); got.MinLength != 10 {
		t.Fatalf("override not applied: %+v", got)
	}
	if got := violations(t, f.a.ResetPassword(dirtest.Ctx(), "eleve.tom", "kapudi47")); !slices.Equal(got, []string{"too_short"}) {
		t.Fatalf("8 characters under a 10-character override: %v", got)
	}
	if err := f.a.ResetPassword(dirtest.Ctx(), "eleve.tom", "kapudimaro47"); err != nil {
		t.Fatal(err)
	}
	// A broken setting falls back to the defaults rather than to no policy.
	if err := f.db.PutSetting(dirtest.Ctx(), auth.SettingScope, auth.SettingPasswordPolicies, `{"profiles": 3}`); err != nil {
		t.Fatal(err)
	}
	if got := f.a.PolicyFor(context.Background(), p); got != policy.Default(core.ProfilePupil) {
		t.Fatalf("broken setting: %+v", got)
	}
}

// CARINE: INF-AUT-6 — two administrators edit the policies at once: the
// heads of two establishments each set their pupils' override through the
// service; compare-and-swap keeps both, a stale swap changes nothing, and
// a head cannot touch the other school's override nor the deployment's.
func TestPasswordPolicyConcurrentEdits_INF_AUT_6(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		f := newPolicyFixture(t, open)
		other := dirtest.NewEstablishment(999031, directory.Lycee)
		if err := f.db.CreateEstablishment(dirtest.Ctx(), other); err != nil {
			t.Fatal(err)
		}
		head := func(est string) context.Context {
			return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: core.NewID(), Login: "chef-" + est[:4],
				Profile: core.ProfileHead, Establishments: []string{est}, Channel: core.ChannelWeb})
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, est := range []string{f.est.ID, other.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f.a.SetPasswordPolicy(head(est), est, core.ProfilePupil, &policy.Policy{MinLength: 9 + i, MinClasses: 2})
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("concurrent edits: %v", errs)
		}
		ps := f.a.Policies(context.Background())
		if ps.For(f.est.ID, core.ProfilePupil).MinLength != 9 || ps.For(other.ID, core.ProfilePupil).MinLength != 10 {
			t.Fatalf("an edit was lost: %+v", ps.Establishments)
		}
		if ok, err := f.db.SwapSetting(dirtest.Ctx(), auth.SettingScope, auth.SettingPasswordPolicies, "{}", true, "{}",
			journal.Entry{Action: "test"}); ok || err != nil {
			t.Fatalf("a stale swap: %v %v", ok, err)
		}
		if ok, err := f.db.SwapSetting(dirtest.Ctx(), auth.SettingScope, auth.SettingPasswordPolicies, "", false, "{}",
			journal.Entry{Action: "test"}); ok || err != nil {
			t.Fatalf("a first write over an existing setting: %v %v", ok, err)
		}
		if err := f.a.SetPasswordPolicy(head(f.est.ID), other.ID, core.ProfilePupil, nil); core.KindOf(err) != core.Permission {
			t.Fatalf("a head removes another school's override: %v", err)
		}
		if err := f.a.SetPasswordPolicy(head(f.est.ID), "", core.ProfilePupil, &policy.Policy{MinLength: 4}); core.KindOf(err) != core.Permission {
			t.Fatalf("a head of a two-school deployment sets the deployment's policy: %v", err)
		}
		if err := f.a.SetPasswordPolicy(head(f.est.ID), f.est.ID, core.ProfilePupil, nil); err != nil {
			t.Fatal(err)
		}
		if ps := f.a.Policies(context.Background()); ps.For(f.est.ID, core.ProfilePupil) != policy.Default(core.ProfilePupil) ||
			ps.For(other.ID, core.ProfilePupil).MinLength != 10 {
			t.Fatalf("after removing one override: %+v", ps.Establishments)
		}
		es, err := f.db.FindJournal(dirtest.Ctx(), journal.Filter{Action: "auth.password_policy.set", Limit: 10})
		if err != nil || len(es) != 5 || es[0].Reason != "min length 9, 2 kinds, common refused false, personal refused false, history 0, max age never" &&
			es[1].Reason != "min length 9, 2 kinds, common refused false, personal refused false, history 0, max age never" {
			t.Fatalf("journal: %v %d %+v", err, len(es), es)
		}
	})
}
