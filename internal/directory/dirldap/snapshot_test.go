// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap_test

import (
	"slices"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
)

func sample() *dirldap.Data {
	clg := &directory.Establishment{ID: "e1", UAI: "0999001W", Type: directory.College, Name: "Collège Jean Moulin"}
	lyc := &directory.Establishment{ID: "e2", UAI: "0999002X", Type: directory.Lycee, Name: "Lycée Marie Curie"}
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	zoe := &directory.Person{ID: "p1", Login: "zoe.martin", GivenName: "Zoé", FamilyName: "Martin", DisplayName: "Zoé Martin",
		Profile: core.ProfilePupil, State: directory.Active, Establishments: []string{"e1"}, UIDNumber: 10001,
		ExternalIDs: map[string]string{"ine": "070123456AB", "siecle_eleve_id": "4242"}, CreatedAt: at, UpdatedAt: at}
	prof := &directory.Person{ID: "p2", Login: "paul.durand", GivenName: "Paul", FamilyName: "Durand", DisplayName: "Paul Durand",
		Profile: core.ProfileTeacher, State: directory.Active, Establishments: []string{"e1"}, UIDNumber: 10002, CreatedAt: at, UpdatedAt: at}
	other := &directory.Person{ID: "p3", Login: "ana.lopez", GivenName: "Ana", FamilyName: "Lopez", DisplayName: "Ana Lopez",
		Profile: core.ProfilePupil, State: directory.Active, Establishments: []string{"e2"}, UIDNumber: 10003, CreatedAt: at, UpdatedAt: at}
	class := &directory.Group{ID: "g1", Establishment: "e1", Code: "4B", Name: "4e B", Kind: directory.Class, SchoolYear: 2026, GIDNumber: 20001}
	return &dirldap.Data{SchoolYear: 2026, Establishments: []*directory.Establishment{clg, lyc},
		People: []*directory.Person{zoe, prof, other}, Groups: []*directory.Group{class},
		Memberships: []directory.Membership{{GroupID: "g1", PersonID: "p1", Role: directory.RoleMember},
			{GroupID: "g1", PersonID: "p2", Role: directory.RoleOwner}}}
}

func TestSnapshotTreeAndSchema(t *testing.T) {
	s := dirldap.Build("dc=preau", sample())
	zoe := s.Lookup("UID=zoe.martin, OU=people, ou=0999001W, DC=preau")
	if zoe == nil {
		t.Fatal("person not found by DN (case and spaces must not matter)")
	}
	want := map[string][]string{
		"uidNumber":              {"10001"},
		"gidNumber":              {"10001"},
		"ENTPersonProfils":       {"National_ELV"},
		"ENTEleveClasses":        {"ou=0999001W,dc=preau$4B"},
		"memberOf":               {"cn=4B,ou=groups,ou=0999001W,dc=preau"},
		"ENTEleveINE":            {"070123456AB"},
		"ENTPersonStructRattach": {"ou=0999001W,dc=preau"},
	}
	for attr, vals := range want {
		if got := zoe.Get(attr); !slices.Equal(got, vals) {
			t.Errorf("%s = %v, want %v", attr, got, vals)
		}
	}
	if !slices.Contains(zoe.Get("objectClass"), "ENTEleve") || !slices.Contains(zoe.Get("objectClass"), "posixAccount") {
		t.Errorf("objectClass %v", zoe.Get("objectClass"))
	}
	if zoe.Get("userPassword") != nil {
		t.Fatal("userPassword must never be in an entry")
	}
	g := s.Lookup("cn=4B,ou=groups,ou=0999001W,dc=preau")
	if g == nil || !slices.Equal(g.Get("member"), []string{zoe.DN}) || !slices.Equal(g.Get("memberUid"), []string{"zoe.martin"}) ||
		len(g.Get("owner")) != 1 || !slices.Contains(g.Get("objectClass"), "ENTClasse") {
		t.Fatalf("class entry: %+v", g)
	}
	prof := s.PersonByLogin("PAUL.DURAND")
	if prof == nil || !slices.Equal(prof.Get("ENTAuxEnsClasses"), []string{"ou=0999001W,dc=preau$4B"}) {
		t.Fatalf("teacher entry: %+v", prof)
	}
	if s.Lookup("ou=0999001W,dc=preau").Get("ENTStructureUAI")[0] != "0999001W" {
		t.Fatal("establishment entry")
	}
	c := s.Candidates([]dirldap.Term{{Attr: "objectClass", Value: "person"}, {Attr: "UID", Value: "Zoe.Martin"}})
	if len(c) != 1 || c[0].DN != zoe.DN {
		t.Fatalf("candidates by uid: %d", len(c))
	}
	if len(s.Candidates(nil)) != s.Len() {
		t.Fatal("no term must give every entry")
	}
}

