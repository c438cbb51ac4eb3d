// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// fakeRP stands for the browser's authenticator and the WebAuthn library:
// an answer verifies when it repeats the ceremony's state (the signed
// challenge), followed at a login by the key's ID.
type fakeRP struct {
	n      int
	synced bool
}

func (f *fakeRP) BeginRegistration(u auth.PasskeyUser, _ []*auth.Passkey) ([]byte, []byte, error) {
	f.n++
	state := fmt.Sprintf("reg-%d-%s", f.n, u.ID)
	return []byte(`{"publicKey":{"challenge":"` + state + `"}}`), []byte(state), nil
}

func (f *fakeRP) FinishRegistration(_ auth.PasskeyUser, state, response []byte) (*auth.PasskeyProof, error) {
	if string(response) != string(state) {
		return nil, core.E("fakeRP", core.Invalid, "key not verified")
	}
	return &auth.PasskeyProof{ID: "cred-" + string(state), Data: []byte(`{"signCount":0}`), Synced: f.synced}, nil
}

func (f *fakeRP) BeginLogin(_ auth.PasskeyUser, keys []*auth.Passkey) ([]byte, []byte, error) {
	f.n++
	state := fmt.Sprintf("login-%d", f.n)
	return []byte(`{"publicKey":{"challenge":"` + state + `"}}`), []byte(state), nil
}

func (f *fakeRP) FinishLogin(_ auth.PasskeyUser, keys []*auth.Passkey, state, response []byte) (*auth.PasskeyProof, error) {
	id, ok := strings.CutPrefix(string(response), string(state)+":")
	if !ok || !slices.ContainsFunc(keys, func(k *auth.Passkey) bool { return k.ID == id }) {
		return nil, core.E("fakeRP", core.Invalid, "signature not verified")
	}
	return &auth.PasskeyProof{ID: id, Data: []byte(`{"signCount":` + fmt.Sprint(f.n) + `}`), Synced: f.synced}, nil
}

// passkeyWorld is a person who logs in with a password, on one back end.
type passkeyWorld struct {
	t      *testing.T
	db     *store.DB
	clock  *core.FakeClock
	auth   *auth.Service
	person *directory.Person
}

