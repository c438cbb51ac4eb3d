// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package breakglass

import (
	"context"
	"fmt"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Notices are written in French, the language of the school, like every
// notice Préau sends; they name the people, the legal basis and the times
// so that they read without the console. They never carry the reason text,
// which may be covered by the secrecy of an investigation.

// AccountPath is the page where a person sees the accesses to their data.
const AccountPath = "/account/breakglass"

// paris is the zone notice times are written in; UTC if unavailable.
var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

func frTime(t time.Time) string { return t.In(paris).Format("02/01/2006 à 15:04") }

// ScopeFR names a scope in French.
func ScopeFR(s Scope) string {
	switch s {
	case ScopeFiles:
		return "votre espace de fichiers"
	case ScopeMail:
		return "votre messagerie"
	case ScopeLogs:
		return "le contenu des journaux qui vous concernent"
	case ScopeBackup:
		return "les sauvegardes de vos données"
	case ScopeMonitor:
		return "les données de supervision qui vous concernent"
	}
	return string(s)
}

// scopeOf names a scope in French, for someone else's content: "l’espace
// de fichiers de Lou Petit".
func scopeOf(s Scope, p Party) string {
	var n string
	switch s {
	case ScopeFiles:
		n = "l’espace de fichiers"
	case ScopeMail:
		n = "la messagerie"
	case ScopeLogs:
		n = "le contenu des journaux"
	case ScopeBackup:
		n = "les sauvegardes"
	case ScopeMonitor:
		n = "les données de supervision"
	default:
		n = string(s)
	}
	return n + " de " + who(p)
}

// BasisFR names a legal basis in French.
func BasisFR(b Basis) string {
	if b == Judicial {
		return "réquisition judiciaire"
	}
	return "consentement de la personne"
}

func who(p Party) string {
	if p.Name != "" && p.Name != p.Login {
		return p.Name + " (" + p.Login + ")"
	}
	return p.Login
}

func what(r *Request) string {
	s := ScopeFR(r.Scope)
	if r.Object != "" {
		s += ", limité à « " + r.Object + " »"
	}
	return s
}

func approvedTargetNotice(r *Request) Notice {
	return Notice{PersonID: r.Target.ID, Subject: "Accès exceptionnel à vos données",
		Body: fmt.Sprintf("Bonjour,\n\n%s a reçu l’autorisation d’accéder à %s.\n\n"+
			"Base légale : %s, référence %s.\nAutorisé par : %s, le %s.\nAccès possible jusqu’au %s au plus tard.\n\n"+
			"Chaque consultation est enregistrée dans le journal de l’établissement. Vous recevrez un avis quand "+
			"l’accès prendra fin. L’historique des accès exceptionnels à vos données est sur la page "+
			"« Accès exceptionnels à mes données » (%s).\n",
			who(r.Requester), what(r), BasisFR(r.Basis), r.Reference, who(r.Approver), frTime(r.DecidedAt),
			frTime(r.Until), AccountPath)}
}

func approvedRequesterNotice(r *Request) Notice {
	return Notice{PersonID: r.Requester.ID, Subject: "Accès exceptionnel approuvé",
		Body: fmt.Sprintf("Votre demande d’accès exceptionnel à %s a été approuvée par %s.\n"+
			"Accès possible jusqu’au %s. Chaque consultation est journalisée ; fermez l’accès dès que vous n’en avez plus besoin "+
			"(/admin/breakglass/%s).\n", scopeOf(r.Scope, r.Target), who(r.Approver), frTime(r.Until), r.ID)}
}

func refusedNotice(r *Request) Notice {
	return Notice{PersonID: r.Requester.ID, Subject: "Accès exceptionnel refusé",
		Body: fmt.Sprintf("Votre demande d’accès exceptionnel aux données de %s a été refusée par %s.\nMotif : %s\n",
			who(r.Target), who(r.Approver), r.Comment)}
}

func endedTargetNotice(r *Request) Notice {
	return Notice{PersonID: r.Target.ID, Subject: "Fin de l’accès exceptionnel à vos données",
		Body: fmt.Sprintf("Bonjour,\n\nL’accès exceptionnel de %s à %s a pris fin le %s.\n"+
			"Base légale : %s, référence %s.\nNombre de consultations enregistrées : %d.\n\n"+
			"L’historique est sur la page « Accès exceptionnels à mes données » (%s).\n",
			who(r.Requester), what(r), frTime(r.EndedAt), BasisFR(r.Basis), r.Reference, r.Uses, AccountPath)}
}

func endedRequesterNotice(r *Request) Notice {
	return Notice{PersonID: r.Requester.ID, Subject: "Fin de votre accès exceptionnel",
		Body: fmt.Sprintf("Votre accès exceptionnel à %s a pris fin le %s.\n",
			scopeOf(r.Scope, r.Target), frTime(r.EndedAt))}
}

func lapsedNotice(r *Request) Notice {
	return Notice{PersonID: r.Requester.ID, Subject: "Demande d’accès exceptionnel expirée",
		Body: fmt.Sprintf("Votre demande d’accès exceptionnel aux données de %s n’a pas été décidée en %d jours : "+
			"elle a expiré. Déposez-en une nouvelle si l’accès est toujours nécessaire.\n",
			who(r.Target), int(PendingLifetime.Hours()/24))}
}

// headNotices tells the heads of the request's establishment (but the
// requester and the target) that a request awaits their decision.
func (s *Service) headNotices(ctx context.Context, r *Request) ([]Notice, error) {
	heads, _, err := s.people.FindPeople(ctx, directory.PersonFilter{Establishments: []string{r.Establishment},
		Profile: string(core.ProfileHead), State: string(directory.Active), Limit: 20})
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, h := range heads {
		if h.ID == r.Requester.ID || h.ID == r.Target.ID {
			continue
		}
		out = append(out, Notice{PersonID: h.ID, Subject: "Demande d’accès exceptionnel à approuver",
			Body: fmt.Sprintf("%s demande un accès exceptionnel à %s pendant %s.\n"+
				"Base légale : %s, référence %s.\nLe chef d’établissement (ou un opérateur) l’approuve ou la refuse : "+
				"/admin/breakglass/%s\n", who(r.Requester), scopeOf(r.Scope, r.Target), durationFR(r.Duration),
				BasisFR(r.Basis), r.Reference, r.ID)})
	}
	return out, nil
}

func durationFR(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "1 heure"
		}
		return fmt.Sprintf("%d heures", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
