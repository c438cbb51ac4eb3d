// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
)

// rightsRules cover the head's rights (grants, zone-bound rights) and the
// break-glass road to private content: the mechanisms exist, the services
// that use them mostly do not, and the evidence counts what is in force.
var rightsRules = map[string]rule{
	"INF-SEC-n3": func(f *Facts, q Requirement) (Status, Text) {
		return Partly, join(T("Le chef d’établissement est la racine des droits : lui seul (ou un opérateur) attribue et retire les droits, à une personne ou à un groupe, datés et journalisés ; un administrateur technique ne le peut pas, même pour lui-même. Désactiver un compte ferme ses sessions.",
			"The head is the root of rights: only they (or an operator) grant and revoke rights, to a person or a group, dated and journaled; a technical admin cannot, not even to themself. Disabling an account ends its sessions."),
			allGrants(f),
			T("Suspension sur les services non disponibles à venir.", "Suspension on the services not yet available to come."))
	},
	"INF-DIF-5":  grantRule(core.RightSignagePublish, Partly),
	"UTI-MSG-12": grantRule(core.RightSMSSend, Partly),
	"UTI-PUB-6":  grantRule(core.RightPublishPublic, NotMet),
	"INF-DIF-1":  adminZoneRule(core.RightSignagePublish),
	"UTI-MSG-13": adminZoneRule(core.RightSMSSend),
	"UTI-ESF-8": breakGlassRule(breakglass.ScopeFiles, false, Met,
		T("Le stockage de fichiers passe par cet accès : sans fenêtre approuvée, un dossier ou fichier PERSONNEL/PRIVÉ reste invisible des administrateurs, et chaque ouverture sous une fenêtre est journalisée.",
			"File storage goes through this access: without an approved window, a PERSONNEL/PRIVÉ folder or file stays invisible to administrators, and every opening under a window is journaled.")),
	"MCO-SVG-11": breakGlassRule(breakglass.ScopeBackup, false, Met,
		T("Les sauvegardes sont chiffrées pour une clé de secours que le serveur ne garde pas (éventuellement partagée entre deux personnes) : vérifier, purger ou recevoir une sauvegarde ne donne accès à aucun contenu ; une restauration sélective exige la clé et un motif (demande de la personne, réquisition), journalisé.",
			"Backups are encrypted to a recovery key the server does not keep (optionally split between two people): checking, pruning or receiving a backup gives access to no content; a selective restore needs the key and a reason (the person’s request, a judicial request), journaled.")),
	"MCO-JAL-6": breakGlassRule(breakglass.ScopeLogs, true, Met,
		T("Les journaux appliquent la même règle : une recherche ou un export pouvant identifier une personne est refusé sans justification (incident, réquisition judiciaire ou accord de la personne), et chaque recherche est journalisée avant qu’un enregistrement soit montré.",
			"Logs apply the same rule: a search or export that may identify a person is refused without a justification (incident, judicial request or the person’s consent), and every search is journaled before any record is shown.")),
	"MCO-SEI-7": breakGlassRule(breakglass.ScopeMonitor, true, Partly,
		T("La supervision ne collecte aucun contenu privé : ses chiffres sont des agrégats, et les demandes d’assistance ne sont lues que par les administrateurs de l’établissement, chaque étape journalisée.",
			"Supervision collects no private content: its figures are aggregates, and helpdesk requests are read only by the establishment’s administrators, every step journaled.")),
}

// headOnly is the mechanism of a head-granted right.
func headOnly(r core.Right) Text {
	return T(fmt.Sprintf("Seul le chef d’établissement (ou un opérateur) attribue et retire le droit %s, à une personne ou à un groupe, daté et journalisé ; la direction le détient d’office.", r),
		fmt.Sprintf("Only the head (or an operator) grants and revokes the %s right, to a person or a group, dated and journaled; heads hold it by office.", r))
}

// grantRule is a [P] requirement met by a right only the head grants,
// whose service is missing: st with the grants of r in force.
func grantRule(r core.Right, st Status) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		return st, join(headOnly(r), grantCount(f, r), unavailable(q.Service))
	}
}