func newPasskeyWorld(t *testing.T, open func(testing.TB) *store.DB) *passkeyWorld {
	t.Helper()
	w := &passkeyWorld{t: t, clock: core.NewFakeClock(time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC))}
	w.db, _ = store.Reopen(open(t), store.Config{Clock: w.clock})
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}}
	cfg.Defaults()
	w.auth = auth.New(cfg, auth.Deps{Store: w.db, Clock: w.clock, Log: slog.New(slog.DiscardHandler)})
	ctx := dirtest.Ctx()
	est := dirtest.NewEstablishment(999401, directory.College)
	if err := w.db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	w.person = dirtest.NewPerson("sam.tech", core.ProfileAdmin, est.ID)
	if err := w.db.CreatePeople(ctx, []directory.NewPerson{{Person: w.person, PasswordHash: w.auth.Hash("Un-Mot-De-Passe")}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// login opens a password session and returns its context and cookie.
func (w *passkeyWorld) login() (context.Context, string) {
	w.t.Helper()
	cookie, _, err := w.auth.Login(context.Background(), auth.Attempt{Login: "sam.tech", Password: "Un-Mot-De-Passe",
		Channel: core.ChannelWeb, Source: "192.0.2.7"})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.session(cookie), cookie
}

// session returns the context of a request carrying cookie.
func (w *passkeyWorld) session(cookie string) context.Context {
	w.t.Helper()
	p, err := w.auth.SessionPrincipal(context.Background(), cookie)
	if err != nil {
		w.t.Fatal(err)
	}
	p.Source = "192.0.2.7"
	return core.ContextWithPrincipal(context.Background(), p)
}

func (w *passkeyWorld) journal(action string) []*journal.Entry {
	w.t.Helper()
	es, err := w.db.FindJournal(dirtest.Ctx(), journal.Filter{Action: action})
	if err != nil {
		w.t.Fatal(err)
	}
	return es
}

// CARINE: INF-AUT-2, INF-AUT-12 — a passkey as a second factor, on both
// back ends: adding one makes the session strong (pwd + hwk) and is
// journaled with the method; a ceremony answers once and expires after
// five minutes; a key that does not verify is refused, journaled and
// throttled with wrong codes; a password-only session can neither add a
// second key nor remove one; a synced passkey counts as a software key
// (swk). Only the public-key record is stored.
func TestPasskeySecondFactor_INF_AUT_2(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		w := newPasskeyWorld(t, open)
		rp := &fakeRP{}
		ctx, cookie := w.login()
		add := func(ctx context.Context, answer func(options string) string) error {
			t.Helper()
			opts, err := w.auth.BeginPasskeyRegistration(ctx, rp)
			if err != nil {
				return err
			}
			state := strings.TrimSuffix(strings.TrimPrefix(string(opts), `{"publicKey":{"challenge":"`), `"}}`)
			return w.auth.FinishPasskeyRegistration(ctx, rp, "Clé bleue", strings.NewReader(answer(state)))
		}
		echo := func(s string) string { return s }

		// A wrong answer is refused and journaled; its challenge is spent.
		opts, err := w.auth.BeginPasskeyRegistration(ctx, rp)
		if err != nil {
			t.Fatal(err)
		}
		state := strings.TrimSuffix(strings.TrimPrefix(string(opts), `{"publicKey":{"challenge":"`), `"}}`)
		if err := w.auth.FinishPasskeyRegistration(ctx, rp, "x", strings.NewReader("forged")); core.KindOf(err) != core.Invalid {
			t.Fatalf("a forged answer: %v", err)
		}
		if err := w.auth.FinishPasskeyRegistration(ctx, rp, "x", strings.NewReader(state)); core.KindOf(err) != core.Invalid {
			t.Fatalf("an answer to a spent challenge: %v", err)
		}
		if es := w.journal("auth.passkey.enrol"); len(es) != 1 || es[0].Result != journal.Refused || es[0].Reason != "key not verified" {
			t.Fatalf("refused enrolment journal: %+v", es)
		}
		// A ceremony lasts five minutes.
		if err := add(ctx, func(s string) string { w.clock.Advance(auth.PasskeyCeremonyTTL + time.Second); return s }); core.KindOf(err) != core.Invalid {
			t.Fatalf("an answer after the ceremony expired: %v", err)
		}
		if err := w.auth.FinishPasskeyRegistration(ctx, rp, "  ", strings.NewReader("")); core.KindOf(err) != core.Invalid {
			t.Fatalf("a blank key name: %v", err)
		}

		if err := add(ctx, echo); err != nil {
			t.Fatalf("adding a key: %v", err)
		}
		p := core.PrincipalFromContext(w.session(cookie))
		if p.AuthLevel != 2 || !slices.Equal(p.AuthMethods, []string{"pwd", "hwk"}) {
			t.Fatalf("session after adding a key: level %d, methods %v", p.AuthLevel, p.AuthMethods)
		}
		keys, err := w.auth.Passkeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].Name != "Clé bleue" || keys[0].PersonID != w.person.ID ||
			!keys[0].LastUsed.IsZero() || string(keys[0].Data) != `{"signCount":0}` {
			t.Fatalf("keys: %v %+v", err, keys)
		}
		es := w.journal("auth.passkey.enrol")
		if len(es) != 2 || es[1].Result != journal.Done || !slices.Equal(es[1].Attributes, []string{"method:hwk"}) ||
			es[1].TargetID != w.person.ID {
			t.Fatalf("enrolment journal: %+v", es[len(es)-1])
		}

		// A new password-only session may not add a key or remove one.
		weak, weakCookie := w.login()
		if err := add(weak, echo); core.KindOf(err) != core.Permission {
			t.Fatalf("adding a key from a password-only session: %v", err)
		}
		if err := w.auth.RemovePasskey(weak, keys[0].ID); core.KindOf(err) != core.Permission {
			t.Fatalf("removing a key from a password-only session: %v", err)
		}
		if es := w.journal("auth.passkey.remove"); len(es) != 1 || es[0].Result != journal.Refused {
			t.Fatalf("refused removal journal: %+v", es)
		}

		// Step-up: wrong answers are refused, journaled and throttled.
		stepUp := func(answer func(state string) string) error {
			t.Helper()
			opts, err := w.auth.BeginPasskeyStepUp(weak, rp)
			if err != nil {
				return err
			}
			state := strings.TrimSuffix(strings.TrimPrefix(string(opts), `{"publicKey":{"challenge":"`), `"}}`)
			return w.auth.FinishPasskeyStepUp(weak, rp, strings.NewReader(answer(state)))
		}
		for i := range 5 {
			if err := stepUp(func(s string) string { return s + ":cred-unknown" }); core.KindOf(err) != core.Invalid {
				t.Fatalf("wrong key %d: %v", i+1, err)
			}
		}
		if err := stepUp(func(s string) string { return s + ":" + keys[0].ID }); core.KindOf(err) != core.TooMany {
			t.Fatalf("after five failures: %v", err)
		}
		refused := 0
		for _, e := range w.journal("auth.stepup") {
			if e.Result == journal.Refused && slices.Equal(e.Attributes, []string{"method:hwk"}) {
				refused++
			}
		}
		if refused != 6 {
			t.Fatalf("%d refused step-ups journaled, want 6 (5 wrong keys and 1 throttled)", refused)
		}
		w.clock.Advance(31 * time.Second)
		if err := w.auth.FinishPasskeyStepUp(weak, rp, strings.NewReader("no ceremony")); core.KindOf(err) != core.Invalid {
			t.Fatalf("a finish without a begin: %v", err)
		}
		w.clock.Advance(time.Minute)
		if err := stepUp(func(s string) string { return s + ":" + keys[0].ID }); err != nil {
			t.Fatalf("the right key: %v", err)
		}
		p = core.PrincipalFromContext(w.session(weakCookie))
		if p.AuthLevel != 2 || !slices.Equal(p.AuthMethods, []string{"pwd", "hwk"}) {
			t.Fatalf("session after the key: level %d, methods %v", p.AuthLevel, p.AuthMethods)
		}
		keys, _ = w.auth.Passkeys(ctx)
		if !keys[0].LastUsed.Equal(w.clock.Now()) || string(keys[0].Data) == `{"signCount":0}` {
			t.Fatalf("key after use: %+v", keys[0])
		}
		es = w.journal("auth.stepup")
		if last := es[len(es)-1]; last.Result != journal.Done || !slices.Equal(last.Attributes, []string{"method:hwk"}) {
			t.Fatalf("step-up journal: %+v", last)
		}

		// A synced passkey is a software-secured key.
		rp.synced = true
		strong := w.session(weakCookie)
		if err := add(strong, echo); err != nil {
			t.Fatalf("adding a second key from a strong session: %v", err)
		}
		if es := w.journal("auth.passkey.enrol"); !slices.Equal(es[len(es)-1].Attributes, []string{"method:swk"}) {
			t.Fatalf("synced key enrolment: %+v", es[len(es)-1])
		}
		if p := core.PrincipalFromContext(w.session(weakCookie)); !slices.Equal(p.AuthMethods, []string{"pwd", "swk"}) {
			t.Fatalf("methods after a synced key: %v", p.AuthMethods)
		}

		// Removing: own keys only, from a strong session.
		if err := w.auth.RemovePasskey(strong, keys[0].ID); err != nil {
			t.Fatalf("removing a key: %v", err)
		}
		if err := w.auth.RemovePasskey(strong, keys[0].ID); core.KindOf(err) != core.NotFound {
			t.Fatalf("removing it again: %v", err)
		}
		if keys, _ := w.auth.Passkeys(ctx); len(keys) != 1 || keys[0].Name != "Clé bleue" {
			t.Fatalf("keys after removal: %+v", keys)
		}
		if es := w.journal("auth.passkey.remove"); len(es) != 2 || es[1].Result != journal.Done {
			t.Fatalf("removal journal: %+v", es)
		}
	})
}

