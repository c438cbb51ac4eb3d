// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
)

// Section is one part of the technical annex, in French like the documents
// it completes (the annex is part of the establishment's legal text). It is
// plain text: the page escapes it.
type Section struct {
	ID         string   // stable anchor: "passwords", "private", "logs"…
	Title      string   // heading
	Paragraphs []string // paragraphs, in order
	Items      []string // a list after the paragraphs
	// Pending is set when the service the section describes is not part of
	// this version of Préau: the section says so instead of inventing values.
	Pending bool
}

// Source provides sections of the annex, computed from the live settings of
// an establishment at each call, so that the annex is always true.
type Source interface {
	AnnexSections(ctx context.Context, est string) ([]Section, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, est string) ([]Section, error)

// AnnexSections implements Source.
func (f SourceFunc) AnnexSections(ctx context.Context, est string) ([]Section, error) {
	return f(ctx, est)
}

var profileNames = map[core.Profile]string{
	core.ProfilePupil:   "Élèves",
	core.ProfileTeacher: "Enseignants",
	core.ProfileStaff:   "Personnels",
	core.ProfileHead:    "Direction",
	core.ProfileAdmin:   "Administrateurs techniques",
}

// PasswordSource describes the password policy of each profile in the
// establishment (INF-AUT-6, INF-AUT-8) and the forgotten-password procedure
// (INF-AUT-9), read from the auth settings at each call. forgotten may be nil.
func PasswordSource(policies func(ctx context.Context) policy.Policies, forgotten func(ctx context.Context) string) Source {
	return SourceFunc(func(ctx context.Context, est string) ([]Section, error) {
		ps := policies(ctx)
		s := Section{ID: "passwords", Title: "Mots de passe",
			Paragraphs: []string{"Règles appliquées par le serveur à chaque création ou changement de mot de passe, quel que soit le service utilisé :"}}
		for _, pr := range core.Profiles {
			s.Items = append(s.Items, profileNames[pr]+" : "+DescribePolicy(ps.For(est, pr)))
		}
		text := ""
		if forgotten != nil {
			text = forgotten(ctx)
		}
		if text == "" {
			text = "Adressez-vous à votre professeur principal (élèves) ou à l’administrateur de l’établissement (personnels), qui vous remettra un mot de passe provisoire à changer dès la connexion suivante."
		}
		f := Section{ID: "forgotten", Title: "Mot de passe oublié", Paragraphs: []string{text,
			"Ne communiquez jamais votre mot de passe : aucun administrateur ne vous le demandera."}}
		return []Section{s, f}, nil
	})
}

// DescribePolicy says a password policy in one French sentence.
func DescribePolicy(p policy.Policy) string {
	parts := []string{fmt.Sprintf("au moins %d caractères", p.MinLength)}
	if p.MinClasses > 1 {
		parts = append(parts, fmt.Sprintf("mêlant au moins %d types de caractères parmi minuscules, majuscules, chiffres et autres signes", p.MinClasses))
	}
	if p.RejectCommon {
		parts = append(parts, "mots de passe courants refusés")
	}
	if p.RejectPersonal {
		parts = append(parts, "mots de passe contenant le nom ou l’identifiant refusés")
	}
	if p.History > 0 {
		parts = append(parts, fmt.Sprintf("les %d derniers mots de passe ne peuvent pas être réutilisés", p.History))
	}
	if p.MaxAge > 0 {
		parts = append(parts, fmt.Sprintf("à changer tous les %d jours", int(p.MaxAge/policy.Day)))
	} else {
		parts = append(parts, "sans expiration")
	}
	return strings.Join(parts, " ; ")
}

// PrivateSource states the PERSONNEL/PRIVÉ rule (INF-PDT-4, UTI-ESF-6,
// UTI-MSG-n2) with the marker words of the establishment: the two of
// CARINE plus those extra returns (nil: none).
func PrivateSource(extra func(ctx context.Context, est string) []string) Source {
	return SourceFunc(func(ctx context.Context, est string) ([]Section, error) {
		words := []string{"PERSONNEL", "PRIVÉ"}
		if extra != nil {
			for _, w := range extra(ctx, est) {
				if w = strings.TrimSpace(w); w != "" && !core.IsPrivate(w) {
					words = append(words, strings.ToUpper(w))
				}
			}
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "« " + w + " »"
		}
		list := strings.Join(quoted[:len(quoted)-1], ", ") + " ou " + quoted[len(quoted)-1]
		return []Section{{ID: "private", Title: "Données personnelles et privées",
			Paragraphs: []string{
				"Est privé tout dossier, fichier ou dossier de messagerie dont le nom commence par " + list +
					" (en majuscules ou minuscules, avec ou sans accent, avec ou sans crochets), ainsi que tout message dont l’objet commence par « [PRIVÉ] », « [PERSONNEL] » ou « [MESSAGE PRIVÉ] ».",
				"Un élément privé et tout ce qu’il contient ne sont accessibles qu’à leur propriétaire : ils ne peuvent pas être partagés, ne sont pas indexés par la recherche et n’apparaissent pas dans les outils d’administration.",
				"Les messages échangés entre personnes identifiées sont une correspondance privée ; ceux rangés dans un dossier « personnel » ou « privé » sont privés quel que soit leur objet.",
			}}}, nil
	})
}

// LogSource states how long the journal and the logs are kept (MCO-JAL-4).
// journalRetention is the configured retention of the audit journal (0:
// kept without limit); logsEnabled says whether the log service runs.
func LogSource(journalRetention time.Duration, logsEnabled bool) Source {
	return SourceFunc(func(context.Context, string) ([]Section, error) {
		j := "Le journal d’audit (connexions, tentatives de connexion, modifications de l’annuaire, des droits et des réglages, acceptations de la charte) est conservé sans limite de durée."
		if journalRetention > 0 {
			j = fmt.Sprintf("Le journal d’audit (connexions, tentatives de connexion, modifications de l’annuaire, des droits et des réglages, acceptations de la charte) est conservé %s, puis effacé.", days(journalRetention))
		}
		s := Section{ID: "logs", Title: "Journaux et durées de conservation", Paragraphs: []string{j,
			"Les données de connexion (accès au web, requêtes DNS, connexions Wi-Fi, journaux des équipements réseau) sont conservées un an, durée fixée par la loi pour les données de connexion."}}
		if !logsEnabled {
			s.Paragraphs = append(s.Paragraphs, "Le service de collecte de ces journaux n’est pas activé dans cette version de Préau : aucune de ces données n’est collectée à ce jour.")
			s.Pending = true
		}
		s.Paragraphs = append(s.Paragraphs, "Seuls les administrateurs techniques habilités consultent ces journaux ; la lecture d’un contenu personnel suit la procédure d’accès exceptionnel ci-dessous.")
		return []Section{s}, nil
	})
}

func days(d time.Duration) string {
	n := int(d / policy.Day)
	if n%365 == 0 {
		if n == 365 {
			return "un an"
		}
		return fmt.Sprintf("%d ans", n/365)
	}
	return fmt.Sprintf("%d jours", n)
}

// NotYetSource is a section for a service that this version of Préau does
// not run yet: it says so honestly rather than inventing values.
func NotYetSource(id, title, what string) Source {
	return SourceFunc(func(context.Context, string) ([]Section, error) {
		return []Section{{ID: id, Title: title, Pending: true, Paragraphs: []string{
			what + " Ce service n’est pas encore fourni par cette version de Préau ; cette section sera complétée automatiquement à partir de ses réglages lorsqu’il sera activé."}}}, nil
	})
}

// FilterPolicy is what the annex says of an establishment's internet
// filtering, read from its live filter settings (else the defaults).
type FilterPolicy struct {
	PupilBlocked []string  // categories blocked for pupils, as shown (UT1 label and name)
	SafeSearch   bool      // safe search forced on pupils
	National     []string  // categories of the locked national layer
	ListsDate    time.Time // last import of the UT1 lists; zero: none yet
	RecordDays   int       // how long access records (connection data) are kept; 0: not recorded (log store off)
}

// FilterSource states the filtering principles of the establishment
// (INF-SEC-3, -5, -6, -8): the pupils' blocked categories, the national
// layer no one lifts, teacher delegation, exam mode and how long access
// records are kept.
func FilterSource(read func(ctx context.Context, est string) (FilterPolicy, error)) Source {
	return SourceFunc(func(ctx context.Context, est string) ([]Section, error) {
		p, err := read(ctx, est)
		if err != nil {
			return nil, err
		}
		lists := "Aucune liste n’est encore chargée : seuls les sites nommés dans les règles sont filtrés à ce jour."
		if !p.ListsDate.IsZero() {
			lists = "Listes en vigueur importées le " + p.ListsDate.Format("02/01/2006") + " ; elles sont mises à jour automatiquement."
		}
		s := Section{ID: "filtering", Title: "Filtrage de l’accès à internet", Paragraphs: []string{
			"L’accès à internet depuis l’établissement passe par un filtre (proxy web authentifié et résolveur DNS filtrant) qui s’appuie sur les listes de catégories de sites de l’université Toulouse 1 Capitole (UT1). " + lists,
		}}
		national := "Un socle national de blocage (contenus manifestement illicites), fixé par l’académie, s’applique avant toute règle locale : aucune règle de l’établissement, aucune dérogation et aucun mode d’examen ne peut le lever."
		if len(p.National) > 0 {
			national += " Catégories du socle national : " + strings.Join(p.National, ", ") + "."
		}
		s.Paragraphs = append(s.Paragraphs, national)
		if p.SafeSearch {
			s.Paragraphs = append(s.Paragraphs, "Pour les élèves, la recherche sécurisée (SafeSearch) est imposée sur les moteurs de recherche courants.")
		}
		s.Paragraphs = append(s.Paragraphs,
			"Un enseignant habilité par la direction peut, pour une de ses classes ou un de ses groupes, ouvrir ou fermer un site ou une catégorie pour une durée limitée (la séance, la journée…) ; la dérogation prend fin d’elle-même et est journalisée avec son auteur. Seules la direction et les personnes qu’elle habilite modifient les règles de l’établissement.",
			"Mode examen : pour une classe, un groupe ou une salle, seuls les sites indiqués restent accessibles jusqu’à l’heure de fin fixée ; le filtrage habituel revient ensuite de lui-même.",
		)
		if p.RecordDays > 0 {
			s.Paragraphs = append(s.Paragraphs, "Chaque accès (site demandé, date et heure, identifiant ou poste, décision du filtre) est enregistré au titre des données de connexion et conservé "+
				days(time.Duration(p.RecordDays)*policy.Day)+", puis effacé.")
		} else {
			s.Paragraphs = append(s.Paragraphs, "Le service de collecte des journaux n’est pas activé : les accès ne sont pas enregistrés à ce jour.")
		}
		if len(p.PupilBlocked) == 0 {
			s.Paragraphs = append(s.Paragraphs, "Aucune catégorie n’est bloquée pour les élèves dans les réglages de l’établissement.")
		} else {
			s.Paragraphs = append(s.Paragraphs, "Catégories bloquées pour les élèves :")
			s.Items = append(s.Items, p.PupilBlocked...)
		}
		return []Section{s}, nil
	})
}

// Quotas are the storage quotas an establishment's spaces get unless one is
// set for a space, in bytes (0: unlimited).
type Quotas struct {
	Personal  map[core.Profile]int64 // personal spaces, per profile
	Group     int64                  // class and group spaces
	Documents int64                  // the establishment's documents space
}

// QuotaSource states the storage spaces and their live default quotas in
// the establishment (UTI-ESF-7).
func QuotaSource(quotas func(ctx context.Context, est string) (Quotas, error)) Source {
	return SourceFunc(func(ctx context.Context, est string) ([]Section, error) {
		q, err := quotas(ctx, est)
		if err != nil {
			return nil, err
		}
		s := Section{ID: "quotas", Title: "Espaces de stockage et quotas", Paragraphs: []string{
			"Chaque élève et chaque personnel dispose d’un espace de stockage personnel sur le serveur de l’établissement, accessible depuis le portail et en WebDAV ; chaque classe et chaque groupe dispose d’un espace partagé.",
			"L’espace occupé comprend les fichiers, la corbeille et les versions conservées. Un avis est envoyé à 80 % puis à 95 % du quota ; au-delà, un nouvel envoi est refusé, sans rien perdre de ce qui est déjà stocké.",
			"Quotas en vigueur ; l’établissement peut accorder davantage à une personne ou à un groupe qui en a besoin (par exemple pour des vidéos en langue des signes) :",
		}}
		for _, p := range core.Profiles {
			if b, ok := q.Personal[p]; ok {
				s.Items = append(s.Items, fmt.Sprintf("%s : %s", profileNames[p], size(b)))
			}
		}
		s.Items = append(s.Items, "Espaces de classe et de groupe : "+size(q.Group), "Documents de l’établissement : "+size(q.Documents))
		return []Section{s}, nil
	})
}

// size writes a quota in French units (Go, Mo are powers of 1024).
func size(b int64) string {
	const mib, gib = int64(1) << 20, int64(1) << 30
	switch {
	case b <= 0:
		return "sans limite"
	case b%gib == 0:
		return fmt.Sprintf("%d Go", b/gib)
	case b >= gib:
		return strings.Replace(fmt.Sprintf("%.1f Go", float64(b)/float64(gib)), ".", ",", 1)
	}
	return fmt.Sprintf("%d Mo", (b+mib-1)/mib)
}

// MailForwardingSource states the ban on automatic forwarding to private
// mailboxes (UTI-MSG-8).
func MailForwardingSource() Source {
	return SourceFunc(func(context.Context, string) ([]Section, error) {
		return []Section{{ID: "forwarding", Title: "Transfert de la messagerie", Paragraphs: []string{
			"Le transfert ou la copie automatique des messages de la messagerie de l’établissement vers une adresse personnelle est interdit, pour préserver le secret professionnel et la vie privée des élèves, pour la plupart mineurs.",
			"Les adresses personnelles ne sont pas utilisées pour le travail pédagogique ou administratif, et les personnels n’écrivent pas aux élèves sur leurs adresses personnelles.",
		}}}, nil
	})
}

// BreakGlassSource describes the exceptional access of an administrator to
// a person's private content (MCO-SVG-11, UTI-ESF-8, MCO-JAL-6).
func BreakGlassSource() Source {
	return SourceFunc(func(context.Context, string) ([]Section, error) {
		return []Section{{ID: "break-glass", Title: "Accès exceptionnel aux données privées (« bris de glace »)",
			Paragraphs: []string{"Aucun administrateur ne consulte le contenu privé d’un utilisateur, ni ses journaux personnels, en dehors de la procédure suivante :"},
			Items: []string{
				"une base légale est enregistrée : l’accord écrit de la personne concernée, ou la référence d’une réquisition judiciaire ;",
				"le chef d’établissement approuve la demande ;",
				"l’accès est limité dans le temps et à ce que la demande désigne ;",
				"chaque étape (demande, approbation, accès, fin) est inscrite au journal d’audit ;",
				"la personne concernée en est informée, sauf si l’autorité judiciaire s’y oppose.",
			}}}, nil
	})
}

// LogRetention is how long one class of logs is kept in an establishment.
type LogRetention struct {
	Label string // "Données de connexion (accès web, DNS, Wi-Fi, authentification)"
	Days  int
	Basis string // legal basis, in French
}

// LogRetentionSource is LogSource for a running log service: the sentence on
// connection data gives way to the live retention of each log class of the
// establishment, with its legal basis (MCO-JAL-4).
func LogRetentionSource(journalRetention time.Duration, classes func(ctx context.Context, est string) ([]LogRetention, error)) Source {
	base := LogSource(journalRetention, true)
	return SourceFunc(func(ctx context.Context, est string) ([]Section, error) {
		secs, err := base.AnnexSections(ctx, est)
		if err != nil || len(secs) != 1 {
			return secs, err
		}
		cs, err := classes(ctx, est)
		if err != nil {
			return nil, err
		}
		s := secs[0]
		s.Paragraphs = []string{s.Paragraphs[0], "Les journaux techniques sont conservés, puis effacés, selon les durées suivantes :",
			s.Paragraphs[len(s.Paragraphs)-1]}
		for _, c := range cs {
			s.Items = append(s.Items, fmt.Sprintf("%s : %d jours. %s", c.Label, c.Days, c.Basis))
		}
		return []Section{s}, nil
	})
}