// CARINE: INF-ANN-2 (results filtered by the caller's rights), INF-ANN-8.
func TestVisibilityAndAttributeAllowList(t *testing.T) {
	s := dirldap.Build("dc=preau", sample())
	zoe, ana := s.PersonByLogin("zoe.martin"), s.PersonByLogin("ana.lopez")
	pupil := core.Principal{PersonID: "p1", Login: "zoe.martin", Profile: core.ProfilePupil, Establishments: []string{"e1"}}
	teacher := core.Principal{PersonID: "p2", Login: "paul.durand", Profile: core.ProfileTeacher, Establishments: []string{"e1"}}
	admin := core.Principal{PersonID: "p9", Login: "admin", Profile: core.ProfileAdmin, Establishments: []string{"e1"}}
	if dirldap.Visible(teacher, ana) || !dirldap.Visible(teacher, zoe) || dirldap.Visible(core.Principal{}, zoe) {
		t.Fatal("read scope must be the principal's establishments, and nothing for anonymous")
	}
	if v := dirldap.View(teacher, zoe); v.Get("ENTEleveINE") != nil || v.Get("uid") == nil {
		t.Fatalf("teacher sees the INE: %+v", v.Attrs)
	}
	if v := dirldap.View(pupil, s.PersonByLogin("paul.durand")); v.Get("ENTAuxEnsClasses") != nil || v.Get("cn") == nil {
		t.Fatalf("pupil view of a teacher: %+v", v.Attrs)
	}
	if v := dirldap.View(pupil, zoe); v.Get("ENTEleveINE") == nil {
		t.Fatal("a pupil reads their own entry whole")
	}
	if v := dirldap.View(admin, zoe); v != zoe {
		t.Fatal("admins read whole entries")
	}
	// CARINE: INF-ANN-6 — a service account (an application) reads its allow-list only.
	moodle := core.Principal{PersonID: "s1", Login: "svc-moodle", Profile: core.ProfileAdmin, Establishments: []string{"e1"},
		Service: true}
	if v := dirldap.View(moodle, zoe); v.Get("ENTEleveINE") != nil || v.Get("ENTPersonJointure") != nil ||
		v.Get("uid") == nil || v.Get("ENTEleveClasses") == nil {
		t.Fatalf("service view: %+v", v.Attrs)
	}
	if dirldap.Visible(moodle, ana) {
		t.Fatal("a service account of one establishment reads another")
	}
}

// CARINE: INF-ANN-6 — a service account's scope narrows the people it sees
// to its profiles and their attributes to its list (join keys only when
// named), and a class shows it only the members it may see.
func TestServiceScopeNarrowsTheView_INF_ANN_6(t *testing.T) {
	d := sample()
	svc := &directory.Person{ID: "s1", Login: "svc-ent", Profile: core.ProfileStaff, State: directory.Active, Service: true,
		Establishments: []string{"e1"}, UIDNumber: 10009}
	d.People = append(d.People, svc)
	d.Scopes = map[string]directory.ServiceScope{"s1": {Attrs: []string{"uid", "entpersonjointure"}, Profiles: []core.Profile{core.ProfileTeacher}}}
	s := dirldap.Build("dc=preau", d)
	p := core.Principal{PersonID: "s1", Login: "svc-ent", Profile: core.ProfileStaff, Service: true, Establishments: []string{"e1"}}
	zoe, paul := s.PersonByLogin("zoe.martin"), s.PersonByLogin("paul.durand")
	if s.VisibleTo(p, zoe) || !s.VisibleTo(p, paul) {
		t.Fatal("the teacher-only scope sees a pupil, or not the teacher")
	}
	v := s.ViewFor(p, paul)
	var names []string
	for _, a := range v.Attrs {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"ENTPersonJointure", "objectClass", "uid"}) {
		t.Fatalf("attributes of the scoped view: %v", names)
	}
	g := s.ViewFor(p, s.Lookup("cn=4B,ou=groups,ou=0999001W,dc=preau"))
	if g.Get("member") != nil || g.Get("memberUid") != nil || len(g.Get("owner")) != 1 {
		t.Fatalf("the class shows pupils to a teacher-only scope: %+v", g.Attrs)
	}
	// Without a scope, the same account reads the default service set.
	d.Scopes = nil
	s = dirldap.Build("dc=preau", d)
	if !s.VisibleTo(p, s.PersonByLogin("zoe.martin")) || s.ViewFor(p, s.PersonByLogin("zoe.martin")).Get("cn") == nil {
		t.Fatal("the default scope hides what it should show")
	}
	if _, err := directory.ParseServiceScope("uid,userPassword", "", nil); err == nil {
		t.Fatal("userPassword accepted in a scope")
	}
	if sc, err := directory.ParseServiceScope(" UID , commonName,uid", "Teacher,teacher", dirldap.CanonicalAttribute); err != nil ||
		!slices.Equal(sc.Attrs, []string{"uid", "cn"}) || !slices.Equal(sc.Profiles, []core.Profile{core.ProfileTeacher}) {
		t.Fatalf("parsed scope: %+v %v", sc, err)
	}
	if _, err := directory.ParseServiceScope("uid;binary", "", nil); err == nil {
		t.Fatal("an attribute with options accepted")
	}
}
