// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
)

// documentRules cover the requirements the policy documents support
// (package charter): the charte, the admin charter, the security policy and
// the CGUs each establishment publishes, the technical annex appended to the
// charte, and who accepted them. Their evidence names the published version
// and its date per establishment and the acceptance rate per profile, or
// says what is not published and that nobody is asked to accept it.
var documentRules = map[string]rule{
	"INF-SEC-3": func(f *Facts, q Requirement) (Status, Text) {
		return Organisational, join(T("Écrits en place : politiques de mots de passe par profil, procédure d’oubli affichée à la connexion ; la direction publie des documents versionnés (charte, charte administrateur, politique de sécurité, CGU par service), la charte et la politique de sécurité suivies d’une annexe technique tirée des réglages en vigueur.",
			"Written rules in place: password policies per profile, forgotten-password procedure shown at login; the head publishes versioned documents (charter, administrator charter, security policy, terms of use per service), the charter and the security policy followed by a technical annex drawn from the settings in force."),
			publishedDocuments(f),
			T("Règlement intérieur et contrats : hors de Préau.", "Internal rules and contracts: outside Préau."))
	},
	"INF-AUT-5": func(f *Facts, q Requirement) (Status, Text) {
		c := sumAccounts(f)
		return Organisational, join(T(fmt.Sprintf("%d comptes d’administrateur technique ; chaque version publiée de la charte administrateur leur est demandée à leur connexion suivante.", c.Admins),
			fmt.Sprintf("%d technical administrator accounts; each published version of the administrator charter is asked of them at their next login.", c.Admins)),
			documentState(f, charter.KindAdminCharte))
	},
	"INF-AUT-n2": func(f *Facts, q Requirement) (Status, Text) {
		return Organisational, join(forgotten(f),
			T("L’annexe technique jointe à la charte et à la politique de sécurité reprend cette procédure et les règles de mot de passe de chaque profil ; la charte type rend chacun responsable de ses identifiants.",
				"The technical annex appended to the charter and the security policy restates this procedure and each profile’s password rules; the model charter makes each person responsible for their credentials."),
			documentState(f, charter.KindCharte))
	},
	"INF-PDT-19": modelCharter("La charte type prévient que les postes partagés peuvent être réinitialisés à tout moment et les fichiers locaux perdus.",
		"The model charter warns that shared workstations may be reset at any time and local files lost."),
	"INF-AUT-11": modelCharter("La charte type dit comment un élève accompagné d’un AESH partage avec lui son poste.",
		"The model charter says how a pupil accompanied by an AESH shares their workstation with them."),
	"MCO-SVG-10": modelCharter("La charte type dit que les disques locaux, clés USB et services extérieurs ne sont pas sauvegardés ; l’annexe technique donne le calendrier et la durée de conservation des sauvegardes, tirés de la politique en vigueur.",
		"The model charter says local disks, USB keys and outside services are not backed up; the technical annex gives the backup schedule and retention, drawn from the policy in force."),
	"MCO-REG-8": modelCharter("La charte type demande de limiter les usages intensifs qui ralentissent le réseau.",
		"The model charter asks to limit heavy use that slows the network down."),
	"UTI-MSG-5": modelCharter("La charte type prévient que les messages conservés sur un poste sont exposés à la perte et à la lecture par d’autres.",
		"The model charter warns that mail kept on a workstation is exposed to loss and to being read by others."),
	"MCO-JAL-4": func(f *Facts, q Requirement) (Status, Text) {
		annex := T("L’annexe technique jointe à la charte publiée indique la conservation du journal d’audit et, pour chaque classe de journaux (connexion, système, sécurité), la durée en vigueur dans l’établissement et sa base légale.",
			"The technical annex appended to the published charter states the audit journal’s retention and, for each log class (connection, system, security), the duration in force in the establishment and its legal basis.")
		if !logsOn(f) {
			annex = T("Le magasin de journaux étant désactivé, l’annexe technique dit qu’aucun journal technique n’est collecté.",
				"The log store being disabled, the technical annex says no technical log is collected.")
		}
		t := join(retention(f), logRetention(f), annex, documentState(f, charter.KindCharte))
		switch {
		case !allPublished(f, charter.KindCharte):
			return Organisational, t
		case !logsOn(f):
			return Partly, t
		}
		return Met, t
	},
	"UTI-MSG-8": annexRule("L’annexe technique de la charte interdit le transfert automatique de la messagerie vers une adresse personnelle.",
		"The charter’s technical annex forbids automatic forwarding of mail to a private address."),
	"UTI-MSG-n2": annexRule("L’annexe technique de la charte énonce la règle PERSONNEL/PRIVÉ pour les dossiers, fichiers et messages, et le marqueur commun (insensible à la casse et aux accents) existe ; le stockage de fichiers l’applique ; la messagerie, qui doit aussi l’appliquer, n’est pas disponible.",
		"The charter’s technical annex states the PERSONNEL/PRIVÉ rule for folders, files and messages, and the shared marker (case- and accent-insensitive) exists; file storage enforces it; mail, which must enforce it too, is not available."),
	"UTI-MSG-10": func(f *Facts, q Requirement) (Status, Text) {
		return Partly, join(T("Préau ne stocke jamais d’adresse privée d’élève ; l’annexe technique de la charte interdit d’écrire aux élèves sur leur adresse personnelle.",
			"Préau never stores a pupil’s private address; the charter’s technical annex forbids writing to pupils at their private address."),
			documentState(f, charter.KindCharte), unavailable(q.Service))
	},
	"MCO-SVG-9": modelCharter("La section « Sauvegardes et restauration » de l’annexe technique de la charte est tirée de la politique de sauvegarde en vigueur : fréquence, durée de conservation des versions, chiffrement, et comment demander une restauration.",
		"The “Backups and restore” section of the charter’s technical annex is drawn from the backup policy in force: frequency, how long versions are kept, encryption, and how to ask for a restore."),
	"UTI-ESF-7": modelCharter("La page /files montre à chacun son quota, son usage et les règles de sauvegarde de l’espace ; l’annexe technique de la charte donne les quotas en vigueur dans l’établissement (par profil, groupes, documents) et les règles de sauvegarde de la politique en vigueur ; la charte type dit que seuls les espaces de l’établissement sont sauvegardés.",
		"The /files page shows everyone their quota, usage and the space’s backup rules; the charter’s technical annex gives the quotas in force in the establishment (per profile, groups, documents) and the backup rules of the policy in force; the model charter says only the establishment’s spaces are backed up."),
	"MCO-REG-9": func(f *Facts, q Requirement) (Status, Text) {
		return Organisational, join(T("La charte administrateur type n’admet les prestataires qu’avec un compte nominatif, aux droits limités, pour une durée définie, leurs actions journalisées.",
			"The model administrator charter admits outside providers only with a named account, limited rights, for a set time, their actions journaled."),
			documentState(f, charter.KindAdminCharte))
	},
	"UTI-MSG-2": serviceMissingCharterSays("La charte type réserve l’adresse de l’établissement aux échanges liés à la scolarité ou au service ; règles de messagerie par groupe à venir avec la messagerie.",
		"The model charter keeps the establishment’s address for schoolwork or duty; per-group mail rules to come with mail."),
	"UTI-MSG-14": serviceMissingCharterSays("La charte type tolère un usage personnel ponctuel et raisonnable ; quotas et limites d’envoi à venir avec la messagerie.",
		"The model charter tolerates occasional, reasonable personal use; quotas and sending limits to come with mail."),
	"UTI-MSG-n3": serviceMissingCharterSays("L’annexe technique de la charte dit que les messages entre personnes identifiées sont une correspondance privée.",
		"The charter’s technical annex says messages between identified people are private correspondence."),
	"INF-PDT-4": serviceMissingCharterSays("Le marqueur commun PERSONNEL/PRIVÉ (insensible à la casse et aux accents) existe et l’annexe technique de la charte énonce la règle ; dossier privé du poste à venir.",
		"The shared PERSONNEL/PRIVÉ marker (case- and accent-insensitive) exists and the charter’s technical annex states the rule; workstation private folder to come."),
	"UTI-ESF-6": func(f *Facts, q Requirement) (Status, Text) {
		return Met, join(T("Un dossier ou fichier marqué PERSONNEL ou PRIVÉ (casse, accents et crochets indifférents) rend tout son sous-arbre réservé à son propriétaire : invisible des enseignants et des administrateurs, jamais partagé ni déplacé hors de son espace ; l’annexe technique de la charte énonce la règle.",
			"A folder or file marked PERSONNEL or PRIVÉ (whatever the case, accents or brackets) makes its whole subtree owner-only: invisible to teachers and admins, never shared or moved out of its space; the charter’s technical annex states the rule."),
			documentState(f, charter.KindCharte))
	},
}

