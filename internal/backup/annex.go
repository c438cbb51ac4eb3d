// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"fmt"
	"strings"
)

// DescribeRetention says in French how long snapshots are kept.
func DescribeRetention(r Retention) string {
	if r.KeepsAll() {
		return "toutes les versions sont conservées"
	}
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, one)
		case n > 1:
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	add(r.Last, "la dernière sauvegarde", "les %d dernières sauvegardes")
	add(r.Daily, "une sauvegarde du dernier jour", "une sauvegarde par jour pendant %d jours")
	add(r.Weekly, "une par semaine pendant une semaine", "une par semaine pendant %d semaines")
	add(r.Monthly, "une par mois pendant un mois", "une par mois pendant %d mois")
	add(r.Yearly, "une par an pendant un an", "une par an pendant %d ans")
	return "sont conservées " + strings.Join(parts, ", ")
}

// AnnexParagraphs is the charter annex's backup section (MCO-SVG-9, -10,
// -8, -11), generated from the live policy: what is backed up, how often,
// how long it is kept, where to store data, and how to ask for a restore.
func AnnexParagraphs(p Policy, configured bool) (paras, items []string) {
	if !configured || !p.Enabled {
		return []string{"Les sauvegardes ne sont pas encore en service sur ce serveur : tant qu’elles ne le sont pas, une donnée effacée ou perdue ne peut pas être récupérée."}, nil
	}
	when := p.Schedule
	if c, err := ParseCalendar(p.Schedule); err == nil {
		when = c.Describe("fr")
	}
	paras = []string{
		"Le serveur sauvegarde " + when + " : l’annuaire et toute la base de données (comptes, groupes, droits, journal d’audit), les espaces de stockage et les fichiers de tous les services, ainsi que les clés et la configuration du serveur.",
		"Durée de conservation : " + DescribeRetention(p.Retention) + ". Au-delà, les versions plus anciennes sont effacées des sauvegardes.",
		"Les sauvegardes sont chiffrées avant de quitter le serveur. Ni les administrateurs techniques ni l’hébergeur des sauvegardes ne peuvent en lire le contenu : seule la clé de secours, détenue par le responsable de traitement, permet une restauration.",
	}
	if strings.HasPrefix(p.Repo, "https://") {
		paras = append(paras, "Une copie est envoyée vers un site distant qui n’accepte que des ajouts : une attaque sur le serveur de l’établissement ne peut pas effacer cette copie.")
	}
	if p.DrillDays > 0 {
		check := ""
		if c, err := ParseCalendar(p.CheckSchedule); err == nil && p.CheckSchedule != "" {
			check = "L’intégrité des sauvegardes est vérifiée automatiquement " + c.Describe("fr") + " ; "
		}
		paras = append(paras, check+fmt.Sprintf("un exercice complet de restauration est fait au moins tous les %d jours, et sa date figure au rapport de conformité.", p.DrillDays))
	}
	items = []string{
		"Sont sauvegardés : vos espaces de stockage sur le serveur de l’établissement et les données des services en ligne (messagerie, publications, affichage).",
		"Ne sont pas sauvegardés : le disque local des postes, les clés USB et les services extérieurs (cloud personnel) ; ce qui y est rangé est sous votre responsabilité.",
		"Pour récupérer un fichier ou un dossier effacé, demandez-le à l’administrateur ou au chef d’établissement en indiquant le chemin et la date : il est restauré à côté de l’original ou à sa place, et la restauration est inscrite au journal.",
		"La restauration des données privées d’une personne n’est faite qu’à sa demande, ou sur réquisition judiciaire ; la base légale est inscrite au journal.",
	}
	return paras, items
}