// grantCount counts the grants of r in force in each establishment of the
// scope, to people and to groups, and names who granted them.
func grantCount(f *Facts, r core.Right) Text {
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	var out []Text
	var none []string
	for _, e := range f.Establishments {
		people, groups := 0, 0
		var by []string
		for _, g := range f.Grants[e.ID] {
			if g.Right != r {
				continue
			}
			if g.GroupID != "" {
				groups++
			} else {
				people++
			}
			if g.GrantedBy != "" && !slices.Contains(by, g.GrantedBy) {
				by = append(by, g.GrantedBy)
			}
		}
		if people+groups == 0 {
			none = append(none, e.UAI)
			continue
		}
		b := strings.Join(by, ", ")
		n := count(people+groups, "attribution", "attributions", "grant", "grants")
		out = append(out, T(fmt.Sprintf("%s : %s de %s en vigueur (%d à des personnes, %d à des groupes), par %s.", e.UAI, n.FR, r, people, groups, b),
			fmt.Sprintf("%s: %s of %s in force (%d to people, %d to groups), by %s.", e.UAI, n.EN, r, people, groups, b)))
	}
	if len(none) > 0 {
		n := strings.Join(none, ", ")
		out = append(out, T(fmt.Sprintf("Aucune attribution de %s en vigueur pour %s : seule la direction le détient.", r, n),
			fmt.Sprintf("No grant of %s in force for %s: only the head holds it.", r, n)))
	}
	return join(out...)
}

// allGrants counts the grants in force per right over the scope.
func allGrants(f *Facts) Text {
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	perRight := map[core.Right]int{}
	var by []string
	total := 0
	for _, e := range f.Establishments {
		for _, g := range f.Grants[e.ID] {
			perRight[g.Right]++
			total++
			if g.GrantedBy != "" && !slices.Contains(by, g.GrantedBy) {
				by = append(by, g.GrantedBy)
			}
		}
	}
	if total == 0 {
		return T("Aucune attribution de droit en vigueur : seule la direction détient les droits de l’établissement.",
			"No grant in force: only the head holds the establishment’s rights.")
	}
	var parts []string
	for _, r := range core.KnownRights {
		if perRight[r] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, perRight[r]))
		}
	}
	p, b := strings.Join(parts, ", "), strings.Join(by, ", ")
	n := count(total, "attribution", "attributions", "grant", "grants")
	return T(fmt.Sprintf("%s en vigueur (%s), par %s.", n.FR, p, b),
		fmt.Sprintf("%s in force (%s), by %s.", n.EN, p, b))
}

// adminZoneRule is a [P] requirement that binds right r to the
// administrative zone (core.RequiredZone): the gate exists, the service is
// missing; the evidence says where the admin zone is defined.
func adminZoneRule(r core.Right) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		z := core.RequiredZone(r)
		gate := T(fmt.Sprintf("La porte est en place : le droit %s n’est utilisable que depuis la zone réseau %s, quelle que soit l’attribution, direction comprise ; la zone d’une requête vient de son adresse source.", r, z),
			fmt.Sprintf("The gate is in place: the %s right can only be used from the %s network zone, whatever the grant says, heads included; a request’s zone comes from its source address.", r, z))
		return Partly, join(gate, zoneState(f, z, r), proxies(f), grantCount(f, r), unavailable(q.Service))
	}
}