// TestPasskeyStore checks the store methods themselves on both back ends:
// a credential ID is registered once; a key belongs to its person; a
// ceremony is replaced by the next of its kind, answers once, and goes
// with its session.
func TestPasskeyStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		w := newPasskeyWorld(t, open)
		ctx, _ := w.login()
		p := core.PrincipalFromContext(ctx)
		other := dirtest.NewPerson("lou.autre", core.ProfileTeacher, w.person.Establishments[0])
		if err := w.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: other}}); err != nil {
			t.Fatal(err)
		}
		e := journal.Entry{Action: "auth.passkey.enrol", TargetType: "person", TargetID: p.PersonID}
		k := &auth.Passkey{ID: "AAEC", PersonID: p.PersonID, Name: "Clé", Data: []byte(`{"rpId":"localhost"}`),
			CreatedAt: w.clock.Now()}
		if err := w.db.AddPasskey(ctx, k, auth.SessionUpgrade{}, e); err != nil {
			t.Fatal(err)
		}
		dup := *k
		dup.PersonID = other.ID
		if err := w.db.AddPasskey(ctx, &dup, auth.SessionUpgrade{}, e); core.KindOf(err) != core.Exists {
			t.Fatalf("a credential ID registered twice: %v", err)
		}
		if err := w.db.UsePasskey(ctx, other.ID, k.ID, []byte("{}"), auth.SessionUpgrade{}, e); core.KindOf(err) != core.NotFound {
			t.Fatalf("using another person's key: %v", err)
		}
		if err := w.db.RemovePasskey(ctx, other.ID, k.ID, e); core.KindOf(err) != core.NotFound {
			t.Fatalf("removing another person's key: %v", err)
		}
		if keys, err := w.db.Passkeys(ctx, other.ID); err != nil || len(keys) != 0 {
			t.Fatalf("the other person's keys: %v %v", keys, err)
		}

		put := func(kind, state string) {
			t.Helper()
			if err := w.db.PutPasskeyCeremony(ctx, p.SessionID, kind, []byte(state), w.clock.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		put("register", "first")
		put("register", "second")
		put("stepup", "third")
		if s, err := w.db.TakePasskeyCeremony(ctx, p.SessionID, "register"); err != nil || string(s) != "second" {
			t.Fatalf("take: %q %v", s, err)
		}
		if _, err := w.db.TakePasskeyCeremony(ctx, p.SessionID, "register"); core.KindOf(err) != core.NotFound {
			t.Fatalf("take twice: %v", err)
		}
		if err := w.auth.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.TakePasskeyCeremony(ctx, p.SessionID, "stepup"); core.KindOf(err) != core.NotFound {
			t.Fatalf("a ceremony outlived its session: %v", err)
		}
		if err := w.db.PutPasskeyCeremony(ctx, p.SessionID, "stepup", []byte("x"), w.clock.Now().Add(time.Minute)); err == nil {
			t.Fatal("a ceremony was kept for a session that no longer exists")
		}
	})
}
