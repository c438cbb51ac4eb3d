// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory_test

import (
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// CARINE: INF-ANN-8 — the directory refuses, by name, every field that would
// hold a birth date, phone, postal address or legal guardian.
func TestForbiddenAttributesRefused_INF_ANN_8(t *testing.T) {
	for _, name := range []string{"birthDate", "dateNaissance", "telephoneNumber", "mobile", "postalAddress",
		"ENTEleveParent", "responsables"} {
		err := directory.CheckFieldNames([]string{"login", name})
		if core.KindOf(err) != core.Invalid || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "INF-ANN-8") {
			t.Errorf("%s: got %v, want an Invalid error naming the field and INF-ANN-8", name, err)
		}
	}
	if err := directory.CheckFieldNames([]string{"login", "given_name", "family_name", "mail", "profile", "external_ids"}); err != nil {
		t.Fatalf("allowed fields refused: %v", err)
	}
}

// CARINE: INF-ANN-1 — one entry per account, a login that is unique in
// canonical form, and service accounts flagged as non-interactive.
func TestPersonIdentity_INF_ANN_1(t *testing.T) {
	p := &directory.Person{Login: "  Zoe.Martin ", GivenName: "Zoé", FamilyName: "Martin", Profile: core.ProfilePupil,
		Establishments: []string{"e1"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Login != "zoe.martin" || p.DisplayName != "Zoé Martin" || p.State != directory.Active {
		t.Fatalf("canonical form: %+v", p)
	}
	bad := []struct{ login, want string }{
		{"", "1 to 64"}, {".zoe", "only a-z"}, {"zoé", "only a-z"}, {"a b", "only a-z"}, {strings.Repeat("a", 65), "1 to 64"},
	}
	for _, b := range bad {
		if _, err := directory.ParseLogin(b.login); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseLogin(%q) = %v, want error containing %q", b.login, err, b.want)
		}
	}
	orphan := &directory.Person{Login: "x", GivenName: "X", FamilyName: "Y", Profile: core.ProfileTeacher}
	if err := orphan.Validate(); err == nil {
		t.Error("a teacher attached to no establishment was accepted")
	}
	p.ExternalIDs = map[string]string{"birth_date": "2012-01-01"}
	if err := p.Validate(); err == nil {
		t.Error("an unknown external identifier kind was accepted")
	}
}

func TestEstablishmentValidate(t *testing.T) {
	e := &directory.Establishment{UAI: "0750001u", Type: directory.College, Name: "Collège", Domains: []string{" Clg.Example.ORG "}}
	if err := e.Validate(); err != nil || e.UAI != "0750001U" || e.Domains[0] != "clg.example.org" {
		t.Fatalf("%v %+v", err, e)
	}
	for _, bad := range []*directory.Establishment{
		{UAI: "0750001A", Type: directory.College, Name: "x"},
		{UAI: "0750001U", Type: "university", Name: "x"},
		{UAI: "0750001U", Type: directory.College, Name: ""},
		{UAI: "0750001U", Type: directory.College, Name: "x", Domains: []string{"not a domain"}},
	} {
		if err := bad.Validate(); core.KindOf(err) != core.Invalid {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
}

func TestParseCIDRs(t *testing.T) {
	ps, err := directory.ParseCIDRs([]string{"10.0.1.7/24", "192.0.2.1", " fd00::/64 ", ""})
	if err != nil || len(ps) != 3 || ps[0].String() != "10.0.1.0/24" || ps[1].Bits() != 32 {
		t.Fatalf("%v %v", ps, err)
	}
	if _, err := directory.ParseCIDRs([]string{"10.0.0.0/33"}); err == nil || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Fatalf("bad CIDR: %v", err)
	}
}
