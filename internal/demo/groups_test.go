// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"slices"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
)

func TestGenerateGroups(t *testing.T) {
	t.Parallel()
	d := generate(t)
	for i := range d.Establishments {
		e := &d.Establishments[i]
		t.Run(e.Type, func(t *testing.T) {
			byKey := map[string]demo.Person{}
			for _, p := range e.People {
				byKey[p.Key] = p
			}
			classOf := map[string]string{} // pupil key → class code
			codes := map[string]bool{}
			for _, g := range e.Groups {
				if codes[g.Code] {
					t.Errorf("duplicate group code %q", g.Code)
				}
				codes[g.Code] = true
				checkGroup(t, g, byKey)
				if g.Kind != demo.KindClass {
					continue
				}
				for _, m := range g.Members {
					if prev, ok := classOf[m]; ok {
						t.Errorf("pupil %s is in classes %s and %s", m, prev, g.Code)
					}
					classOf[m] = g.Code
					if byKey[m].Class != g.Code {
						t.Errorf("pupil %s has Class %q but is a member of %s", m, byKey[m].Class, g.Code)
					}
				}
			}
			for _, p := range e.People {
				if p.Profile == core.ProfilePupil && classOf[p.Key] == "" {
					t.Errorf("pupil %s is in no class", p.Key)
				}
				if p.Profile != core.ProfilePupil && p.Class != "" {
					t.Errorf("adult %s has class %q", p.Key, p.Class)
				}
			}
			if e.Type == demo.TypeLycee {
				checkMixedGroups(t, e, byKey)
			}
		})
	}
}

// checkGroup checks one group's kind, members and owners against the
// establishment's people.
func checkGroup(t *testing.T, g demo.Group, byKey map[string]demo.Person) {
	t.Helper()
	if g.Code == "" || g.Name == "" || len(g.Members) == 0 || len(g.Owners) == 0 {
		t.Errorf("group %q %q: empty code, name, members or owners", g.Code, g.Name)
	}
	for _, m := range g.Members {
		p, ok := byKey[m]
		if !ok {
			t.Errorf("group %s: member %s is not a person of the establishment", g.Code, m)
			continue
		}
		switch g.Kind {
		case demo.KindClass, demo.KindTeaching, demo.KindCustom:
			if p.Profile != core.ProfilePupil {
				t.Errorf("group %s (%s): member %s is a %s, want a pupil", g.Code, g.Kind, m, p.Profile)
			}
		case demo.KindDiscipline:
			if p.Discipline != g.Name {
				t.Errorf("group %s: member %s teaches %q", g.Code, m, p.Discipline)
			}
		case demo.KindStaff:
			if !p.Profile.Adult() {
				t.Errorf("staff group: member %s is a %s", m, p.Profile)
			}
		default:
			t.Fatalf("group %s: unknown kind %q", g.Code, g.Kind)
		}
	}
	for _, list := range [][]string{g.Members, g.Owners} {
		sorted := slices.Sorted(slices.Values(list))
		if len(slices.Compact(sorted)) != len(list) {
			t.Errorf("group %s: a person is listed twice in %v", g.Code, list)
		}
	}
	for _, o := range g.Owners {
		if p, ok := byKey[o]; !ok || !p.Profile.Adult() {
			t.Errorf("group %s: owner %s is not an adult of the establishment", g.Code, o)
		}
	}
	if g.Kind == demo.KindClass {
		main := byKey[g.MainTeacher]
		if g.MainTeacher == "" || g.Owners[0] != g.MainTeacher || main.Discipline == "" {
			t.Errorf("class %s: main teacher %q (owners %v), want a teaching owner first",
				g.Code, g.MainTeacher, g.Owners)
		}
		if g.Level == "" {
			t.Errorf("class %s has no level", g.Code)
		}
	} else if g.MainTeacher != "" {
		t.Errorf("group %s (%s) has a main teacher", g.Code, g.Kind)
	}
}

// checkMixedGroups checks that the lycée has spécialité groups drawing
// pupils from several classes.
func checkMixedGroups(t *testing.T, e *demo.Establishment, byKey map[string]demo.Person) {
	t.Helper()
	for _, code := range []string{"1G-SPE-MATHS-1", "TG-SPE-MATHS-1", "LV2-ALL-2NDE-1"} {
		g := e.Group(code)
		if g == nil || g.Kind != demo.KindTeaching {
			t.Errorf("no teaching group %s", code)
			continue
		}
		classes := map[string]bool{}
		for _, m := range g.Members {
			classes[byKey[m].Class] = true
		}
		if len(classes) < 2 {
			t.Errorf("group %s draws on %d class, want several", code, len(classes))
		}
	}
}
