// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"strings"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

var authRules = map[string]rule{
	"INF-AUT-1": func(f *Facts, q Requirement) (Status, Text) {
		t := T("Authentification locale, sans dépendre d’Internet, à chaque porte servie : portail, console, API, LDAP, OIDC, CAS.",
			"Local authentication, without depending on the internet, at every door served: portal, console, API, LDAP, OIDC, CAS.")
		var ecoles []string
		for _, e := range f.Establishments {
			if e.Type == directory.Ecole {
				ecoles = append(ecoles, e.UAI)
			}
		}
		if len(ecoles) > 0 {
			n := sumAccounts(f).PictureClasses
			t = join(t, T(fmt.Sprintf("Connexion par images pour les jeunes élèves disponible (écoles %s) ; activée dans %d classes.", strings.Join(ecoles, ", "), n),
				fmt.Sprintf("Picture login for young pupils available (écoles %s); turned on in %d classes.", strings.Join(ecoles, ", "), n)))
		}
		return Met, t
	},
	"INF-AUT-2": func(f *Facts, q Requirement) (Status, Text) {
		strongApps := 0
		for _, c := range f.Clients {
			if c.MinLevel >= 2 {
				strongApps++
			}
		}
		apps := T(fmt.Sprintf("%d applications SSO exigent l’authentification forte.", strongApps),
			fmt.Sprintf("%d SSO applications require strong authentication.", strongApps))
		if len(f.Config.StrongFor) == 0 {
			st := NotMet
			if strongApps > 0 {
				st = Partly
			}
			return st, join(T("[auth] strong_for est vide : la console d’administration n’exige aucun second facteur.",
				"[auth] strong_for is empty: the admin console requires no second factor."), apps)
		}
		return Met, join(T(fmt.Sprintf("Second facteur (application TOTP, clé d’accès ou clé de sécurité WebAuthn) exigé pour : %s ; preuve de moins de %s pour les actions sensibles.",
			strings.Join(f.Config.StrongFor, ", "), f.Config.StrongMaxAge),
			fmt.Sprintf("Second factor (TOTP app, passkey or WebAuthn security key) required for: %s; proof younger than %s for sensitive actions.",
				strings.Join(f.Config.StrongFor, ", "), f.Config.StrongMaxAge)), apps)
	},
	"INF-AUT-3": func(f *Facts, q Requirement) (Status, Text) {
		var oidc, cas int
		for _, c := range f.Clients {
			if c.Protocol == sso.OIDC {
				oidc++
			} else {
				cas++
			}
		}
		return Met, T(fmt.Sprintf("Authentification unique OpenID Connect et CAS qui transmet la méthode et le niveau (amr, acr) ; %d applications OIDC et %d services CAS enregistrés.", oidc, cas),
			fmt.Sprintf("Single sign-on over OpenID Connect and CAS passing on the method and level (amr, acr); %d OIDC applications and %d CAS services registered.", oidc, cas))
	},
	"INF-AUT-4": fixed(Partly, "Chacun voit ses sessions (/account/sessions) ; /whoami affiche la personne connectée sur un navigateur partagé. Affichage sur le bureau du poste (agent) non disponible.",
		"Each person sees their sessions (/account/sessions); /whoami shows who is logged in on a shared browser. Display on the workstation desktop (agent) not available."),
	"INF-AUT-6": func(f *Facts, q Requirement) (Status, Text) {
		var all []Text
		for _, pr := range core.Profiles {
			all = append(all, describePolicy(pr, f.Policies.For("", pr)))
		}
		in := list(all)
		cur := join(T("Politiques en vigueur, appliquées à chaque changement et réinitialisation : "+in.FR+". L’annexe technique de la charte et de la politique de sécurité les reprend telles qu’en vigueur.",
			"Policies in force, enforced at every change and reset: "+in.EN+". The technical annex of the charter and the security policy restates them as in force."),
			documentState(f, charter.KindCharte))
		if weak := weakPolicies(f); len(weak) > 0 {
			w := list(weak)
			return Partly, join(T("Sous le minimum (élèves 8 caractères et 2 types, adultes 12 et 3, mots de passe courants refusés) : "+w.FR+".",
				"Below the minimum (pupils 8 characters and 2 kinds, adults 12 and 3, common passwords refused): "+w.EN+"."), cur)
		}
		return Met, cur
	},
	"INF-AUT-7": func(f *Facts, q Requirement) (Status, Text) {
		n := sumAccounts(f).MustChange
		return Met, T(fmt.Sprintf("Tout mot de passe remis (création, réinitialisation, import) doit être changé à la première connexion, sur le web, en SSO et en LDAP ; %d comptes doivent encore choisir le leur.", n),
			fmt.Sprintf("Every handed-out password (creation, reset, import) must be changed at first login, on the web, through SSO and over LDAP; %d accounts must still choose theirs.", n))
	},
	"INF-AUT-8": func(f *Facts, q Requirement) (Status, Text) {
		var ages []Text
		for _, pr := range core.Profiles {
			p, n := f.Policies.For("", pr), profileNames[pr]
			if p.MaxAge == 0 {
				ages = append(ages, T(n.FR+" jamais", n.EN+" never"))
			} else {
				d := int(p.MaxAge.Hours() / 24)
				ages = append(ages, T(fmt.Sprintf("%s %d jours", n.FR, d), fmt.Sprintf("%s %d days", n.EN, d)))
			}
		}
		l := list(ages)
		return Met, T("Durée de validité par profil, imposée à la connexion : "+l.FR+".", "Maximum age per profile, enforced at login: "+l.EN+".")
	},
	"INF-AUT-9": func(f *Facts, q Requirement) (Status, Text) { return Met, forgotten(f) },
	"INF-AUT-10": fixed(Met, "Mots de passe stockés uniquement en empreintes argon2id salées ; les mots de passe provisoires ne sont montrés qu’une fois.",
		"Passwords stored only as salted argon2id hashes; temporary passwords are shown once."),
	"INF-AUT-12": fixed(Met, "Aucune donnée biométrique collectée : seules les clés publiques WebAuthn sont conservées, la vérification reste sur l’appareil.",
		"No biometric data collected: only WebAuthn public keys are kept; verification stays on the device."),
	"INF-AUT-13": func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Chaque tentative d’authentification (web, LDAP, images, second facteur, OIDC, CAS) est journalisée avec le login tenté, la méthode, la source et le résultat.",
			"Every authentication attempt (web, LDAP, pictures, second factor, OIDC, CAS) is journaled with the attempted login, method, source and result.")
		return journalStatus(f, mech, Partly)
	},
	"INF-AUT-n3": fixed(Partly, "Chaque personne, élève compris, a ses propres identifiants ; aucun compte de classe partagé ; fiches de réinitialisation imprimables. Lettres d’identifiants par classe non disponibles.",
		"Every person, pupils included, has their own credentials; no shared class account; printable reset slips. Credential letters per class not available."),
}

// forgotten describes the forgotten-password process (INF-AUT-9).
func forgotten(f *Facts) Text {
	proc := T("La page de connexion affiche la procédure par défaut en cas d’oubli du mot de passe.",
		"The login page shows the default forgotten-password procedure.")
	if f.ForgottenText {
		proc = T("La page de connexion affiche la procédure d’oubli de mot de passe écrite par l’établissement.",
			"The login page shows the forgotten-password procedure the establishment wrote.")
	}
	return join(proc, T("Les enseignants réinitialisent les mots de passe des élèves de leurs classes, la direction et les administrateurs ceux de l’établissement ; chaque réinitialisation est journalisée.",
		"Teachers reset the passwords of their classes’ pupils, heads and administrators those of the establishment; every reset is journaled."))
}
