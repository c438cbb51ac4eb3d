// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package dirtest holds test support for the directory: a store conformance
// suite that every directory.Store implementation must pass.
package dirtest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Harness is a store under test plus a way to read back its journal.
type Harness struct {
	Store   directory.Store
	Journal func(ctx context.Context, f journal.Filter) ([]*journal.Entry, error)
}

// Ctx returns a context acting as a system principal on the CLI channel.
func Ctx() context.Context {
	return core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
}

// NewEstablishment returns a valid establishment with a fresh ID for the
// 7-digit number n.
func NewEstablishment(n int, typ directory.EstablishmentType) *directory.Establishment {
	return &directory.Establishment{ID: core.NewID(), UAI: core.MakeUAI(fmt.Sprintf("%07d", n)), Type: typ,
		Name: fmt.Sprintf("Établissement %d", n), Academie: "Démo", Domains: []string{fmt.Sprintf("e%d.demo.test", n)}}
}

// NewPerson returns a valid person attached to ests.
func NewPerson(login string, prof core.Profile, ests ...string) *directory.Person {
	return &directory.Person{ID: core.NewID(), Login: login, GivenName: "Zoé", FamilyName: "Lefèvre-" + login,
		Profile: prof, State: directory.Active, Establishments: ests}
}

// StoreSuite runs the conformance suite against stores made by open. Each
// subtest gets a fresh, empty store.
func StoreSuite(t *testing.T, open func(t *testing.T) Harness) {
	t.Run("Establishments", func(t *testing.T) { testEstablishments(t, open(t)) })
	t.Run("People", func(t *testing.T) { testPeople(t, open(t)) })
	t.Run("PeopleAtomic", func(t *testing.T) { testPeopleAtomic(t, open(t)) })
	t.Run("GroupsAndMembers", func(t *testing.T) { testGroups(t, open(t)) })
	t.Run("GrantsAndZones", func(t *testing.T) { testGrantsZones(t, open(t)) })
	t.Run("ServiceScopes", func(t *testing.T) { testServiceScopes(t, open(t)) })
	t.Run("ServiceAccountCreate", func(t *testing.T) { testServiceAccountCreate(t, open(t)) })
}

// testServiceScopes: a service account's LDAP scope round-trips, is
// replaced, cleared by the zero scope, and is journaled each time.
func testServiceScopes(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999061, directory.Lycee)
	must(t, h.Store.CreateEstablishment(ctx, e))
	svc := NewPerson("svc-moodle", core.ProfileStaff, e.ID)
	svc.Service = true
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: svc}}))
	sc := directory.ServiceScope{Attrs: []string{"uid", "mail"}, Profiles: []core.Profile{core.ProfilePupil, core.ProfileTeacher}}
	must(t, h.Store.SetServiceScope(ctx, svc, sc))
	sc.Attrs = []string{"uid", "mail", "entpersonjointure"}
	must(t, h.Store.SetServiceScope(ctx, svc, sc))
	got, err := h.Store.ServiceScopes(ctx)
	must(t, err)
	if g := got[svc.ID]; len(got) != 1 || !slices.Equal(g.Attrs, sc.Attrs) || !slices.Equal(g.Profiles, sc.Profiles) {
		t.Fatalf("scopes: %+v", got)
	}
	must(t, h.Store.SetServiceScope(ctx, svc, directory.ServiceScope{}))
	if got, err = h.Store.ServiceScopes(ctx); err != nil || len(got) != 0 {
		t.Fatalf("after the zero scope: %+v %v", got, err)
	}
	es, err := h.Journal(ctx, journal.Filter{Action: "directory.service.scope", Limit: 10})
	must(t, err)
	if len(es) != 3 || es[0].TargetID != svc.ID || es[0].Chain != e.ID || es[2].Reason != "default scope" ||
		es[1].Reason != "attributes: uid,mail,entpersonjointure; profiles: pupil,teacher" {
		t.Fatalf("journal: %d entries %+v", len(es), es)
	}
}

