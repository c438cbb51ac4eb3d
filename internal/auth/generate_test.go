// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth_test

import (
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
