// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package policy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Violation codes. They are stable: the web translates them and the live
// check returns them as JSON.
const (
	CodeTooShort      = "too_short"
	CodeTooLong       = "too_long"
	CodeTooFewClasses = "too_few_classes"
	CodeCommon        = "common"
	CodePersonal      = "personal"
	// CodeReused is found by the auth service, which alone reads the
	// history of hashes; Check never returns it.
	CodeReused = "reused"
)

// Violation is one rule a password breaks, with the figures of the rule.
type Violation struct {
	Code string `json:"code"`
	// Limit is the bound of the rule: the minimum length (too_short), the
	// maximum length (too_long), the minimum number of kinds (too_few_classes)
	// or the number of past passwords checked (reused).
	Limit int `json:"limit,omitempty"`
	// Have is what the password has: its length or number of kinds.
	Have int `json:"have,omitempty"`
}

// Person is what a password must not contain when the policy rejects
// personal passwords.
type Person struct {
	Login, GivenName, FamilyName string
}

// Check returns the rules of p that pw breaks, in a fixed order (length,
// kinds, common, personal), or nil when it meets them all.
func Check(p Policy, pw string, who Person) []Violation {
	var vs []Violation
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		vs = append(vs, Violation{Code: CodeTooShort, Limit: p.MinLength, Have: n})
	}
	if n > MaxLength {
		vs = append(vs, Violation{Code: CodeTooLong, Limit: MaxLength, Have: n})
		return vs // do not fold an oversized input
	}
	if c := Classes(pw); c < p.MinClasses {
		vs = append(vs, Violation{Code: CodeTooFewClasses, Limit: p.MinClasses, Have: c})
	}
	folded := Fold(pw)
	if p.RejectCommon && IsCommon(folded) {
		vs = append(vs, Violation{Code: CodeCommon})
	}
	if p.RejectPersonal && containsPersonal(folded, who) {
		vs = append(vs, Violation{Code: CodePersonal})
	}
	return vs
}

// Classes returns how many of the four kinds of characters pw mixes:
// lower-case letters, upper-case letters, digits, and anything else
// (spaces, punctuation, symbols, letters without case).
func Classes(pw string) int {
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return lower + upper + digit + other
}

// Fold returns s in lower case without accents (é → e, œ → oe, ß → ss),
// the form in which passwords are compared with the common list and with
// names.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'œ':
			b.WriteString("oe")
		case r == 'æ':
			b.WriteString("ae")
		case r == 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsCommon reports whether a folded password is in the common list, as is
// or once the digits and signs at its start and end are taken off, one side
// or both ("soleil2024!", "!!azerty", "2024marseille").
func IsCommon(folded string) bool {
	list := commonPasswords()
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	notAlnum := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, c := range []string{
		folded,
		strings.TrimRightFunc(folded, notAlnum), // "123456789!" → "123456789"
		strings.TrimLeftFunc(folded, notAlnum),
		strings.TrimFunc(folded, notAlnum),
		strings.TrimRightFunc(folded, notLetter), // "soleil2024!" → "soleil"
		strings.TrimLeftFunc(folded, notLetter),
		strings.TrimFunc(folded, notLetter),
	} {
		if _, ok := list[c]; ok {
			return true
		}
	}
	return false
}

// containsPersonal reports whether a folded password contains a part of
// the person's login or names, forwards or backwards.
func containsPersonal(folded string, who Person) bool {
	for _, w := range personalWords(who) {
		if strings.Contains(folded, w) || strings.Contains(folded, reverse(w)) {
			return true
		}
	}
	return false
}

// personalWords returns the folded parts of 3 characters or more of the
// login and names ("lea.petit2" → lea, petit; "Da Silva" → silva, dasilva).
func personalWords(who Person) []string {
	var out []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= 3 {
			out = append(out, w)
		}
	}
	for _, s := range []string{who.Login, who.GivenName, who.FamilyName} {
		parts := strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) })
		for _, part := range parts {
			add(part)
		}
		if len(parts) > 1 {
			add(strings.Join(parts, ""))
		}
	}
	return out
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// Message returns an English sentence naming every broken rule of vs, for
// core errors and logs (the web translates the codes instead).
func Message(vs []Violation) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, clause(v))
	}
	return "this password is not accepted: " + strings.Join(parts, "; ")
}

func clause(v Violation) string {
	switch v.Code {
	case CodeTooShort:
		return fmt.Sprintf("it must have at least %d characters (it has %d)", v.Limit, v.Have)
	case CodeTooLong:
		return fmt.Sprintf("it must have at most %d characters", v.Limit)
	case CodeTooFewClasses:
		return fmt.Sprintf("it must mix at least %d kinds of characters among lower case, upper case, "+
			"digits and other signs (it has %d)", v.Limit, v.Have)
	case CodeCommon:
		return "it is a common password or word, among the first ones tried by an attacker"
	case CodePersonal:
		return "it must not contain the login, the given name or the family name"
	case CodeReused:
		return fmt.Sprintf("it must differ from the last %d passwords", v.Limit)
	}
	return v.Code
}

// Violations is a list of broken rules as an error, carried as the cause of
// the core.Invalid error of a refused password so that callers can
// translate each rule.
type Violations []Violation

// Error implements error. It names the codes only: the core.Error that
// carries vs holds the sentence of Message.
func (vs Violations) Error() string {
	return "broken password rules: " + strings.Join(vs.Codes(), ", ")
}

// Codes returns the codes of vs, in order.
func (vs Violations) Codes() []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Code
	}
	return out
}
