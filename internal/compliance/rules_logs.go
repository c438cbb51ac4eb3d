// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
)

// LogFacts are the log service's facts (MCO-JAL), from the bootstrap
// configuration and the retention settings.
type LogFacts struct {
	Enabled   bool                          // the log store runs ([logs] disabled = false)
	ForwardTo string                        // central syslog-TLS collector ([logs] forward_to), "" when none
	Retention map[string]map[logs.Class]int // days kept per class, by establishment ID (settings or class defaults)
}

// Logs gives the log facts of the establishments ests.
type Logs interface {
	LogFacts(ctx context.Context, ests []string) (*LogFacts, error)
}

// MonitorFacts are the supervision's facts (MCO-SEI) for the report's
// establishments: counts only, no person.
type MonitorFacts struct {
	Targets       int // checks declared and enabled
	Down          int // of them, down now
	OpenIncidents int // open or acknowledged
	OpenRequests  int // users' requests not resolved
}

// Monitor gives the supervision facts of the establishments ests.
type Monitor interface {
	MonitorFacts(ctx context.Context, ests []string) (*MonitorFacts, error)
}

// logsOff is the evidence when the log store does not run.
var logsOff = T("Le magasin de journaux est désactivé ([logs] disabled) : aucun journal technique n’est collecté ni conservé.",
	"The log store is disabled ([logs] disabled): no technical log is collected or kept.")

func logsOn(f *Facts) bool { return f.Logs != nil && f.Logs.Enabled }

// logRule is a [P] requirement of the log service: not met while the log
// store is disabled, else st with the evidence.
func logRule(st Status, fr, en string, more ...func(*Facts) Text) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		if !logsOn(f) {
			return NotMet, logsOff
		}
		t := T(fr, en)
		for _, m := range more {
			t = join(t, m(f))
		}
		return st, t
	}
}

var classNames = map[logs.Class]Text{
	logs.ClassConnection: T("connexion", "connection"), logs.ClassSystem: T("système", "system"),
	logs.ClassSecurity: T("sécurité", "security"),
}

// logRetention states the days each log class is kept, per establishment
// of the scope (establishments with the same durations share a line).
func logRetention(f *Facts) Text {
	if !logsOn(f) {
		return logsOff
	}
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	var order []string
	by := map[string][]string{}
	texts := map[string]Text{}
	for _, e := range f.Establishments {
		var fr, en []string
		for _, r := range logs.Rules {
			d, ok := f.Logs.Retention[e.ID][r.Class]
			if !ok {
				d = r.Default
			}
			fr = append(fr, fmt.Sprintf("%s %d j", classNames[r.Class].FR, d))
			en = append(en, fmt.Sprintf("%s %d days", classNames[r.Class].EN, d))
		}
		k := strings.Join(en, ", ")
		if _, ok := by[k]; !ok {
			order = append(order, k)
			texts[k] = T(strings.Join(fr, ", "), k)
		}
		by[k] = append(by[k], e.UAI)
	}
	var out []Text
	for _, k := range order {
		out = append(out, T(fmt.Sprintf("%s (%s)", texts[k].FR, strings.Join(by[k], ", ")), fmt.Sprintf("%s (%s)", texts[k].EN, strings.Join(by[k], ", "))))
	}
	l := list(out)
	return T("Durées de conservation des journaux en vigueur : "+l.FR+".", "Log retention in force: "+l.EN+".")
}

// strongFor says whether the configuration asks a second factor of any of
// the profiles or rights names.
func strongFor(f *Facts, names ...string) bool {
	return slices.ContainsFunc(f.Config.StrongFor, func(s string) bool { return slices.Contains(names, s) })
}

