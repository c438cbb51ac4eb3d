// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"github.com/preau/preau/internal/directory"
	"slices"
	"strings"
	"time"
)

// nationalSources are the import sources CARINE names (INF-ANN-7).
var nationalSources = []string{"siecle", "sts", "stsweb", "aaf", "structures", "nomenclature", "be1d"}

var directoryRules = map[string]rule{
	"INF-ANN-1": func(f *Facts, q Requirement) (Status, Text) {
		c := sumAccounts(f)
		count := T(fmt.Sprintf("%d comptes actifs, chacun avec un identifiant interne immuable et un login unique ; %d comptes de service marqués non interactifs.", c.People, c.Service),
			fmt.Sprintf("%d active accounts, each with an immutable internal ID and a unique login; %d service accounts flagged non-interactive.", c.People, c.Service))
		if f.Config.AllowAnonymousLDAP {
			return NotMet, join(T("[ldap] allow_anonymous est activé : des recherches LDAP anonymes sont permises.",
				"[ldap] allow_anonymous is on: anonymous LDAP searches are allowed."), count)
		}
		return Partly, join(count, T("Aucun accès anonyme aux services servis (web, API, LDAP, OIDC, CAS, partages de fichiers web et WebDAV) ; l’accès à Internet et au Wi-Fi relève de services non disponibles dans cette version.",
			"No anonymous access to the services served (web, API, LDAP, OIDC, CAS, web and WebDAV file shares); internet and Wi-Fi access belong to services not available in this version."))
	},
	"INF-ANN-2": func(f *Facts, q Requirement) (Status, Text) {
		if !f.Config.LDAPListening {
			return Partly, T("API JSON paginée /api/v1/people filtrée selon les droits ; aucun port LDAP configuré.",
				"Paginated JSON API /api/v1/people filtered by rights; no LDAP listener configured.")
		}
		return Met, T("Serveur LDAPv3 (StartTLS, LDAPS, recherche paginée ; inetOrgPerson, posixAccount, groupOfNames) et API JSON paginée /api/v1/people, filtrés selon les droits de l’appelant.",
			"LDAPv3 server (StartTLS, LDAPS, paged search; inetOrgPerson, posixAccount, groupOfNames) and paginated JSON API /api/v1/people, filtered by the caller’s rights.")
	},
	"INF-ANN-3": func(f *Facts, q Requirement) (Status, Text) {
		conn := T("Connecteurs : SIECLE, STS-Web, AAF complet et delta, Structures, Nomenclature, CSV, LDIF ; essai à blanc, modes complet et partiel ; exports LDIF, CSV, OneRoster sans secret.",
			"Connectors: SIECLE, STS-Web, AAF full and delta, Structures, Nomenclature, CSV, LDIF; dry run, full and partial modes; LDIF, CSV, OneRoster exports without secrets.")
		var last []Text
		var never []string
		for _, e := range f.Establishments {
			runs := f.Imports[e.ID]
			if len(runs) == 0 {
				never = append(never, e.UAI)
				continue
			}
			d := day(runs[0].At)
			last = append(last, T(fmt.Sprintf("%s : dernier import %s le %s", e.UAI, runs[0].Source, d.FR),
				fmt.Sprintf("%s: last %s import on %s", e.UAI, runs[0].Source, d.EN)))
		}
		if len(f.Establishments) == 0 {
			return Partly, join(noEstablishment, conn)
		}
		if len(never) > 0 {
			return Partly, join(T(fmt.Sprintf("Aucun import d’annuaire pour : %s (comptes saisis à la main).", strings.Join(never, ", ")),
				fmt.Sprintf("No directory import for: %s (accounts entered by hand).", strings.Join(never, ", "))), conn)
		}
		l := list(last)
		return Met, join(T(l.FR+".", l.EN+"."), conn)
	},
	"INF-ANN-4": func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Chaque modification et chaque tentative refusée est journalisée dans la même transaction (auteur, canal, source, cible, attributs, résultat).",
			"Every change and every refused attempt is journaled in the same transaction (actor, channel, source, target, attributes, result).")
		return journalStatus(f, mech, NotMet)
	},
	"INF-ANN-5": func(f *Facts, q Requirement) (Status, Text) {
		if f.Config.AllowPlainBindRemote {
			return NotMet, T("[ldap] allow_plain_bind_remote est activé : des mots de passe peuvent circuler en clair hors de la boucle locale.",
				"[ldap] allow_plain_bind_remote is on: passwords may travel in clear beyond loopback.")
		}
		return Met, join(T("LDAPS et StartTLS ; liaisons simples sans TLS refusées hors boucle locale ; web, API et dépôts de fichiers d’import en HTTPS uniquement.",
			"LDAPS and StartTLS; simple binds without TLS refused beyond loopback; web, API and import uploads over HTTPS only."), certificate(f))
	},
	"INF-ANN-6": fixed(Met, "Les imports lisent une liste blanche d’attributs : le reste est écarté à la lecture et seulement compté, jamais stocké.",
		"Imports read an allow-list of attributes: everything else is dropped while reading and only counted, never stored."),
	"INF-ANN-7": func(f *Facts, q Requirement) (Status, Text) {
		// Organisational like every [S] row: the formalities are the
		// establishment's. The evidence names any generic source imported
		// without a declaration (imports refuse one now; an older run may
		// remain) and lists the declared ones with their reference.
		var undeclared, declared []string
		for _, e := range f.Establishments {
			for _, r := range f.Imports[e.ID] {
				src := strings.ToLower(r.Source)
				if directory.IsNationalSource(src) {
					continue
				}
				ok := slices.ContainsFunc(f.Sources[e.ID], func(d directory.SourceDeclaration) bool { return d.Source == src })
				if k := e.UAI + " " + strings.ToUpper(src); !ok && !slices.Contains(undeclared, k) {
					undeclared = append(undeclared, k)
				}
			}
			for _, d := range f.Sources[e.ID] {
				declared = append(declared, fmt.Sprintf("%s %s (%s)", e.UAI, strings.ToUpper(d.Source), d.Reference))
			}
		}
		base := T("Les connecteurs intégrés couvrent les sources nationales (SIECLE, STS-Web, AAF, BE1D) ; un import CSV ou LDIF est refusé tant que l’établissement n’a pas enregistré sa justification et la référence de sa formalité CNIL.",
			"Built-in connectors cover the national sources (SIECLE, STS-Web, AAF, BE1D); a CSV or LDIF import is refused until the establishment has recorded its justification and CNIL formality reference.")
		if len(undeclared) > 0 {
			u := strings.Join(undeclared, ", ")
			return Organisational, join(base, T("À régulariser : sources génériques importées sans déclaration : "+u+".",
				"To put right: generic sources imported without a declaration: "+u+"."))
		}
		if len(declared) > 0 {
			l := strings.Join(declared, ", ")
			return Organisational, join(base, T("Sources génériques déclarées : "+l+".", "Generic sources declared: "+l+"."))
		}
		return Organisational, join(base, T("Aucune source générique déclarée.", "No generic source declared."))
	},
	"INF-ANN-8": fixed(Met, "Le schéma n’a aucun attribut de date de naissance, téléphone, adresse ou responsable légal ; les imports les écartent, l’API et LDAP les refusent par leur nom ; les mots de passe initiaux sont aléatoires.",
		"The schema has no birth date, phone, address or guardian attribute; imports drop them, the API and LDAP refuse them by name; initial passwords are random."),
	"INF-ANN-n1": func(f *Facts, q Requirement) (Status, Text) {
		var none []string
		for _, e := range f.Establishments {
			if f.Accounts[e.ID].Heads == 0 {
				none = append(none, e.UAI)
			}
		}
		c := sumAccounts(f)
		t := T(fmt.Sprintf("Responsable des données : le chef d’établissement ou directeur (%d comptes de direction).", c.Heads),
			fmt.Sprintf("Data controller: the head of the establishment (%d head accounts).", c.Heads))
		if len(none) > 0 {
			t = join(t, T("Aucun compte de direction pour : "+strings.Join(none, ", ")+".", "No head account for: "+strings.Join(none, ", ")+"."))
		}
		if f.Privacy == nil {
			return Organisational, join(t, T("Registre des délégués et page de confidentialité non lus pour ce rapport.",
				"Delegate register and privacy page not read for this report."))
		}
		var unnamed []string
		delegates := 0
		for _, e := range f.Establishments {
			rec := f.Privacy[e.ID]
			if !rec.Controller {
				unnamed = append(unnamed, e.UAI)
			}
			delegates += rec.Delegates
		}
		t = join(t, T(fmt.Sprintf("Page « Protection des données » (/privacy) montrée à tous ; %d délégation(s) en cours ; chaque changement est journalisé.", delegates),
			fmt.Sprintf("Privacy page (/privacy) shown to everyone; %d delegation(s) in force; every change is journaled.", delegates)))
		// An [S] requirement stays organisational: the evidence says what
		// the establishment still has to enter.
		if len(unnamed) > 0 {
			t = join(t, T("Responsable des données non renseigné (Administration › Protection des données) pour : "+strings.Join(unnamed, ", ")+".",
				"Data controller not entered (Administration › Data protection) for: "+strings.Join(unnamed, ", ")+"."))
		} else {
			t = join(t, T("Responsable des données renseigné pour chaque établissement.", "Data controller entered for every establishment."))
		}
		return Organisational, t
	},
}