// testServiceAccountCreate: a service account created with its scope has
// it from the first instant, with both journal entries; a scope given to a
// person who is not a service account is refused and nothing is written;
// the Service filter lists service accounts only.
// CARINE: INF-ANN-6, INF-ANN-4
func testServiceAccountCreate(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999062, directory.College)
	must(t, h.Store.CreateEstablishment(ctx, e))
	svc := NewPerson("svc-nextcloud", core.ProfileStaff, e.ID)
	svc.Service = true
	sc := directory.ServiceScope{Attrs: []string{"uid", "mail"}, Profiles: []core.Profile{core.ProfileTeacher}}
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: svc, PasswordHash: "x", Scope: &sc},
		{Person: NewPerson("prof.x", core.ProfileTeacher, e.ID)}}))
	got, err := h.Store.ServiceScopes(ctx)
	must(t, err)
	if g := got[svc.ID]; len(got) != 1 || !slices.Equal(g.Attrs, sc.Attrs) || !slices.Equal(g.Profiles, sc.Profiles) {
		t.Fatalf("scopes after creation: %+v", got)
	}
	for _, action := range []string{"directory.person.create", "directory.service.scope"} {
		es, err := h.Journal(ctx, journal.Filter{Action: action, Target: svc.ID, Limit: 10})
		must(t, err)
		if len(es) != 1 {
			t.Fatalf("%s: %d entries", action, len(es))
		}
	}
	bad := NewPerson("prof.y", core.ProfileTeacher, e.ID)
	wantKind(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: bad, Scope: &sc}}), core.Invalid)
	if _, err := h.Store.FindPersonByLogin(ctx, "prof.y"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("a refused creation left the person: %v", err)
	}
	ps, n, err := h.Store.FindPeople(ctx, directory.PersonFilter{Establishments: []string{e.ID}, Service: true})
	must(t, err)
	if n != 1 || len(ps) != 1 || ps[0].ID != svc.ID || !ps[0].Service || ps[0].MustChangePassword {
		t.Fatalf("service accounts: %d %+v", n, ps)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, k core.Kind) {
	t.Helper()
	if core.KindOf(err) != k || err == nil {
		t.Fatalf("want error of kind %s, got %v", k, err)
	}
}

func testEstablishments(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999001, directory.College)
	must(t, e.Validate())
	must(t, h.Store.CreateEstablishment(ctx, e))
	dup := NewEstablishment(999001, directory.Lycee)
	wantKind(t, h.Store.CreateEstablishment(ctx, dup), core.Exists)
	got, err := h.Store.FindEstablishment(ctx, e.UAI)
	must(t, err)
	if got.ID != e.ID || got.Name != e.Name || !slices.Equal(got.Domains, e.Domains) || got.Type != directory.College {
		t.Fatalf("round trip: got %+v want %+v", got, e)
	}
	byID, err := h.Store.FindEstablishment(ctx, e.ID)
	must(t, err)
	if byID.UAI != e.UAI {
		t.Fatalf("find by id: %+v", byID)
	}
	_, err = h.Store.FindEstablishment(ctx, "0000000A")
	wantKind(t, err, core.NotFound)
	e2 := NewEstablishment(999002, directory.Ecole)
	must(t, h.Store.CreateEstablishment(ctx, e2))
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: NewPerson("p1", core.ProfilePupil, e.ID)},
		{Person: NewPerson("t1", core.ProfileTeacher, e.ID, e2.ID)}}))
	must(t, h.Store.CreateGroups(ctx, []*directory.Group{{ID: core.NewID(), Establishment: e.ID, Code: "6A",
		Name: "6e A", Kind: directory.Class, SchoolYear: 2026, Level: "6e"}}))
	sums, err := h.Store.FindEstablishments(ctx, nil, 2026)
	must(t, err)
	if len(sums) != 2 || sums[0].UAI != e.UAI || sums[0].People != 2 || sums[0].Pupils != 1 || sums[0].Classes != 1 ||
		sums[1].People != 1 || sums[1].Pupils != 0 {
		t.Fatalf("summaries: %+v %+v", sums[0], sums[len(sums)-1])
	}
	only, err := h.Store.FindEstablishments(ctx, []string{e2.ID}, 2026)
	must(t, err)
	if len(only) != 1 || only[0].ID != e2.ID {
		t.Fatalf("restricted list: %+v", only)
	}
	entries, err := h.Journal(ctx, journal.Filter{Action: "directory.establishment.create"})
	must(t, err)
	if len(entries) != 2 || entries[0].TargetName != e.UAI || entries[0].Chain != e.ID || entries[0].Channel != "cli" {
		t.Fatalf("journal: %+v", entries)
	}
}

