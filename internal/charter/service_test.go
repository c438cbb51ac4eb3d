// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/charter/chartertest"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

const est = "est-1"

type world struct {
	clock    *core.FakeClock
	store    *chartertest.MemStore
	svc      *charter.Service
	refused  []journal.Entry
	policies policy.Policies
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: core.NewFakeClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)), policies: policy.Defaults()}
	w.store = chartertest.NewMemStore(w.clock)
	w.svc = charter.New(charter.Deps{Store: w.store, Clock: w.clock, Log: slog.New(slog.DiscardHandler),
		Journal: func(_ context.Context, e journal.Entry) error { w.refused = append(w.refused, e); return nil },
		Sources: []charter.Source{
			charter.PasswordSource(func(context.Context) policy.Policies { return w.policies }, nil),
			charter.PrivateSource(func(context.Context, string) []string { return []string{"confidentiel"} }),
			charter.LogSource(0, false),
			charter.MailForwardingSource(),
			charter.SourceFunc(func(context.Context, string) ([]charter.Section, error) { return nil, errors.New("boom") }),
			charter.BreakGlassSource(),
		}})
	return w
}

func as(id string, pr core.Profile) context.Context {
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: id, Login: id, Profile: pr,
		Establishments: []string{est}, Channel: core.ChannelWeb, SessionID: "s-" + id})
}

func (w *world) publish(t *testing.T, ctx context.Context, k charter.Kind, body string) *charter.Version {
	t.Helper()
	d, err := w.svc.SaveDraft(ctx, est, k, "Titre", body)
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.svc.Publish(ctx, est, k, d.Number, d.UpdatedAt)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestNoAcceptanceBeforeFirstPublication: a fresh install asks nobody to
// accept anything; the default charter is information.
func TestNoAcceptanceBeforeFirstPublication(t *testing.T) {
	w := newWorld(t)
	if p, err := w.svc.Pending(as("pupil", core.ProfilePupil)); err != nil || len(p) != 0 {
		t.Fatalf("pending before any publication: %v %v", p, err)
	}
	title, body := charter.Default(charter.KindCharte)
	if title == "" || !strings.Contains(body, "PERSONNEL") || !strings.Contains(body, "Sanctions") || strings.HasPrefix(body, "#") {
		t.Fatalf("default charter: %q\n%s", title, body)
	}
	if err := charter.ValidateBody(body); err != nil {
		t.Fatalf("the default charter does not validate: %v", err)
	}
	if _, body := charter.Default(charter.KindAdminCharte); charter.ValidateBody(body) != nil {
		t.Fatal("the default admin charter does not validate")
	}
}

// TestVersionBumpRequiresReacceptance_INF_SEC_3: publishing a new version
// makes everyone who must accept it pending again; the admin charter
// concerns technical admins only (INF-AUT-5); service accounts and system
// principals accept nothing.
// CARINE: INF-SEC-3, INF-AUT-5
func TestVersionBumpRequiresReacceptance_INF_SEC_3(t *testing.T) {
	w := newWorld(t)
	head, pupil, tech := as("head", core.ProfileHead), as("pupil", core.ProfilePupil), as("tech", core.ProfileAdmin)
	v1 := w.publish(t, head, charter.KindCharte, "Un.")
	w.publish(t, head, charter.KindAdminCharte, "Admin.")
	w.publish(t, head, charter.KindSecurityPolicy, "PSSI.")

	pend, err := w.svc.Pending(pupil)
	if err != nil || len(pend) != 1 || pend[0].Kind != charter.KindCharte {
		t.Fatalf("pupil pending: %v %+v", err, pend)
	}
	if pend, _ := w.svc.Pending(tech); len(pend) != 2 || pend[0].Kind != charter.KindCharte || pend[1].Kind != charter.KindAdminCharte {
		t.Fatalf("technical admin pending: %+v", pend)
	}
	svcAccount := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: "moodle", Service: true,
		Profile: core.ProfileStaff, Establishments: []string{est}})
	if pend, _ := w.svc.Pending(svcAccount); len(pend) != 0 {
		t.Fatalf("a service account must accept: %+v", pend)
	}
	if err := w.svc.Accept(pupil, []charter.Ref{v1.Ref()}); err != nil {
		t.Fatal(err)
	}
	if pend, _ := w.svc.Pending(pupil); len(pend) != 0 {
		t.Fatalf("pending after acceptance: %+v", pend)
	}

	v2 := w.publish(t, head, charter.KindCharte, "Deux.")
	if pend, _ := w.svc.Pending(pupil); len(pend) != 1 || pend[0].Number != 2 {
		t.Fatalf("pending after v2: %+v", pend)
	}
	if err := w.svc.Accept(pupil, []charter.Ref{v1.Ref()}); !core.IsKind(err, core.Conflict) {
		t.Fatalf("accepting the stale v1: %v", err)
	}
	if err := w.svc.Accept(pupil, []charter.Ref{{Establishment: "other", Kind: charter.KindCharte, Number: 1}}); !core.IsKind(err, core.Conflict) {
		t.Fatalf("accepting another establishment's charter: %v", err)
	}
	if err := w.svc.Accept(pupil, []charter.Ref{v2.Ref()}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveDraft(head, est, charter.KindCharte, "Titre", "Trois, brouillon."); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Published(pupil, est, charter.KindCharte, 3); !core.IsKind(err, core.NotFound) {
		t.Fatalf("a pupil read a draft: %v", err)
	}
	if old, err := w.svc.Published(pupil, est, charter.KindCharte, 1); err != nil || old.Body != "Un." {
		t.Fatalf("re-reading v1: %v %+v", err, old)
	}
	if _, err := w.svc.Published(core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: "x",
		Profile: core.ProfilePupil, Establishments: []string{"est-2"}}), est, charter.KindCharte, 1); !core.IsKind(err, core.NotFound) {
		t.Fatalf("a pupil of another establishment read v1: %v", err)
	}
	as, _ := w.svc.Acceptances(pupil)
	if len(as) != 2 || as[0].Number != 2 || as[1].Number != 1 {
		t.Fatalf("acceptances: %+v", as)
	}
}

