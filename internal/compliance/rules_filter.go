// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"context"
	"fmt"
	"time"
)

// FilterFacts are the content filter's facts (INF-SEC): the last import of
// the UT1 lists and whether this node serves the proxy and the DNS filter.
type FilterFacts struct {
	ListsAt    time.Time // last lists import; zero: none
	Source     string    // where it came from (URL, file)
	Categories int
	Domains    int
	URLs       int
	Proxy      bool // the filtering proxy listens (plain or TLS)
	DNS        bool // the filtering DNS resolver listens
}

// Filter gives the content filter's facts (the app).
type Filter interface {
	FilterFacts(ctx context.Context) (*FilterFacts, error)
}

// FilterListsMaxAge is how old the UT1 lists may be before INF-SEC-8 is
// only partly met: UT1 publishes daily, and the filter-lists self-check
// fails past the same age.
const FilterListsMaxAge = 14 * 24 * time.Hour

// filterDoors says which of the filter's doors this node serves.
func filterDoors(f *Facts) Text {
	switch {
	case f.Filter == nil:
		return Text{}
	case f.Filter.Proxy && f.Filter.DNS:
		return T("Ce serveur sert le proxy filtrant authentifié et le résolveur DNS filtrant.",
			"This server serves the authenticated filtering proxy and the filtering DNS resolver.")
	case f.Filter.Proxy:
		return T("Ce serveur sert le proxy filtrant authentifié ; le résolveur DNS filtrant est désactivé.",
			"This server serves the authenticated filtering proxy; the filtering DNS resolver is off.")
	case f.Filter.DNS:
		return T("Ce serveur sert le résolveur DNS filtrant ; le proxy filtrant est désactivé.",
			"This server serves the filtering DNS resolver; the filtering proxy is off.")
	}
	return T("Attention : le proxy filtrant et le résolveur DNS filtrant sont désactivés sur ce serveur.",
		"Warning: the filtering proxy and the filtering DNS resolver are both off on this server.")
}

// filterOff reports whether this node serves neither filtering door.
func filterOff(f *Facts) bool { return f.Filter != nil && !f.Filter.Proxy && !f.Filter.DNS }