func testPeople(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999003, directory.Lycee)
	must(t, h.Store.CreateEstablishment(ctx, e))
	p := NewPerson("zoe.lefevre", core.ProfilePupil, e.ID)
	p.Mail = "zoe.lefevre@eleves.e.demo.test"
	p.ExternalIDs = map[string]string{"ine": "123456789AB"}
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: "$argon2id$fake"}}))
	got, err := h.Store.FindPersonByLogin(ctx, "ZOE.LEFEVRE")
	must(t, err)
	if got.ID != p.ID || got.GivenName != "Zoé" || got.Mail != p.Mail || got.ExternalIDs["ine"] != "123456789AB" ||
		!slices.Equal(got.Establishments, []string{e.ID}) || got.State != directory.Active {
		t.Fatalf("round trip: %+v", got)
	}
	dup := NewPerson("zoe.lefevre", core.ProfileTeacher, e.ID)
	wantKind(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: dup}}), core.Exists)
	_, err = h.Store.FindPerson(ctx, core.NewID())
	wantKind(t, err, core.NotFound)
	var people []directory.NewPerson
	for i := range 30 {
		people = append(people, directory.NewPerson{Person: NewPerson(fmt.Sprintf("eleve%02d", i), core.ProfilePupil, e.ID)})
	}
	people = append(people, directory.NewPerson{Person: NewPerson("prof.x", core.ProfileTeacher, e.ID)})
	must(t, h.Store.CreatePeople(ctx, people))
	page, total, err := h.Store.FindPeople(ctx, directory.PersonFilter{Establishments: []string{e.ID},
		Profile: "pupil", Sort: "login", Limit: 10, Offset: 10})
	must(t, err)
	if total != 31 || len(page) != 10 || page[0].Login != "eleve10" {
		t.Fatalf("paging: total %d, %d results, first %q", total, len(page), page[0].Login)
	}
	all, _, err := h.Store.FindPeople(ctx, directory.PersonFilter{Limit: 100})
	must(t, err)
	uids := map[int64]bool{}
	for _, p := range all {
		if p.UIDNumber <= 10000 || uids[p.UIDNumber] {
			t.Fatalf("uidNumber %d of %s is not a fresh POSIX id", p.UIDNumber, p.Login)
		}
		uids[p.UIDNumber] = true
	}
	found, total, err := h.Store.FindPeople(ctx, directory.PersonFilter{Query: "PROF"})
	must(t, err)
	if total != 1 || found[0].Login != "prof.x" {
		t.Fatalf("query: %d %+v", total, found)
	}
	_, total, err = h.Store.FindPeople(ctx, directory.PersonFilter{Query: "el%"})
	must(t, err)
	if total != 0 {
		t.Fatalf("LIKE wildcard not escaped: %d results", total)
	}
	st := directory.Disabled
	name := "Zoé-Marie"
	upd, err := h.Store.UpdatePerson(ctx, p.ID, directory.PersonUpdate{State: &st, GivenName: &name,
		ExternalIDs: map[string]string{"ine": "", "siecle_eleve_id": "4242"}})
	must(t, err)
	if upd.State != directory.Disabled || upd.GivenName != name || upd.ExternalIDs["ine"] != "" || upd.ExternalIDs["siecle_eleve_id"] != "4242" {
		t.Fatalf("update: %+v", upd)
	}
	_, err = h.Store.UpdatePerson(ctx, core.NewID(), directory.PersonUpdate{State: &st})
	wantKind(t, err, core.NotFound)
	entries, err := h.Journal(ctx, journal.Filter{Action: "directory.person.update", Target: p.ID})
	must(t, err)
	if len(entries) != 1 || !slices.Contains(entries[0].Attributes, "state") || !slices.Contains(entries[0].Attributes, "givenName") ||
		entries[0].TargetName != "zoe.lefevre" || entries[0].Chain != e.ID {
		t.Fatalf("journal of update: %+v", entries)
	}
}

// testPeopleAtomic checks that a batch with one bad person writes nothing.
func testPeopleAtomic(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999004, directory.Ecole)
	must(t, h.Store.CreateEstablishment(ctx, e))
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: NewPerson("taken", core.ProfileStaff, e.ID)}}))
	batch := []directory.NewPerson{{Person: NewPerson("new.one", core.ProfilePupil, e.ID)},
		{Person: NewPerson("taken", core.ProfilePupil, e.ID)}}
	wantKind(t, h.Store.CreatePeople(ctx, batch), core.Exists)
	_, err := h.Store.FindPersonByLogin(ctx, "new.one")
	wantKind(t, err, core.NotFound)
	entries, err := h.Journal(ctx, journal.Filter{Action: "directory.person.create"})
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("a rolled-back batch left %d journal entries", len(entries)-1)
	}
}

