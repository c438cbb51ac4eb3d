// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo_test

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/demo"
)

// now is a fixed date in school year 2026-2027.
var now = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// generate returns the deployment for seed 1, shared by read-only tests.
func generate(t testing.TB) *demo.Deployment {
	t.Helper()
	return demo.Generate(1, now)
}

func csvBytes(t testing.TB, d *demo.Deployment) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := d.AccountsCSV(&b); err != nil {
		t.Fatalf("AccountsCSV: %v", err)
	}
	return b.Bytes()
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a, b := demo.Generate(1, now), demo.Generate(1, now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	if !bytes.Equal(csvBytes(t, a), csvBytes(t, b)) {
		t.Fatal("two runs with the same seed write different CSV")
	}
	// Another date of the same school year gives the same deployment.
	june := demo.Generate(1, time.Date(2027, 6, 30, 23, 0, 0, 0, time.UTC))
	if !reflect.DeepEqual(a, june) {
		t.Error("two dates of school year 2026 give different deployments")
	}
	c := demo.Generate(2, now)
	if bytes.Equal(csvBytes(t, a), csvBytes(t, c)) {
		t.Error("seeds 1 and 2 write the same CSV")
	}
	if a.Establishments[0].People[0].Login == c.Establishments[0].People[0].Login &&
		a.Admin.Password == c.Admin.Password {
		t.Error("seeds 1 and 2 give the same head and admin password")
	}
}

func TestGenerateSchoolYear(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		now  time.Time
		want int
	}{
		{"first day", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), 2026},
		{"last day", time.Date(2026, 8, 31, 23, 59, 0, 0, time.UTC), 2025},
		{"spring", time.Date(2027, 3, 15, 8, 0, 0, 0, time.UTC), 2026},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := demo.Generate(1, tc.now).SchoolYear; got != tc.want {
				t.Errorf("SchoolYear = %d, want %d", got, tc.want)
			}
		})
	}
}

// count returns the number of people of each profile.
func count(e *demo.Establishment) map[core.Profile]int {
	n := map[core.Profile]int{}
	for _, p := range e.People {
		n[p.Profile]++
	}
	return n
}

func TestGenerateCounts(t *testing.T) {
	t.Parallel()
	d := generate(t)
	type span struct{ lo, hi int }
	want := []struct {
		typ, name          string
		pupils, teachers   span
		classes, minGroups int
	}{
		{demo.TypeCollege, "Collège Jean Moulin", span{560, 640}, span{35, 45}, 24, 30},
		{demo.TypeLycee, "Lycée Marie Curie", span{1400, 1600}, span{90, 110}, 41, 80},
		{demo.TypeEcole, "École Jules Ferry", span{130, 170}, span{5, 9}, 7, 9},
	}
	if len(d.Establishments) != len(want) {
		t.Fatalf("got %d establishments, want %d", len(d.Establishments), len(want))
	}
	for i, w := range want {
		e := &d.Establishments[i]
		t.Run(w.typ, func(t *testing.T) {
			if e.Type != w.typ || e.Name != w.name {
				t.Errorf("establishment %d is %s %q, want %s %q", i, e.Type, e.Name, w.typ, w.name)
			}
			n := count(e)
			if p := n[core.ProfilePupil]; p < w.pupils.lo || p > w.pupils.hi {
				t.Errorf("%d pupils, want %d–%d", p, w.pupils.lo, w.pupils.hi)
			}
			if p := n[core.ProfileTeacher]; p < w.teachers.lo || p > w.teachers.hi {
				t.Errorf("%d teachers, want %d–%d", p, w.teachers.lo, w.teachers.hi)
			}
			if n[core.ProfileHead] != 1 {
				t.Errorf("%d heads, want 1", n[core.ProfileHead])
			}
			if n[core.ProfileStaff] < 2 {
				t.Errorf("%d staff, want at least 2", n[core.ProfileStaff])
			}
			if n[core.ProfileAdmin] != 0 {
				t.Errorf("%d admins among the people, want 0 (the admin is Deployment.Admin)", n[core.ProfileAdmin])
			}
			kinds := map[string]int{}
			for _, g := range e.Groups {
				kinds[g.Kind]++
			}
			if kinds[demo.KindClass] != w.classes {
				t.Errorf("%d classes, want %d", kinds[demo.KindClass], w.classes)
			}
			if len(e.Groups) < w.minGroups {
				t.Errorf("%d groups, want at least %d", len(e.Groups), w.minGroups)
			}
			if kinds[demo.KindStaff] != 1 || kinds[demo.KindCustom] < 1 || kinds[demo.KindDiscipline] < 1 {
				t.Errorf("groups by kind = %v, want 1 staff, ≥ 1 custom, ≥ 1 discipline", kinds)
			}
			if e.Type == demo.TypeLycee && kinds[demo.KindTeaching] < 20 {
				t.Errorf("%d teaching groups in the lycée, want at least 20", kinds[demo.KindTeaching])
			}
		})
	}
	if d.Admin.Profile != core.ProfileAdmin || d.Admin.Login != demo.AdminLogin || d.Admin.MustChange {
		t.Errorf("admin = %s %q must_change=%v, want admin \"admin\" false",
			d.Admin.Profile, d.Admin.Login, d.Admin.MustChange)
	}
}

