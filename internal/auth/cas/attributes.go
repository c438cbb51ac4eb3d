// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas

import (
	"slices"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
)

// authAttributes are the attributes that tell how the person proved who
// they are (formats.md §5.2). They are always released: applications such
// as Pronote or Moodle enforce their policy with them.
func authAttributes(d ticketData) []attribute {
	amr := sso.AMR(core.Principal{AuthMethods: d.Methods})
	handlers := sso.CASHandlers(amr)
	out := []attribute{
		{"authenticationDate", []string{d.AuthTime.UTC().Format("2006-01-02T15:04:05.000Z")}},
		{"isFromNewLogin", []string{strconv.FormatBool(d.NewLogin)}},
		{"longTermAuthenticationRequestTokenUsed", []string{"false"}},
		{"authenticationMethod", handlers},
		{"successfulAuthenticationHandlers", handlers},
		{"credentialType", credentialTypes(amr)},
	}
	if d.Level >= sso.LevelStrong {
		out = append(out, attribute{"authnContextClass", contextClasses(amr)})
	}
	out = append(out, attribute{"amr", amr}, attribute{"acr", []string{sso.ACR(d.Level)}})
	return out
}

// credentialTypes names the Apereo credential classes of methods.
func credentialTypes(methods []string) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, m := range methods {
		switch m {
		case "pwd":
			add("UsernamePasswordCredential")
		case "pic":
			add("PictureSequenceCredential")
		case "otp":
			add("OneTimeTokenCredential")
		case "hwk", "swk":
			add("WebAuthnCredential")
		}
	}
	return out
}

// contextClasses names the Apereo MFA providers a strong proof satisfied
// (the authnContextClass attribute).
func contextClasses(methods []string) []string {
	var out []string
	for _, m := range methods {
		var c string
		switch m {
		case "otp":
			c = "mfa-gauth"
		case "hwk", "swk":
			c = "mfa-webauthn"
		}
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// identityAttributes are the person's SDET attributes, restricted to
// allowed when the application lists the attributes it receives.
// memberOf lists every group code, classes included.
func identityAttributes(id *sso.Identity, allowed []string) []attribute {
	all := []attribute{
		{"uid", []string{id.Login}},
		{"displayName", []string{id.DisplayName}},
		{"givenName", []string{id.GivenName}},
		{"sn", []string{id.FamilyName}},
		{"mail", []string{id.Mail}},
		{"ENTPersonProfils", []string{id.NationalProfile}},
		{"ENTPersonStructRattachRNE", []string{id.UAI}},
		{"ESCOUAI", id.UAIs},
		{"memberOf", slices.Sorted(slices.Values(append(slices.Clone(id.Classes), id.Groups...)))},
	}
	if id.Profile == core.ProfilePupil {
		all = append(all, attribute{"ENTEleveClasses", id.Classes})
	}
	var out []attribute
	for _, a := range all {
		vals := slices.DeleteFunc(slices.Clone(a.Values), func(s string) bool { return s == "" })
		if len(vals) == 0 {
			continue
		}
		if len(allowed) > 0 && !slices.ContainsFunc(allowed, func(n string) bool { return strings.EqualFold(n, a.Name) }) {
			continue
		}
		out = append(out, attribute{a.Name, vals})
	}
	return out
}