// zoneState says, per establishment in scope, whether zone z is defined and
// with which ranges, and that right r is unusable where it is not.
func zoneState(f *Facts, z string, r core.Right) Text {
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	var out []Text
	var without []string
	for _, e := range f.Establishments {
		ranges := f.ZoneRanges[e.ID][z]
		if len(ranges) == 0 {
			without = append(without, e.UAI)
			continue
		}
		rs := prefixes(ranges)
		out = append(out, T(fmt.Sprintf("%s : zone %s définie (%s).", e.UAI, z, rs), fmt.Sprintf("%s: %s zone defined (%s).", e.UAI, z, rs)))
	}
	if len(without) > 0 {
		w := strings.Join(without, ", ")
		if len(without) == len(f.Establishments) {
			out = append(out, T(fmt.Sprintf("Aucune zone %s n’est définie (%s) : le droit %s ne peut être utilisé par personne, pas même la direction ; définissez-la (preau init --uai UAI --zone %s=CIDR).", z, w, r, z),
				fmt.Sprintf("No %s zone is defined (%s): the %s right cannot be used by anyone, not even the head; define it (preau init --uai UAI --zone %s=CIDR).", z, w, r, z)))
		} else {
			out = append(out, T(fmt.Sprintf("Aucune zone %s définie pour %s : le droit %s n’y est utilisable par personne.", z, w, r),
				fmt.Sprintf("No %s zone defined for %s: the %s right cannot be used by anyone there.", z, w, r)))
		}
	}
	return join(out...)
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// proxies says whose X-Forwarded-For header the zones believe.
func proxies(f *Facts) Text {
	if len(f.Config.TrustedProxies) == 0 {
		return T("En-tête X-Forwarded-For ignoré (aucun mandataire de confiance) : la zone vient de l’adresse de la connexion.",
			"X-Forwarded-For header ignored (no trusted proxy): the zone comes from the connection’s address.")
	}
	p := strings.Join(f.Config.TrustedProxies, ", ")
	return T(fmt.Sprintf("En-tête X-Forwarded-For cru seulement des mandataires de confiance %s ([web] trusted_proxies) : vérifiez que nul autre ne peut s’y placer.", p),
		fmt.Sprintf("X-Forwarded-For header believed only from the trusted proxies %s ([web] trusted_proxies): check that no one else can sit there.", p))
}

var scopeNames = map[breakglass.Scope]Text{
	breakglass.ScopeFiles: T("fichiers", "files"), breakglass.ScopeMail: T("messagerie", "mail"),
	breakglass.ScopeLogs: T("journaux", "logs"), breakglass.ScopeBackup: T("sauvegardes", "backups"),
	breakglass.ScopeMonitor: T("supervision", "supervision"),
}

// breakGlassRule is a [P] requirement met by the break-glass road for
// scope: st, with how the service applies it and the requests of the last
// year. adminCharter adds the state of the admin charter, which the
// requirement names.
func breakGlassRule(scope breakglass.Scope, adminCharter bool, st Status, how Text) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Accès exceptionnel (bris de glace), seule voie d’un administrateur vers un contenu privé : demande avec sa base légale (accord écrit de la personne ou réquisition judiciaire), approbation par la direction, jamais par le demandeur, fenêtre de 15 min à 72 h, chaque étape et chaque accès journalisés, la personne avertie.",
			"Break-glass access, an administrator’s only road to private content: a request with its legal basis (the person’s written consent or a judicial request), the head’s approval, never the requester’s, a window of 15 min to 72 h, every step and every access journaled, the person told.")
		c := f.BreakGlass
		sn := scopeNames[scope]
		atFR, atEN := "", ""
		if c.Truncated {
			atFR, atEN = "au moins ", "at least "
		}
		req := count(c.Requests, "demande", "demandes", "request", "requests")
		approved := count(c.Approved, "approuvée", "approuvées", "approved", "approved")
		refused := count(c.Refused, "refusée", "refusées", "refused", "refused")
		uses := count(c.Uses, "accès", "accès", "access", "accesses")
		open := count(c.InForce, "fenêtre ouverte", "fenêtres ouvertes", "window open", "windows open")
		counts := T(fmt.Sprintf("Sur les 12 derniers mois : %s%s, %s par la direction, %s, %s au contenu (dont %d de portée %s) ; %s en ce moment.",
			atFR, req.FR, approved.FR, refused.FR, uses.FR, c.UsesBy[scope], sn.FR, open.FR),
			fmt.Sprintf("Over the last 12 months: %s%s, %s by the head, %s, %s to content (%d of scope %s); %s now.",
				atEN, req.EN, approved.EN, refused.EN, uses.EN, c.UsesBy[scope], sn.EN, open.EN))
		t := join(mech, how, counts)
		if adminCharter {
			t = join(t, documentState(f, charter.KindAdminCharte))
		}
		return st, t
	}
}

// count writes n with the singular or plural of its noun: French takes the
// singular for 0 and 1, English for 1 only.
func count(n int, frOne, frMany, enOne, enMany string) Text {
	fr, en := frMany, enMany
	if n <= 1 {
		fr = frOne
	}
	if n == 1 {
		en = enOne
	}
	return T(fmt.Sprintf("%d %s", n, fr), fmt.Sprintf("%d %s", n, en))
}
