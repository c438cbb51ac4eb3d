// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth_test

import (
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth"
)

// CARINE: INF-AUT-10 — passwords are stored only as salted argon2id hashes:
// the stored string never contains the password, two hashes of the same
// password differ, and only the right password verifies.
func TestPasswordNeverStoredReversibly_INF_AUT_10(t *testing.T) {
	pw := "Tartine-Chocolat-42"
	h1 := auth.HashPassword(pw, auth.DefaultParams)
	h2 := auth.HashPassword(pw, auth.DefaultParams)
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not an argon2id PHC string with the OWASP parameters: %s", h1)
	}
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: no random salt")
	}
	if strings.Contains(h1, pw) || strings.Contains(strings.ToLower(h1), strings.ToLower(pw[:8])) {
		t.Fatal("the hash contains the password")
	}
	ok, rehash, err := auth.VerifyPassword(h1, pw, auth.DefaultParams)
	if err != nil || !ok || rehash {
		t.Fatalf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	if ok, _, _ := auth.VerifyPassword(h1, pw+"x", auth.DefaultParams); ok {
		t.Fatal("a wrong password verified")
	}
	stronger := auth.Params{MemoryKiB: 32 * 1024, Time: 3, Threads: 1}
	if ok, rehash, _ := auth.VerifyPassword(h1, pw, stronger); !ok || !rehash {
		t.Fatal("a hash with old parameters is not flagged for rehash")
	}
}

func TestVerifyMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA"} {
		if _, _, err := auth.VerifyPassword(h, "x", auth.DefaultParams); err == nil {
			t.Errorf("malformed hash %q accepted", h)
		}
	}
}

func TestParamsBelowOWASPRefused(t *testing.T) {
	if err := (auth.Params{MemoryKiB: 4096, Time: 1, Threads: 1}).Validate(); err == nil {
		t.Fatal("weak parameters accepted")
	}
	if err := auth.DefaultParams.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Add("$$$$$", "x")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		if strings.Contains(hash, "m=") && len(hash) > 200 {
			return
		}
		_, _, _ = auth.VerifyPassword(hash, pw, auth.DefaultParams) // must not panic
	})
}