func TestGenerateEstablishments(t *testing.T) {
	t.Parallel()
	d := generate(t)
	domains := map[string]bool{}
	for _, e := range d.Establishments {
		if got, err := core.ParseUAI(e.UAI); err != nil || got != e.UAI {
			t.Errorf("UAI %q: ParseUAI = %q, %v", e.UAI, got, err)
		}
		if !strings.HasPrefix(e.UAI, "0999") {
			t.Errorf("UAI %q is not in the fake 0999xxx range", e.UAI)
		}
		if !strings.HasSuffix(e.Domain, ".demo.preau.test") || domains[e.Domain] {
			t.Errorf("domain %q: want a unique name under demo.preau.test", e.Domain)
		}
		domains[e.Domain] = true
		if !strings.Contains(e.Academie, "Démo") || e.City == "" {
			t.Errorf("académie %q, city %q: want a clearly fictional académie and a commune", e.Academie, e.City)
		}
	}
}

func TestGenerateUnique(t *testing.T) {
	t.Parallel()
	d := generate(t)
	keys, logins, mails := map[string]bool{}, map[string]bool{}, map[string]bool{}
	loginRE := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, p := range d.People() {
		if keys[p.Key] {
			t.Errorf("duplicate key %q", p.Key)
		}
		if logins[p.Login] {
			t.Errorf("duplicate login %q", p.Login)
		}
		if mails[p.Mail] {
			t.Errorf("duplicate mail %q", p.Mail)
		}
		keys[p.Key], logins[p.Login], mails[p.Mail] = true, true, true
		if p.Profile != core.ProfileAdmin && !loginRE.MatchString(p.Login) {
			t.Errorf("login %q of %s %s is not ASCII prenom.nom", p.Login, p.GivenName, p.FamilyName)
		}
		if p.GivenName == "" || p.FamilyName == "" || !p.Profile.Valid() {
			t.Errorf("%s: empty name or invalid profile %q", p.Key, p.Profile)
		}
	}
}

// CARINE: UTI-MSG-3
func TestGenerateMail(t *testing.T) {
	t.Parallel()
	d := generate(t)
	for _, e := range d.Establishments {
		if e.PupilDomain() == e.Domain {
			t.Fatalf("%s: pupil domain equals staff domain %q", e.UAI, e.Domain)
		}
		for _, p := range e.People {
			want := "@" + e.Domain
			if p.Profile == core.ProfilePupil {
				want = "@eleves." + e.Domain
			}
			if p.Mail != p.Login+want {
				t.Errorf("%s mail %q, want %q", p.Key, p.Mail, p.Login+want)
			}
		}
	}
}

// CARINE: INF-ANN-8
func TestPersonHasNoPrivateFields(t *testing.T) {
	t.Parallel()
	deny := regexp.MustCompile(`(?i)birth|naiss|phone|tel|mobile|address|adresse|guardian|parent|responsable`)
	for _, typ := range []reflect.Type{reflect.TypeFor[demo.Person](), reflect.TypeFor[demo.Establishment](),
		reflect.TypeFor[demo.Group](), reflect.TypeFor[demo.Deployment]()} {
		for f := range typ.Fields() {
			if deny.MatchString(f.Name) {
				t.Errorf("%s has field %s: identity stores must not hold such data", typ.Name(), f.Name)
			}
		}
	}
	for _, p := range generate(t).People() {
		for k := range p.ExternalIDs {
			if deny.MatchString(k) {
				t.Errorf("%s has external id %q", p.Key, k)
			}
		}
	}
}

func TestGenerateExternalIDs(t *testing.T) {
	t.Parallel()
	d := generate(t)
	ine := regexp.MustCompile(`^[0-9]{10}[A-Z]$`)
	digits := regexp.MustCompile(`^[0-9]+$`)
	seen := map[string]bool{}
	for _, e := range d.Establishments {
		for _, p := range e.People {
			var want []string
			switch {
			case p.Profile == core.ProfilePupil && e.Type == demo.TypeEcole:
				want = []string{"be1d_id", "ine"}
			case p.Profile == core.ProfilePupil:
				want = []string{"siecle_eleve_id", "ine"}
			case e.Type == demo.TypeEcole:
				want = []string{"aaf_jointure"}
			default:
				want = []string{"sts_id"}
			}
			if len(p.ExternalIDs) != len(want) {
				t.Errorf("%s external ids %v, want keys %v", p.Key, p.ExternalIDs, want)
			}
			for _, k := range want {
				v := p.ExternalIDs[k]
				ok := digits.MatchString(v)
				switch k {
				case "ine":
					ok = ine.MatchString(v)
				case "aaf_jointure":
					ok = strings.HasPrefix(v, "MENESR$") && digits.MatchString(v[len("MENESR$"):])
				}
				if !ok || seen[k+"="+v] {
					t.Errorf("%s %s = %q: malformed or duplicate", p.Key, k, v)
				}
				seen[k+"="+v] = true
			}
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		demo.Generate(1, now)
	}
}