// filterRules cover the filtered internet access (INF-SEC and the rows of
// other services the filter answers).
var filterRules = map[string]rule{
	"INF-SEC-1": func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Filtrage du web par un proxy authentifié (chaque requête liée à une personne) et par un résolveur DNS filtrant, sur les listes UT1 ; services servis en TLS, sans mot de passe par défaut.",
			"Web filtering by an authenticated proxy (every request tied to a person) and a filtering DNS resolver, on the UT1 lists; services served over TLS, with no default password.")
		missing := T("Manque : pare-feu à états (flux réseau) et admission au réseau (802.1X, portail captif, quarantaine des appareils inconnus).",
			"Missing: stateful firewall (network flows) and network admission (802.1X, captive portal, quarantine of unknown devices).")
		if filterOff(f) {
			return NotMet, join(filterDoors(f), mech, missing)
		}
		return Partly, join(mech, filterDoors(f), missing)
	},
	"INF-SEC-4": fixed(Partly, "Le filtrage de contenu (proxy et DNS) est un moteur à part, réglé par catégories UT1 bloquées ; les listes d’autorisation seules ne servent qu’aux contextes particuliers (mode examen, liste d’autorisation pour les plus jeunes), par classe, groupe ou salle et pour une durée bornée. Manque : filtrage des flux (couches 2 à 4, pare-feu) et filtrage du contenu SMTP.",
		"Content filtering (proxy and DNS) is an engine of its own, set by blocked UT1 categories; allow-lists alone serve only special contexts (exam mode, allow-list for the youngest), per class, group or room and for a bounded time. Missing: flow filtering (layers 2 to 4, firewall) and SMTP content filtering."),
	"INF-SEC-5": fixed(Met, "Les enseignants habilités et la direction définissent les contextes (mode examen, liste d’autorisation) de leurs classes ; un socle national (catégories et sites), fixé par les opérateurs de l’académie, s’applique avant toute règle locale et aucune règle, dérogation ni mode d’examen ne le lève.",
		"Authorised teachers and the head define the contexts (exam mode, allow-list) of their classes; a national layer (categories and sites), set by the académie’s operators, applies before any local rule and no rule, delegation or exam mode lifts it."),
	"INF-SEC-6": fixed(Met, "Un enseignant titulaire de la délégation ouvre ou ferme un site ou une catégorie, ou lance le mode examen, pour ses classes et groupes (/filter), pour une séance ou jusqu’à une heure : la règle prend fin d’elle-même, est journalisée avec son auteur et reste bornée par le socle national.",
		"A teacher holding the delegation opens or closes a site or a category, or starts exam mode, for their classes and groups (/filter), for a lesson or until a time: the rule ends by itself, is journaled with its author and stays bounded by the national layer."),
	"INF-SEC-7": fixed(Partly, "Modifier les règles de filtrage est un droit à part (filter.delegate), détenu par la direction qui l’accorde ; un administrateur technique ne les modifie pas sans cette attribution ; le socle national appartient aux opérateurs de l’académie ; chaque changement est journalisé avec son auteur. Manque : une interface centrale par laquelle l’académie pousse ses règles à plusieurs déploiements.",
		"Editing filtering rules is a right of its own (filter.delegate), held and granted by the head; a technical admin cannot edit them without that grant; the national layer belongs to the académie’s operators; every change is journaled with its author. Missing: a central interface through which the académie pushes its rules to several deployments."),
	"INF-SEC-8": func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Import des listes UT1 (archive ou arborescence, « preau filter fetch » vérifié par MD5SUM.LST, « preau filter import-lists », envoi sur la page /filter/lists) et téléchargement programmé par un seul serveur, vérifié par MD5SUM.LST, plus des listes personnalisées ; la supervision alerte quand elles vieillissent ou qu’un téléchargement échoue.",
			"UT1 lists import (archive or tree, “preau filter fetch” checked against MD5SUM.LST, “preau filter import-lists”, upload on the /filter/lists page) and a scheduled download by one server, checked against MD5SUM.LST, plus custom lists; supervision alerts when they get old or a download fails.")
		if f.Filter == nil || f.Filter.ListsAt.IsZero() {
			return NotMet, join(T("Aucune liste UT1 importée : seuls les sites nommés dans les règles sont filtrés.",
				"No UT1 list imported: only the sites named in rules are filtered."), mech)
		}
		l := f.Filter
		d := day(l.ListsAt)
		last := T(fmt.Sprintf("Dernier import le %s (%s) : %d catégories, %d domaines, %d URL.", d.FR, l.Source, l.Categories, l.Domains, l.URLs),
			fmt.Sprintf("Last import on %s (%s): %d categories, %d domains, %d URLs.", d.EN, l.Source, l.Categories, l.Domains, l.URLs))
		if age := f.Now.Sub(l.ListsAt); age > FilterListsMaxAge {
			n := int(age.Hours() / 24)
			return Partly, join(last, T(fmt.Sprintf("Listes vieilles de %d jours (plus de 14) : relancez « preau filter fetch ».", n),
				fmt.Sprintf("Lists %d days old (over 14): run “preau filter fetch” again.", n)), mech)
		}
		return Met, join(last, mech)
	},
	"INF-SEC-9": fixed(Met, "Page de réglages simple (/filter/settings) : catégories bloquées avec leurs libellés UT1, sites toujours autorisés ou bloqués, règles par classe ; appliquée en quelques secondes ; outil « Pourquoi cette adresse est-elle bloquée ? » ; droit accordé par la direction ; chaque changement journalisé avec son motif.",
		"Simple settings page (/filter/settings): blocked categories with their UT1 labels, sites always allowed or blocked, rules per class; applied within seconds; a “Why is this address blocked?” tool; right granted by the head; every change journaled with its reason."),
	"INF-SEC-10": fixed(Met, "Règles par groupe de l’annuaire (classe, groupe d’enseignement, discipline) et par salle (zone réseau), avec un ordre de résolution documenté ; l’identité vient de l’authentification au proxy.",
		"Rules per directory group (class, teaching group, discipline) and per room (network zone), with a documented resolution order; identity comes from proxy authentication."),
	"INF-SEC-11": fixed(Partly, "La supervision ouvre un incident à chaque panne, alerte par courriel et webhook, suit son acquittement, ses notes et sa résolution (journalisés) ; chacun signale un problème depuis la tuile Assistance du portail. Manque : qualification (gravité, catégorie) et escalade vers des contacts locaux et académiques configurables, et le signalement depuis la page de blocage du filtre.",
		"Supervision opens an incident for every failure, alerts by mail and webhook, tracks its acknowledgement, notes and resolution (journaled); anyone reports a problem from the portal’s Assistance tile. Missing: qualification (severity, category) and escalation to configurable local and academy contacts, and reporting from the filter’s block page."),
	"INF-SEC-12": fixed(NotMet, "Pas de console centrale de la sécurité des services (pare-feu, mises à jour) pour plusieurs établissements dans cette version ; les règles de filtrage restent un domaine de droits à part (INF-SEC-7).",
		"No central console for the services’ security (firewall, updates) across establishments in this version; filtering rules remain a separate rights domain (INF-SEC-7)."),
	"INF-SEC-n2": fixed(Partly, "Filtrage de contenu du web par le proxy et le résolveur DNS, avec le profil des élèves et un socle national qu’aucune règle locale ne lève. Manque : filtrage des flux (pare-feu) et filtrage du contenu SMTP (service de messagerie).",
		"Web content filtering by the proxy and the DNS resolver, with the pupils’ profile and a national layer no local rule lifts. Missing: flow filtering (firewall) and SMTP content filtering (mail service)."),
	"INF-AUT-n1": func(f *Facts, q Requirement) (Status, Text) {
		t := T("Le proxy filtrant n’accepte une requête qu’authentifiée auprès de l’annuaire (407 sinon) ; filtrage et journaux d’accès sont liés à l’identité. Le résolveur DNS ne connaît que le poste et sa zone. Manque : portail captif, liaison adresse–personne après connexion au portail, 802.1X.",
			"The filtering proxy accepts a request only when authenticated against the directory (407 otherwise); filtering and access records are tied to the identity. The DNS resolver only knows the device and its zone. Missing: captive portal, address binding after a portal login, 802.1X.")
		if f.Filter != nil && !f.Filter.Proxy {
			return NotMet, join(T("Le proxy filtrant est désactivé sur ce serveur.", "The filtering proxy is off on this server."), t)
		}
		return Partly, t
	},
	"UTI-REC-6": fixed(Partly, "La recherche sécurisée est imposée (profil des élèves par défaut) sur les moteurs courants, par le proxy et par le résolveur DNS, avec les règles du filtrage web. Manque : la recherche propre de Préau et les résultats fédérés passés au filtre.",
		"Safe search is forced (the pupils’ profile by default) on the common engines, by the proxy and the DNS resolver, with the web-filtering rules. Missing: Préau’s own search and federated results passed through the filter."),
}
