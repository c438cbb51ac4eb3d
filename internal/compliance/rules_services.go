// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"net/url"
	"strings"
)

// infraRules cover INF-PDT, INF-SEC, INF-DIF and the MCO services: most of
// them are services this version does not have, but some rest on facts that
// exist already (zones, grants, the journal).
var infraRules = map[string]rule{
	"INF-PDT-2": fixed(Organisational, "Choix du type de poste (lourd, léger, zéro) : hors logiciel ; rien dans Préau ne suppose des postes lourds.",
		"Choice of client type (thick, thin, zero): outside software; nothing in Préau assumes thick clients."),
	"INF-PDT-7": notYet("Côté serveur, les postes peuvent déjà s’authentifier par LDAP sur l’annuaire.",
		"On the server side, workstations can already authenticate over LDAP against the directory."),
	"INF-PDT-15": zoneRule([]string{"byod"},
		T("Portail d’enregistrement des appareils personnels non disponible dans cette version ; la charte type n’a pas de clause sur les appareils personnels : l’établissement l’ajoute à sa charte.",
			"Personal device registration portal not available in this version; the model charter has no clause on personal devices: the establishment adds one to its charter."),
		T("Définissez une zone byod (preau init --uai UAI --zone byod=CIDR) pour séparer les appareils personnels.",
			"Define a byod zone (preau init --uai UAI --zone byod=CIDR) to keep personal devices apart.")),
	"INF-SEC-n1": func(f *Facts, q Requirement) (Status, Text) {
		t := join(T("Chaque service servi est pensé pour la sécurité : TLS partout, aucun mot de passe par défaut, droits minimaux, journal chaîné.",
			"Every service served takes security into account: TLS everywhere, no default password, least privilege, hash-chained journal."), certificate(f))
		if f.Config.AllowPlainBindRemote {
			t = join(t, T("Attention : liaisons LDAP en clair permises hors boucle locale.", "Warning: plain LDAP binds allowed beyond loopback."))
		}
		t = join(t, T("La sauvegarde est chiffrée pour une clé de secours hors du serveur et envoyée en ajout seul ; la supervision alerte sur les pannes et l’expiration des certificats.",
			"Backups are encrypted to a recovery key kept off the server and sent append-only; supervision alerts on failures and certificate expiry."))
		return Partly, join(t, T("Le filtrage d’internet exige une authentification au proxy, s’appuie sur un socle national verrouillé et journalise chaque changement de règle avec son auteur.",
			"Internet filtering requires proxy authentication, rests on a locked national layer and journals every rule change with its author."))
	},
	"INF-DIF-11": fixed(Organisational, "Hors logiciel : réseau de l’établissement.", "Outside software: the establishment’s network."),
	"MCO-SVG-n3": fixed(Organisational, "Rappel de ce rapport : conservez les sauvegardes dans un lieu physiquement distinct des données.",
		"Reminder from this report: keep backups in a place physically apart from the data."),
	"MCO-PAR-12": zoneRule([]string{"byod", "guest"},
		T("Politiques propres à ces zones (filtrage, débit, isolement) non disponibles dans cette version.",
			"Per-zone policies (filtering, bandwidth, isolation) not available in this version."),
		T("Définissez une zone byod ou guest pour les appareils hors parc.", "Define a byod or guest zone for off-fleet devices.")),
}

// retention describes the audit journal's retention.
func retention(f *Facts) Text {
	if f.Config.JournalRetention <= 0 {
		return T("Journal d’audit conservé sans limite de durée.", "Audit journal kept without time limit.")
	}
	d := int(f.Config.JournalRetention.Hours() / 24)
	return T(fmt.Sprintf("Journal d’audit conservé %d jours.", d), fmt.Sprintf("Audit journal kept %d days.", d))
}

