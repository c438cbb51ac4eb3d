// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"strings"
)

// uaiLetters are the check letters of a UAI (formats.md §2): the letter is
// uaiLetters[n mod 23] where n is the 7-digit number. I, O and Q are left out.
const uaiLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// UAICheckLetter returns the check letter for the 7 digits of a UAI.
// digits must be exactly 7 ASCII digits.
func UAICheckLetter(digits string) byte {
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return uaiLetters[n%23]
}

// ParseUAI validates a UAI (Unité Administrative Immatriculée, e.g.
// "0750001U") and returns it in canonical form: upper case, no spaces around.
// It returns an Invalid error that says what is wrong: the length, a non-digit,
// or a check letter that does not match (naming the expected one).
func ParseUAI(s string) (string, error) {
	const op = "core.ParseUAI"
	u := strings.ToUpper(strings.TrimSpace(s))
	if len(u) != 8 {
		return "", E(op, Invalid, "UAI %q: expected 7 digits and a check letter (e.g. 0750001U), got %d characters", clip(s), len([]rune(u)))
	}
	for i := 0; i < 7; i++ {
		if u[i] < '0' || u[i] > '9' {
			return "", E(op, Invalid, "UAI %q: character %d must be a digit", clip(s), i+1)
		}
	}
	want := UAICheckLetter(u[:7])
	if u[7] != want {
		return "", E(op, Invalid, "UAI %q: check letter should be %c for %s", clip(s), want, u[:7])
	}
	return u, nil
}

// MakeUAI returns the UAI for 7 digits, with its check letter.
func MakeUAI(digits string) string { return digits + string(UAICheckLetter(digits)) }

// clip shortens untrusted input before it is echoed in an error message.
func clip(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