// modelCharter is an [S] requirement the model charter supports: it stays
// organisational (the establishment adopts, keeps or changes the text),
// with what the model says and what each establishment published.
func modelCharter(fr, en string) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		return Organisational, join(T(fr, en), documentState(f, charter.KindCharte))
	}
}

// serviceMissingCharterSays is a [P] requirement whose service is not in
// this version while the model charter already states the rule: not met,
// saying so, with the state of the charte.
func serviceMissingCharterSays(fr, en string) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		return NotMet, join(unavailable(q.Service), T(fr, en), documentState(f, charter.KindCharte))
	}
}

// annexRule is a [P] requirement whose charter part the technical annex
// (appended to every published charte) states while its service is
// missing: partly met when every establishment in scope published its
// charte, not met otherwise.
func annexRule(fr, en string) rule {
	return func(f *Facts, q Requirement) (Status, Text) {
		st := Partly
		if !allPublished(f, charter.KindCharte) {
			st = NotMet
		}
		return st, join(T(fr, en), documentState(f, charter.KindCharte), unavailable(q.Service))
	}
}

// published returns the published document of kind k of establishment est,
// or nil.
func published(f *Facts, est string, k charter.Kind) *Document {
	for i, d := range f.Documents[est] {
		if d.Kind == k {
			return &f.Documents[est][i]
		}
	}
	return nil
}