func testGroups(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999005, directory.College)
	must(t, h.Store.CreateEstablishment(ctx, e))
	pupil, teacher := NewPerson("el", core.ProfilePupil, e.ID), NewPerson("pr", core.ProfileTeacher, e.ID)
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: pupil}, {Person: teacher}}))
	g := &directory.Group{ID: core.NewID(), Establishment: e.ID, Code: "5B", Kind: directory.Class, SchoolYear: 2026}
	must(t, g.Validate())
	must(t, h.Store.CreateGroups(ctx, []*directory.Group{g}))
	wantKind(t, h.Store.CreateGroups(ctx, []*directory.Group{{ID: core.NewID(), Establishment: e.ID, Code: "5B",
		Name: "5B", Kind: directory.Class, SchoolYear: 2026}}), core.Exists)
	must(t, h.Store.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: pupil.ID, Role: directory.RoleMember},
		{GroupID: g.ID, PersonID: teacher.ID, Role: directory.RoleOwner}}))
	must(t, h.Store.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: pupil.ID, Role: directory.RoleMember}}))
	gs, err := h.Store.FindGroups(ctx, directory.GroupFilter{Establishment: e.ID, Kind: "class"})
	must(t, err)
	if len(gs) != 1 || gs[0].Members != 1 || gs[0].Owners != 1 || gs[0].Name != "5B" || gs[0].GIDNumber <= 20000 {
		t.Fatalf("groups: %+v", gs)
	}
	members, total, err := h.Store.FindPeople(ctx, directory.PersonFilter{Group: g.ID})
	must(t, err)
	if total != 2 || len(members) != 2 {
		t.Fatalf("group filter: %d", total)
	}
	pg, err := h.Store.FindMemberships(ctx, teacher.ID)
	must(t, err)
	if len(pg) != 1 || pg[0].Role != directory.RoleOwner || pg[0].Group.Code != "5B" {
		t.Fatalf("memberships: %+v", pg)
	}
	must(t, h.Store.RemoveMember(ctx, directory.Membership{GroupID: g.ID, PersonID: pupil.ID, Role: directory.RoleMember}))
	wantKind(t, h.Store.RemoveMember(ctx, directory.Membership{GroupID: g.ID, PersonID: pupil.ID, Role: directory.RoleMember}), core.NotFound)
	entries, err := h.Journal(ctx, journal.Filter{Action: "directory.group.member."})
	must(t, err)
	if len(entries) != 3 || entries[2].Action != "directory.group.member.remove" || entries[0].Attributes[0] != "member:el" {
		t.Fatalf("membership journal (idempotent add must not journal twice): %+v", entries)
	}
}

func testGrantsZones(t *testing.T, h Harness) {
	ctx := Ctx()
	e := NewEstablishment(999006, directory.Lycee)
	must(t, h.Store.CreateEstablishment(ctx, e))
	staff := NewPerson("cpe", core.ProfileStaff, e.ID)
	must(t, h.Store.CreatePeople(ctx, []directory.NewPerson{{Person: staff}}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	g := &directory.Grant{ID: core.NewID(), Establishment: e.ID, PersonID: staff.ID, Right: core.RightSignagePublish,
		GrantedBy: "head", From: now, Until: now.Add(24 * time.Hour)}
	must(t, h.Store.CreateGrant(ctx, g))
	gs, err := h.Store.FindGrants(ctx, staff.ID)
	must(t, err)
	if len(gs) != 1 || !gs[0].InForce(now.Add(time.Hour)) || gs[0].InForce(now.Add(25*time.Hour)) || !gs[0].Until.Equal(g.Until) {
		t.Fatalf("grants: %+v", gs)
	}
	must(t, h.Store.RevokeGrant(ctx, g.ID))
	wantKind(t, h.Store.RevokeGrant(ctx, g.ID), core.NotFound)
	gs, err = h.Store.FindGrants(ctx, staff.ID)
	must(t, err)
	if gs[0].InForce(now.Add(time.Hour)) {
		t.Fatal("a revoked grant is still in force")
	}
	z := &directory.Zone{ID: core.NewID(), Establishment: e.ID, Name: "admin",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")}}
	must(t, h.Store.PutZone(ctx, z))
	z2 := &directory.Zone{ID: core.NewID(), Establishment: e.ID, Name: "admin",
		CIDRs: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/24"), netip.MustParsePrefix("fd00::/64")}}
	must(t, h.Store.PutZone(ctx, z2))
	zs, err := h.Store.FindZones(ctx, e.ID)
	must(t, err)
	if len(zs) != 1 || len(zs[0].CIDRs) != 2 || zs[0].CIDRs[0].String() != "10.2.0.0/24" {
		t.Fatalf("zones: %+v", zs)
	}
	entries, err := h.Journal(ctx, journal.Filter{Chain: e.ID, Action: "directory."})
	must(t, err)
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	want := []string{"directory.establishment.create", "directory.person.create", "directory.grant.create",
		"directory.grant.revoke", "directory.zone.put", "directory.zone.put"}
	if !slices.Equal(actions, want) {
		t.Fatalf("journal actions: %v, want %v", actions, want)
	}
}
