// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth_test

import (
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
)

// CARINE: INF-AUT-6, INF-AUT-7 — the generated initial passwords meet the
// default policy of every profile (the admin's 14 characters included), so
// that a reset with a generated password is never refused.
func TestGeneratePasswordMeetsEveryDefaultPolicy_INF_AUT_6(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 500 {
		pw := auth.GeneratePassword()
		if len(pw) != auth.GeneratedLength || seen[pw] {
			t.Fatalf("%q: wrong length or repeated", pw)
		}
		seen[pw] = true
		for _, pr := range core.Profiles {
			if vs := policy.Check(policy.Default(pr), pw, policy.Person{Login: "x.y"}); len(vs) > 0 {
				t.Fatalf("%q breaks the %s policy: %s", pw, pr, policy.Message(vs))
			}
		}
	}
}

// CARINE: INF-AUT-6 — a pupil's generated password is two plain words and
// two digits, readable by a young pupil, and meets the pupil policy
// (common-password list included).
func TestGeneratePupilPasswordMeetsPupilPolicy_INF_AUT_6(t *testing.T) {
	t.Parallel()
	for range 2000 {
		pw := auth.GeneratePupilPassword()
		words := strings.Split(pw, "-")
		if len(words) != 3 || words[0] == words[1] || len(words[2]) != 2 || strings.ToLower(pw) != pw {
			t.Fatalf("%q is not word-word-NN", pw)
		}
		if vs := policy.Check(policy.Default(core.ProfilePupil), pw, policy.Person{Login: "x.y"}); len(vs) > 0 {
			t.Fatalf("%q breaks the pupil policy: %s", pw, policy.Message(vs))
		}
	}
	if pw := auth.GenerateFor(core.ProfileTeacher); len(pw) != auth.GeneratedLength {
		t.Fatalf("a teacher got %q", pw)
	}
}
