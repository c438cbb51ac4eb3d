// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package policy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
)

func codes(vs []policy.Violation) []string { return policy.Violations(vs).Codes() }

// CARINE: INF-AUT-6 — length, composition, common and personal passwords.
func TestCheck_INF_AUT_6(t *testing.T) {
	t.Parallel()
	pupil, teacher, admin := policy.Default(core.ProfilePupil), policy.Default(core.ProfileTeacher),
		policy.Default(core.ProfileAdmin)
	lea := policy.Person{Login: "lea.petit2", GivenName: "Léa", FamilyName: "Petit"}
	zoe := policy.Person{Login: "zoe.da-silva", GivenName: "Zoé", FamilyName: "Da Silva"}
	cases := []struct {
		name string
		p    policy.Policy
		pw   string
		who  policy.Person
		want []string
	}{
		{"pupil ok", pupil, "bakuteri47", lea, nil},
		{"pupil too short, one kind, common", pupil, "soleil", lea, []string{"too_short", "too_few_classes", "common"}},
		{"common word with year and sign", pupil, "Soleil2024!", lea, []string{"common"}},
		{"common word after digits", pupil, "2024Marseille", lea, []string{"common"}},
		{"common with accents folded", teacher, "Opération2024!", lea, []string{"common"}},
		{"common keyboard walk", teacher, "Azerty123456", lea, []string{"common"}},
		{"digits only", teacher, "123456789012", lea, []string{"too_few_classes", "common"}},
		{"teacher ok", teacher, "Tartine-Chocolat-42", lea, nil},
		{"teacher passphrase ok", teacher, "Une phrase assez longue", lea, nil},
		{"teacher too short", teacher, "Kiwi-Vert-4", lea, []string{"too_short"}},
		{"teacher two kinds", teacher, "tartinechocolat42", lea, []string{"too_few_classes"}},
		{"login part", teacher, "Petit-Pont-Levis-9", lea, []string{"personal"}},
		{"given name without accent", teacher, "ZOE-la-Grande-2026", zoe, []string{"personal"}},
		{"given name with accent", teacher, "Ma-Zoé-Chérie-2026", zoe, []string{"personal"}},
		{"name reversed", teacher, "Avlis-Montagne-77", zoe, []string{"personal"}},
		{"given name reversed", teacher, "Tableau-Ael-Vert-7", lea, []string{"personal"}},
		{"compound family name joined", teacher, "Kiwi-DASILVA-Rouge-3", zoe, []string{"personal"}},
		{"two-letter part ignored", teacher, "Da-Capo-Musique-12", zoe, nil},
		{"personal allowed by policy", policy.Policy{MinLength: 8}, "lea.petit", lea, nil},
		{"admin 14 characters", admin, "Tartine-Cho-42", lea, nil},
		{"admin 13 characters", admin, "Tartine-Ch-42", lea, []string{"too_short"}},
		{"too long", teacher, strings.Repeat("aB3!", 65), lea, []string{"too_long"}},
		{"empty", pupil, "", lea, []string{"too_short", "too_few_classes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := codes(policy.Check(tc.p, tc.pw, tc.who)); !slices.Equal(got, tc.want) {
				t.Fatalf("Check(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

func TestClasses(t *testing.T) {
	t.Parallel()
	for pw, want := range map[string]int{"": 0, "abcdefgh": 1, "abcdEFGH": 2, "abcd1234": 2, "ab CD 12": 4,
		"Élève-5": 4, "ÉLÈVE": 1, "日本語": 1} {
		if got := policy.Classes(pw); got != want {
			t.Errorf("Classes(%q) = %d, want %d", pw, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Soleil": "soleil", "Opération": "operation", "ŒUVRE": "oeuvre",
		"Ça-Été": "ca-ete", "straße": "strasse", "Zoé": "zoe"} {
		if got := policy.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCommonList checks the embedded list: large, French words and names
// included, folded, and loaded without its header.
func TestCommonList(t *testing.T) {
	t.Parallel()
	if n := policy.CommonCount(); n < 10000 {
		t.Fatalf("%d common passwords, want at least 10,000", n)
	}
	for _, w := range []string{"123456", "password", "azerty", "motdepasse", "soleil", "bonjour", "operation", "nicolas"} {
		if !policy.IsCommon(w) {
			t.Errorf("%q is not in the common list", w)
		}
	}
	for _, w := range []string{"# source: @zxcvbn-ts/language-common 4.1.3 + @zxcvbn-ts/language-fr 4.1.2 (mit), extracted", "abc", "tartine-chocolat-42"} {
		if policy.IsCommon(w) {
			t.Errorf("%q is in the common list", w)
		}
	}
}

// CARINE: INF-AUT-6, INF-AUT-8 — the defaults of each profile.
func TestDefaults_INF_AUT_8(t *testing.T) {
	t.Parallel()
	want := map[core.Profile]policy.Policy{
		core.ProfilePupil:   {MinLength: 8, MinClasses: 2, RejectCommon: true, RejectPersonal: true},
		core.ProfileTeacher: {MinLength: 12, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 5},
		core.ProfileStaff:   {MinLength: 12, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 5},
		core.ProfileHead:    {MinLength: 12, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 5},
		core.ProfileAdmin: {MinLength: 14, MinClasses: 3, RejectCommon: true, RejectPersonal: true, History: 10,
			MaxAge: 365 * 24 * time.Hour},
	}
	ps := policy.Defaults()
	if err := ps.Validate(); err != nil {
		t.Fatal(err)
	}
	for pr, w := range want {
		if got := ps.For("any", pr); got != w {
			t.Errorf("%s: %+v, want %+v", pr, got, w)
		}
	}
}

func TestPoliciesForAndJSON(t *testing.T) {
	t.Parallel()
	var ps policy.Policies
	err := json.Unmarshal([]byte(`{"profiles": {"teacher": {"min_length": 10, "min_classes": 2, "history": 3,
		"max_age_days": 180}}, "establishments": {"e1": {"pupil": {"min_length": 6}}}}`), &ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := ps.For("e2", core.ProfileTeacher); got.MinLength != 10 || got.MaxAge != 180*policy.Day || got.History != 3 {
		t.Errorf("teacher: %+v", got)
	}
	if got := ps.For("e1", core.ProfilePupil); got.MinLength != 6 || got.RejectCommon {
		t.Errorf("override: %+v", got)
	}
	if got := ps.For("e2", core.ProfilePupil); got != policy.Default(core.ProfilePupil) {
		t.Errorf("missing profile: %+v, want the default", got)
	}
	if got := ps.For("e1", core.ProfileAdmin); got != policy.Default(core.ProfileAdmin) {
		t.Errorf("missing override: %+v, want the default", got)
	}
	b, err := json.Marshal(policy.Default(core.ProfileAdmin))
	if err != nil || string(b) != `{"min_length":14,"min_classes":3,"reject_common":true,"reject_personal":true,"history":10,"max_age_days":365}` {
		t.Fatalf("JSON: %s %v", b, err)
	}
	var back policy.Policy
	if err := json.Unmarshal(b, &back); err != nil || back != policy.Default(core.ProfileAdmin) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	bad := []policy.Policy{{MinLength: 0}, {MinLength: 300}, {MinLength: 8, MinClasses: 5},
		{MinLength: 8, History: 21}, {MinLength: 8, History: -1}, {MinLength: 8, MaxAge: time.Hour}}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	ps := policy.Policies{Profiles: map[core.Profile]policy.Policy{"wizard": policy.Default(core.ProfileStaff)}}
	if ps.Validate() == nil {
		t.Error("unknown profile accepted")
	}
}

func TestMessage(t *testing.T) {
	t.Parallel()
	vs := policy.Check(policy.Default(core.ProfileTeacher), "soleil", policy.Person{})
	msg := policy.Message(vs)
	for _, want := range []string{"at least 12 characters (it has 6)", "at least 3 kinds", "common"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// FuzzCheck: Check never panics, is deterministic, returns known codes only,
// and reports too_short exactly when the password is short.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "soleil", "Soleil2024!", "Opération2024!", "lea.petit", "ŒUVRE-ßtraße",
		"\xff\xfe", "Tartine-Chocolat-42", strings.Repeat("é", 300), "#1234", "  azerty  "} {
		f.Add(s, "lea.petit", "Léa")
	}
	known := []string{"too_short", "too_long", "too_few_classes", "common", "personal"}
	f.Fuzz(func(t *testing.T, pw, login, given string) {
		p := policy.Default(core.ProfileTeacher)
		who := policy.Person{Login: login, GivenName: given, FamilyName: "Petit"}
		vs := policy.Check(p, pw, who)
		if !slices.Equal(codes(vs), codes(policy.Check(p, pw, who))) {
			t.Fatal("not deterministic")
		}
		short := false
		for _, v := range vs {
			if !slices.Contains(known, v.Code) {
				t.Fatalf("unknown code %q", v.Code)
			}
			short = short || v.Code == "too_short"
		}
		if short != (utf8.RuneCountInString(pw) < p.MinLength) {
			t.Fatalf("too_short = %v for %d characters", short, utf8.RuneCountInString(pw))
		}
		_ = policy.Message(vs)
	})
}