// allPublished reports whether every establishment in scope (at least one)
// published a document of kind k.
func allPublished(f *Facts, k charter.Kind) bool {
	for _, e := range f.Establishments {
		if published(f, e.ID, k) == nil {
			return false
		}
	}
	return len(f.Establishments) > 0
}

// kindName names a document kind.
func kindName(k charter.Kind) Text {
	switch k {
	case charter.KindCharte:
		return T("charte", "charter")
	case charter.KindAdminCharte:
		return T("charte administrateur", "administrator charter")
	case charter.KindSecurityPolicy:
		return T("politique de sécurité", "security policy")
	}
	return T("CGU "+k.Service(), "terms of use "+k.Service())
}

var profileOf = map[core.Profile]Text{
	core.ProfilePupil: T("des élèves", "of pupils"), core.ProfileTeacher: T("des enseignants", "of teachers"),
	core.ProfileStaff: T("des personnels", "of staff"), core.ProfileHead: T("de la direction", "of heads"),
	core.ProfileAdmin: T("des administrateurs techniques", "of technical administrators"),
}

// date formats a day for evidence.
func date(t time.Time) Text {
	return T(t.UTC().Format("02/01/2006"), t.UTC().Format("2006-01-02"))
}

// describeDocument says which version of a document was published when
// and, for a document people accept, by what share of each profile.
func describeDocument(d *Document) Text {
	n, at := kindName(d.Kind), date(d.PublishedAt)
	t := T(fmt.Sprintf("%s v%d publiée le %s", n.FR, d.Number, at.FR), fmt.Sprintf("%s v%d published on %s", n.EN, d.Number, at.EN))
	if !d.Kind.MustAccept(core.ProfilePupil) && !d.Kind.MustAccept(core.ProfileAdmin) {
		return t
	}
	if len(d.Acceptance) == 0 {
		return T(t.FR+" ; personne n’a encore à l’accepter", t.EN+"; no one has to accept it yet")
	}
	var fr, en []string
	all := true
	for _, s := range d.Acceptance {
		p := profileOf[s.Profile]
		fr = append(fr, fmt.Sprintf("%d %% %s (%d/%d)", s.Percent(), p.FR, s.Accepted, s.People))
		en = append(en, fmt.Sprintf("%d%% %s (%d/%d)", s.Percent(), p.EN, s.Accepted, s.People))
		all = all && s.Accepted == s.People
	}
	t = T(t.FR+" ; acceptée par "+strings.Join(fr, ", "), t.EN+"; accepted by "+strings.Join(en, ", "))
	if !all {
		t = T(t.FR+" ; les autres l’accepteront à leur prochaine connexion", t.EN+"; the others will accept it at their next login")
	}
	return t
}