// TestPublishedOnOtherNodeSeenWithinCacheDelay: the current versions are
// cached for CacheFor, then read again, so a version another node
// publishes is enforced within five seconds.
func TestPublishedOnOtherNodeSeenWithinCacheDelay(t *testing.T) {
	w := newWorld(t)
	other := charter.New(charter.Deps{Store: w.store, Clock: w.clock, Log: slog.New(slog.DiscardHandler)})
	pupil := as("pupil", core.ProfilePupil)
	if pend, _ := w.svc.Pending(pupil); len(pend) != 0 {
		t.Fatal("pending on an empty store")
	}
	w.publishOn(t, other)
	if pend, _ := w.svc.Pending(pupil); len(pend) != 0 {
		t.Fatal("the cache was not used")
	}
	w.clock.Advance(charter.CacheFor)
	if pend, _ := w.svc.Pending(pupil); len(pend) != 1 {
		t.Fatalf("a version published on another node is not enforced after %s", charter.CacheFor)
	}
}

func (w *world) publishOn(t *testing.T, svc *charter.Service) {
	t.Helper()
	head := as("head", core.ProfileHead)
	d, err := svc.SaveDraft(head, est, charter.KindCharte, "Titre", "Texte.")
	if err == nil {
		_, err = svc.Publish(head, est, charter.KindCharte, d.Number, time.Time{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestOnlyTheHeadPublishes_INF_AUT_5: technical admins draft; the head
// (or an operator) publishes; refusals are journaled; people of another
// establishment may not even draft.
// CARINE: INF-AUT-5
func TestOnlyTheHeadPublishes_INF_AUT_5(t *testing.T) {
	w := newWorld(t)
	tech, teacher := as("tech", core.ProfileAdmin), as("teacher", core.ProfileTeacher)
	d, err := w.svc.SaveDraft(tech, est, charter.KindCharte, "Charte", "Texte.")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Publish(tech, est, charter.KindCharte, d.Number, time.Time{}); !core.IsKind(err, core.Permission) {
		t.Fatalf("a technical admin published: %v", err)
	}
	if _, err := w.svc.SaveDraft(teacher, est, charter.KindCharte, "Charte", "Texte."); !core.IsKind(err, core.Permission) {
		t.Fatalf("a teacher drafted: %v", err)
	}
	if len(w.refused) != 2 || w.refused[0].Result != journal.Refused || w.refused[0].Action != "charter.publish" ||
		w.refused[0].ActorLogin != "" && w.refused[0].Chain != est {
		t.Fatalf("refusals journaled: %+v", w.refused)
	}
	operator := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: "op", Login: "op",
		Grants: []core.Grant{{Right: core.RightOperator}}})
	if _, err := w.svc.Publish(operator, est, charter.KindCharte, d.Number, time.Time{}); err != nil {
		t.Fatalf("an operator may publish: %v", err)
	}
	headElsewhere := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: "h2", Profile: core.ProfileHead,
		Establishments: []string{"est-2"}})
	if _, err := w.svc.SaveDraft(headElsewhere, est, charter.KindCharte, "Charte", "Texte."); !core.IsKind(err, core.Permission) {
		t.Fatalf("the head of another establishment drafted: %v", err)
	}
	if _, err := w.svc.SaveDraft(as("head", core.ProfileHead), est, charter.Kind("cgu-Bad"), "CGU", "Texte."); !core.IsKind(err, core.Invalid) {
		t.Fatalf("a malformed kind: %v", err)
	}
}