// journalStatus assesses a requirement that rests on the journal: met when
// every chain verifies, bad when one does not, partly when not verified.
func journalStatus(f *Facts, mech Text, bad Status) (Status, Text) {
	last := day(f.LastEntry)
	lastT := T("Dernière entrée : "+last.FR+".", "Last entry: "+last.EN+".")
	switch {
	case f.Journal == nil:
		return Partly, join(mech, T("Chaînage du journal non vérifié pour ce rapport.", "Journal chain not verified for this report."), lastT)
	case len(f.Journal.Problems) > 0:
		var ps []string
		for _, p := range f.Journal.Problems {
			ps = append(ps, p.What)
		}
		p := strings.Join(ps, "; ")
		return bad, join(T(fmt.Sprintf("Le journal ne se vérifie pas (%d chaînes sur %d) : %s.", len(f.Journal.Problems), f.Journal.Chains, p),
			fmt.Sprintf("The journal does not verify (%d of %d chains): %s.", len(f.Journal.Problems), f.Journal.Chains, p)), mech)
	}
	when := Text{}
	if !f.Journal.At.IsZero() && f.Now.Sub(f.Journal.At) > time.Minute {
		d := day(f.Journal.At)
		when = T("(vérification du "+d.FR+")", "(verified on "+d.EN+")")
	}
	return Met, join(mech, T(fmt.Sprintf("Journal chaîné vérifié : %d entrées dans %d chaînes.", f.Journal.Entries, f.Journal.Chains),
		fmt.Sprintf("Hash-chained journal verified: %d entries in %d chains.", f.Journal.Entries, f.Journal.Chains)), when, lastT)
}

// certificate describes the TLS certificate in use.
func certificate(f *Facts) Text {
	if f.Config.OperatorCertificate {
		return T("Certificat TLS fourni par l’exploitant.", "TLS certificate provided by the operator.")
	}
	return T("Certificat TLS émis par l’autorité de certification propre à Préau (téléchargeable depuis le portail).",
		"TLS certificate issued by Préau’s own certificate authority (downloadable from the portal).")
}