// documentState describes, for each establishment in scope, the published
// version of a document of kind k, or what its absence means.
func documentState(f *Facts, k charter.Kind) Text {
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	var out []Text
	var missing []string
	for _, e := range f.Establishments {
		if d := published(f, e.ID, k); d != nil {
			t := describeDocument(d)
			out = append(out, T(e.UAI+" : "+t.FR+".", e.UAI+": "+t.EN+"."))
		} else {
			missing = append(missing, e.UAI)
		}
	}
	if len(missing) > 0 {
		m := strings.Join(missing, ", ")
		var t Text
		switch k {
		case charter.KindCharte:
			t = T(fmt.Sprintf("Aucune charte publiée pour %s : la charte type de Préau n’y est affichée qu’à titre d’information et personne n’est invité à l’accepter (l’acceptation obligatoire n’est pas active) ; la direction doit l’adopter et la publier.", m),
				fmt.Sprintf("No charter published for %s: Préau’s model charter is shown there for information only and no one is asked to accept it (the acceptance gate is not active); the head must adopt and publish it.", m))
		case charter.KindAdminCharte:
			t = T(fmt.Sprintf("Aucune charte administrateur publiée pour %s : les administrateurs techniques n’y sont invités à accepter aucune charte ; la direction doit adopter et publier la charte administrateur type ou la sienne.", m),
				fmt.Sprintf("No administrator charter published for %s: technical administrators there are asked to accept none; the head must adopt and publish the model administrator charter or their own.", m))
		default:
			n := kindName(k)
			t = T(fmt.Sprintf("Aucune %s publiée pour %s.", n.FR, m), fmt.Sprintf("No %s published for %s.", n.EN, m))
		}
		out = append(out, t)
	}
	return join(out...)
}

// publishedDocuments lists, per establishment in scope, every document it
// published, with the acceptance of the charte, or says none is.
func publishedDocuments(f *Facts) Text {
	if len(f.Establishments) == 0 {
		return noEstablishment
	}
	var out []Text
	for _, e := range f.Establishments {
		var ds []Text
		for i := range f.Documents[e.ID] {
			ds = append(ds, describeDocument(&f.Documents[e.ID][i]))
		}
		if len(ds) == 0 {
			out = append(out, T(e.UAI+" : aucun document publié ; la charte type n’y est qu’informative et personne n’est invité à l’accepter.",
				e.UAI+": no document published; the model charter is for information only there and no one is asked to accept it."))
			continue
		}
		for _, k := range charter.FixedKinds {
			if published(f, e.ID, k) != nil {
				continue
			}
			n := kindName(k)
			t := T(n.FR+" non publiée", n.EN+" not published")
			if k.MustAccept(core.ProfilePupil) || k.MustAccept(core.ProfileAdmin) {
				t = T(t.FR+", personne n’est invité à l’accepter", t.EN+", no one is asked to accept it")
			}
			ds = append(ds, t)
		}
		l := T(strings.Join(textsIn(ds, "fr"), " — "), strings.Join(textsIn(ds, "en"), " — "))
		out = append(out, T(e.UAI+" : "+l.FR+".", e.UAI+": "+l.EN+"."))
	}
	return join(out...)
}

// textsIn returns the texts in lang.
func textsIn(ts []Text, lang string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.In(lang)
	}
	return out
}