// TestStatsPerProfile counts, for the current charte, the people of each
// profile who accepted it.
func TestStatsPerProfile(t *testing.T) {
	w := newWorld(t)
	head := as("head", core.ProfileHead)
	w.store.AddPerson("p1", est, core.ProfilePupil)
	w.store.AddPerson("p2", est, core.ProfilePupil)
	w.store.AddPerson("head", est, core.ProfileHead)
	w.store.AddPerson("tech", est, core.ProfileAdmin)
	v := w.publish(t, head, charter.KindCharte, "Un.")
	if err := w.svc.Accept(as("p1", core.ProfilePupil), []charter.Ref{v.Ref()}); err != nil {
		t.Fatal(err)
	}
	cur, rows, err := w.svc.Stats(head, est, charter.KindCharte)
	if err != nil || cur.Number != 1 {
		t.Fatal(err)
	}
	if rows[0].Profile != core.ProfilePupil || rows[0].People != 2 || rows[0].Accepted != 1 || rows[0].Percent() != 50 {
		t.Fatalf("pupils: %+v", rows[0])
	}
	w.publish(t, head, charter.KindAdminCharte, "Admin.")
	_, rows, _ = w.svc.Stats(head, est, charter.KindAdminCharte)
	if len(rows) != 1 || rows[0].Profile != core.ProfileAdmin || rows[0].People != 1 {
		t.Fatalf("the admin charter's statistics count technical admins only: %+v", rows)
	}
	if _, _, err := w.svc.Stats(as("p1", core.ProfilePupil), est, charter.KindCharte); !core.IsKind(err, core.Permission) {
		t.Fatalf("a pupil read the statistics: %v", err)
	}
}

func annexText(secs []charter.Section) string {
	var b strings.Builder
	for _, s := range secs {
		b.WriteString(s.Title + "\n" + strings.Join(s.Paragraphs, "\n") + "\n" + strings.Join(s.Items, "\n") + "\n")
	}
	return b.String()
}

// TestAnnexFollowsPasswordPolicy_INF_AUT_6: the annex is computed from the
// live settings at each call: changing the pupil policy changes its text.
// CARINE: INF-AUT-6, INF-AUT-8, MCO-JAL-4, UTI-ESF-6, UTI-MSG-8
func TestAnnexFollowsPasswordPolicy_INF_AUT_6(t *testing.T) {
	w := newWorld(t)
	before := annexText(w.svc.Annex(context.Background(), est))
	for _, want := range []string{"Élèves : au moins 8 caractères", "Administrateurs techniques : au moins 14 caractères",
		"à changer tous les 365 jours", "« PERSONNEL », « PRIVÉ » ou « CONFIDENTIEL »", "conservées un an",
		"n’est pas activé dans cette version", "vers une adresse personnelle est interdit", "chef d’établissement approuve",
		"Information indisponible"} {
		if !strings.Contains(before, want) {
			t.Errorf("annex lacks %q:\n%s", want, before)
		}
	}
	w.policies.Profiles[core.ProfilePupil] = policy.Policy{MinLength: 10, MinClasses: 3, History: 2, MaxAge: 180 * policy.Day}
	after := annexText(w.svc.Annex(context.Background(), est))
	if !strings.Contains(after, "Élèves : au moins 10 caractères ; mêlant au moins 3 types") ||
		!strings.Contains(after, "les 2 derniers mots de passe") || !strings.Contains(after, "à changer tous les 180 jours") ||
		strings.Contains(after, "Élèves : au moins 8 caractères") {
		t.Fatalf("annex after the pupil policy changed:\n%s", after)
	}
	logs, _ := charter.LogSource(365*policy.Day, true).AnnexSections(context.Background(), est)
	if txt := annexText(logs); !strings.Contains(txt, "conservé un an, puis effacé") || strings.Contains(txt, "n’est pas activé") {
		t.Fatalf("log section with retention and the service on:\n%s", txt)
	}
}

func TestKinds(t *testing.T) {
	for _, ok := range []string{"charte", "charte-admin", "security-policy", "cgu-mail", "cgu-stockage-2"} {
		if _, err := charter.ParseKind(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "cgu-", "cgu-Mail", "cgu--x", "reglement", "cgu-" + strings.Repeat("a", 40), "cgu-a/b"} {
		if _, err := charter.ParseKind(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if charter.CGU("mail").Service() != "mail" || charter.KindCharte.Service() != "" {
		t.Error("Service")
	}
}