// serviceRules cover the user services (UTI).
var serviceRules = map[string]rule{
	"UTI-ESF-1": fixed(Met, "Chaque personne a un espace personnel, créé avec son compte et dimensionné selon son profil, par le web (/files) et WebDAV (/dav/home/) ; chaque objet porte son empreinte SHA-256 ; il est sauvegardé avec le stockage de l’établissement.",
		"Every person has a personal space, created with their account and sized by profile, on the web (/files) and over WebDAV (/dav/home/); every object carries its SHA-256; it is backed up with the establishment’s storage."),
	"UTI-ESF-2": fixed(Met, "Un espace par classe et par groupe (les membres lisent, les enseignants et responsables écrivent), l’espace documents de l’établissement, des droits par personne et par groupe et des partages dans l’établissement, chaque changement journalisé.",
		"A space per class and group (members read, teachers and owners write), the establishment’s documents space, rights per person and group and shares within the establishment, every change journaled."),
	"UTI-ESF-4": fixed(Met, "Quotas par personne et par groupe, valeurs par défaut par profil et par établissement, dérogations individuelles (vidéo en LSF) ; un envoi au-delà est refusé sans rien stocker ; avis à 80 % et 95 %.",
		"Quotas per person and group, defaults per profile and establishment, individual overrides (LSF video); an upload beyond is refused and stores nothing; notices at 80% and 95%."),
	"UTI-ESF-10": func(f *Facts, q Requirement) (Status, Text) {
		mech := T("Journal d’audit chaîné et points de contrôle signés (« preau journal verify ») ; segments de journaux scellés, chaînés et signés, et leurs archives (« preau logs verify ») ; empreinte SHA-256 de chaque fichier stocké (« preau files scrub ») ; objets de sauvegarde nommés par leur SHA-256 (« preau backup check »).",
			"Hash-chained audit journal with signed checkpoints (“preau journal verify”); sealed, chained and signed log segments and their archives (“preau logs verify”); SHA-256 of every stored file (“preau files scrub”); backup objects named by their SHA-256 (“preau backup check”).")
		return journalStatus(f, mech, NotMet)
	},
	"UTI-ESF-3": fixed(Partly, "Côté serveur, un espace personnel n’est ouvert qu’à son propriétaire, par une session nominative (web ou WebDAV) ; le gestionnaire de fichiers web ne laisse rien sur le poste. Manque : effacer à la déconnexion les copies locales sur un poste partagé (agent de poste).",
		"On the server, a personal space opens only to its owner, through a personal session (web or WebDAV); the web file manager leaves nothing on the workstation. Missing: wiping local copies on a shared workstation at logoff (workstation agent)."),
	"UTI-ESF-5": fixed(Partly, "WebDAV classes 1 et 2 avec verrous (partagés par tous les nœuds) pour les clients de synchronisation (rclone, davfs2, Windows, Finder) ; lecture par plages. Manque : réglages de synchronisation selon le débit.",
		"WebDAV classes 1 and 2 with locks (shared by every node) for synchronising clients (rclone, davfs2, Windows, Finder); ranged reads. Missing: bandwidth-aware synchronisation settings."),
	"UTI-ESF-11": fixed(Partly, "Les envois sont analysés par l’antivirus (clamd) avant d’être visibles lorsqu’il est configuré, les fichiers infectés refusés et journalisés ; les élèves n’écrivent dans les espaces de classe que là où les enseignants le permettent. Manque : règles par type de fichier et signalement d’un contenu.",
		"Uploads are scanned by the antivirus (clamd) before they become visible when it is configured, infected files refused and journaled; pupils write in class spaces only where teachers allow. Missing: file-type rules and a report-content action."),
	"UTI-ESF-n1": func(f *Facts, q Requirement) (Status, Text) {
		where := T("Données hébergées dans le dossier de données local.", "Data hosted in the local data folder.")
		if u, err := url.Parse(f.Config.BlobStore); err == nil && strings.HasPrefix(f.Config.BlobStore, "s3://") {
			host := u.Query().Get("endpoint")
			if host == "" {
				host = u.Host
			}
			where = T(fmt.Sprintf("Objets stockés sur un service S3 (%s) : vérifiez qu’il est hébergé dans l’UE.", host),
				fmt.Sprintf("Objects stored on an S3 service (%s): check that it is hosted in the EU.", host))
		}
		return Partly, join(where, T("Aucun connecteur cloud, aucune télémétrie : les espaces de fichiers restent dans le stockage de l’établissement.",
			"No cloud connector, no telemetry: file spaces stay in the establishment’s storage."))
	},
	"UTI-MSG-3": notYet("L’annuaire ne contient que l’adresse institutionnelle.", "The directory holds the institutional address only."),
	"UTI-MSG-9": func(f *Facts, q Requirement) (Status, Text) {
		relay := T("Aucun relais sortant configuré : les avis restent sur le portail.", "No outbound relay configured: notices stay on the portal.")
		if f.Config.MailRelay {
			relay = T("Les avis partent par le relais configuré, vers l’adresse institutionnelle seulement.",
				"Notices go out through the configured relay, to the institutional address only.")
		}
		return Partly, join(T("Aucun champ d’adresse privée : les notifications de Préau ne vont qu’aux adresses institutionnelles.",
			"No private-address field: Préau’s notifications go to institutional addresses only."), relay, unavailable(q.Service))
	},
}