// logRules assess MCO-JAL from the log service's settings.
var logRules = map[string]rule{
	"MCO-JAL-1": logRule(Met, "Format commun : chaque service de Préau écrit des enregistrements normalisés (horodatage UTC, classe, établissement, hôte, application, utilisateur, message, champs) ; les équipements envoient en syslog (RFC 5424 ou RFC 3164 tel que les équipements l’émettent, UDP, TCP ou TLS RFC 5425), lus dans ce même format ; export en RFC 5424, CSV ou JSON.",
		"Common format: every Préau service writes standard records (UTC time, class, establishment, host, application, user, message, fields); equipment sends syslog (RFC 5424, or RFC 3164 as devices send it, over UDP, TCP or TLS RFC 5425), read into the same format; export as RFC 5424, CSV or JSON."),
	"MCO-JAL-2": logRule(Met, "Purge quotidienne de segments scellés entiers après leur durée de conservation, bornée par la loi pour chaque classe ; « preau logs stats » projette la taille de chaque flux sur sa durée de conservation.",
		"Daily purge of whole sealed segments past their retention, bounded by law for each class; “preau logs stats” projects each stream’s size over its retention.",
		logRetention, func(*Facts) Text {
			return T("Alertes disque à 85 % et 95 % d’occupation ; au-delà, scellement d’urgence et purge de ce qui a dépassé sa durée de conservation.",
				"Disk alerts at 85% and 95% used; beyond, emergency sealing and a purge of what is past its retention.")
		}),
	"MCO-JAL-3": logRule(Partly, "« preau logs archive » écrit une archive tar des segments scellés d’une période avec un index signé, chiffrée pour un destinataire age si demandé, à copier sur un support externe ou écrite directement dans un bucket S3 ; « preau logs verify --archive » la vérifie hors ligne.",
		"“preau logs archive” writes a tar of a period’s sealed segments with a signed index, optionally encrypted for an age recipient, to copy to external media or written straight to an S3 bucket; “preau logs verify --archive” checks it offline.",
		func(*Facts) Text {
			return T("Manque : archives programmées.",
				"Missing: scheduled archives.")
		}),
	"MCO-JAL-5": logRule(Partly, "Le chef d’établissement décide qui consulte (droit logs.read, daté et journalisé) ; toute recherche pouvant identifier une personne exige une justification (incident, réquisition, accord) et chaque recherche ou export est journalisé.",
		"The head decides who consults (the logs.read right, dated and journaled); any search that may identify a person needs a justification (incident, judicial request, consent) and every search or export is journaled.",
		func(f *Facts) Text { return grantCount(f, core.RightLogsRead) },
		func(*Facts) Text {
			return T("Manque : requêtes enregistrées et rapports périodiques.", "Missing: saved queries and scheduled reports.")
		}),
	"MCO-JAL-7": func(f *Facts, q Requirement) (Status, Text) {
		if !logsOn(f) {
			return NotMet, logsOff
		}
		return Met, T("La page /admin/logs n’est ouverte qu’aux administrateurs de l’établissement et aux titulaires du droit logs.read accordé par la direction, toujours avec une authentification forte, quel que soit le réglage [auth] strong_for ; les enseignants et les élèves sont refusés.",
			"The /admin/logs page opens only to the establishment’s administrators and to holders of the logs.read right the head grants, always with strong authentication whatever [auth] strong_for says; teachers and pupils are refused.")
	},
	"MCO-JAL-8": func(f *Facts, q Requirement) (Status, Text) {
		if !logsOn(f) {
			return NotMet, logsOff
		}
		mech := T("Transfert vers un site central en syslog sur TLS (RFC 5425) avec authentification mutuelle obligatoire ; chaque segment est vérifié (signature, SHA-256, chaînage) avant envoi, un segment altéré est refusé, et la chaîne est vérifiable à l’arrivée.",
			"Forwarding to a central site over syslog-TLS (RFC 5425) with mandatory mutual authentication; every segment is verified (signature, SHA-256, chain) before it goes, an altered one is refused, and the chain can be checked on arrival.")
		where := T("Aucun transfert configuré : les journaux restent dans l’établissement.", "No forwarding configured: logs stay in the establishment.")
		if f.Logs.ForwardTo != "" {
			where = T(fmt.Sprintf("Journaux transférés vers %s.", f.Logs.ForwardTo), fmt.Sprintf("Logs forwarded to %s.", f.Logs.ForwardTo))
		}
		return Met, join(mech, where)
	},
	"MCO-JAL-n1": logRule(Met, "Extraction automatique : transfert continu vers un collecteur central (RFC 5425), export CSV, JSON ou RFC 5424 (« preau logs search --format »), archives signées (« preau logs archive ») ; segments compressés (zstd) ; purge quotidienne selon les durées de conservation.",
		"Automatic extraction: continuous forwarding to a central collector (RFC 5425), CSV, JSON or RFC 5424 export (“preau logs search --format”), signed archives (“preau logs archive”); compressed segments (zstd); daily purge by retention."),
	"MCO-JAL-n2": func(f *Facts, q Requirement) (Status, Text) {
		return Organisational, join(retention(f), logRetention(f),
			T("Le rapport et la page /admin/logs donnent au chef d’établissement les durées en vigueur et leur base légale ; « preau logs verify » prouve l’intégrité des journaux conservés.",
				"The report and the /admin/logs page give the head the durations in force and their legal basis; “preau logs verify” proves the kept logs’ integrity."))
	},
}

// monitorCounts states the supervision's live counts.
func monitorCounts(f *Facts) Text {
	m := f.Monitor
	if m == nil {
		return Text{}
	}
	return T(fmt.Sprintf("%s, dont %d en panne ; %s ; %s.",
		count(m.Targets, "contrôle déclaré", "contrôles déclarés", "", "").FR, m.Down,
		count(m.OpenIncidents, "incident non résolu", "incidents non résolus", "", "").FR,
		count(m.OpenRequests, "demande d’assistance en cours", "demandes d’assistance en cours", "", "").FR),
		fmt.Sprintf("%s, %d of them down; %s; %s.",
			count(m.Targets, "", "", "check declared", "checks declared").EN, m.Down,
			count(m.OpenIncidents, "", "", "unresolved incident", "unresolved incidents").EN,
			count(m.OpenRequests, "", "", "open helpdesk request", "open helpdesk requests").EN))
}

// monitorRule is a [P] requirement of the supervision: st with the
// mechanism and the live counts.
func monitorRule(st Status, fr, en string, missing ...string) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		t := join(T(fr, en), monitorCounts(f))
		if len(missing) == 2 {
			t = join(t, T("Manque : "+missing[0], "Missing: "+missing[1]))
		}
		return st, t
	}
}

// monitorRules assess MCO-SEI.
var monitorRules = map[string]rule{
	"MCO-SEI-1": monitorRule(Partly, "Contrôles actifs (ping, TCP, HTTP(S) et certificat, DNS, TLS, écoute syslog) et auto-contrôles de Préau, état en temps réel et alternance détectée ; espace disque et croissance des données sur le tableau de bord et en métriques Prometheus (/metrics).",
		"Active checks (ping, TCP, HTTP(S) and certificate, DNS, TLS, syslog listener) and Préau’s self-checks, live state and flapping detected; disk space and data growth on the dashboard and as Prometheus metrics (/metrics).",
		"interrogation SNMP et agent sur les postes et serveurs ; débit et usage du filtrage.", "SNMP polling and agents on workstations and servers; bandwidth and filtering usage."),
	"MCO-SEI-2": monitorRule(Met, "Une panne ouvre un incident (chronologie : détection, alerte, prise en charge, notes, rétablissement) ; alertes par courriel et webhook signé ; le délai de rétablissement est comparé à l’objectif inscrit pour chaque contrôle ; chaque étape est journalisée.",
		"A failure opens an incident (timeline: detection, alert, acknowledgement, notes, recovery); alerts by mail and signed webhook; the time to restore is compared with each check’s stated target; every step is journaled."),
	"MCO-SEI-3": monitorRule(Partly, "Chacun dépose une demande d’assistance depuis le portail (/requests) ; les administrateurs la prennent, répondent et la résolvent ; le demandeur est avisé à chaque étape ; délais moyens par catégorie au tableau de bord.",
		"Everyone files a helpdesk request from the portal (/requests); administrators take, answer and resolve it; the requester is told at each step; mean delays per category on the dashboard.",
		"engagements de délai par catégorie et base de connaissances.", "per-category response commitments and a knowledge base."),
	"MCO-SEI-4": fixed(NotMet, "La console web et la ligne de commande administrent Préau à distance et, pour un opérateur, plusieurs établissements ; l’administration à distance des postes et équipements (agent, prise en main) n’est pas fournie.",
		"The web console and the command line administer Préau remotely and, for an operator, several establishments; remote administration of workstations and equipment (agent, remote control) is not provided."),
	"MCO-SEI-5": monitorRule(Met, "Tableau de bord de supervision (/admin/monitor/dashboard) : disponibilité par service, incidents et délais de rétablissement, demandes, stockage ; export CSV et JSON ; métriques Prometheus pour d’autres tableaux de bord.",
		"Supervision dashboard (/admin/monitor/dashboard): availability per service, incidents and times to restore, requests, storage; CSV and JSON export; Prometheus metrics for other dashboards."),
	"MCO-SEI-6": fixed(Met, "La direction a son tableau de bord sur l’accueil de la console (personnes, comptes, charte) et celui de la supervision pour son établissement ; un opérateur d’académie ou de collectivité voit le total et une ligne par établissement, exportable en CSV ou JSON.",
		"The head has their dashboard on the console home (people, accounts, charter) and the supervision one for their establishment; an académie or local-authority operator sees the total and one line per establishment, exportable as CSV or JSON."),
	"MCO-SEI-8": monitorRule(Partly, "Les chiffres de supervision sont des agrégats par construction (aucun champ ne peut porter une personne) : tableaux de bord, exports et métriques ne montrent ni identifiant ni nom.",
		"Supervision figures are aggregates by construction (no field can hold a person): dashboards, exports and metrics show no login or name.",
		"seuil de masquage des petits groupes.", "suppression of small groups."),
	"MCO-SEI-9": func(f *Facts, q Requirement) (Status, Text) {
		return Met, join(headOnly(core.RightMonitorRead), grantCount(f, core.RightMonitorRead),
			T("La supervision n’ouvre ses données qu’aux titulaires de ce droit et aux administrateurs de l’établissement.",
				"Supervision opens its data only to holders of this right and the establishment’s administrators."))
	},
	"MCO-SEI-10": func(f *Facts, q Requirement) (Status, Text) {
		if strongFor(f, "admin", "monitor") {
			return Met, T("Les pages de supervision exigent une authentification forte ([auth] strong_for : "+strings.Join(f.Config.StrongFor, ", ")+").",
				"Supervision pages require strong authentication ([auth] strong_for: "+strings.Join(f.Config.StrongFor, ", ")+").")
		}
		return Partly, T("Attention : [auth] strong_for ne nomme ni admin ni monitor : les pages de supervision s’ouvrent sans second facteur.",
			"Warning: [auth] strong_for names neither admin nor monitor: supervision pages open without a second factor.")
	},
}
