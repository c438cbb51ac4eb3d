// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"context"
	"fmt"
	"time"
)

// BackupFacts are the backup service's facts (MCO-SVG), from its history.
type BackupFacts struct {
	Configured     bool      // a recovery key is set up
	PolicyText     Text      // the live policy in words ("" when none stored)
	LastBackup     time.Time // last successful backup (zero: none)
	LastBackupFail time.Time // last failed backup
	LastCheck      time.Time // last verification (no key), any result
	LastCheckOK    bool
	LastDrill      time.Time // last restore drill with the recovery key, any result
	LastDrillOK    bool
	DrillDays      int  // the policy's drill interval
	OffSite        bool // the last backup went to a receiver (https://…)
	Restores       int  // restores recorded
	RetentionSet   bool
	ScheduleSet    bool
}

// Backups gives the backup facts.
type Backups interface {
	BackupFacts(ctx context.Context) (*BackupFacts, error)
}

func ymd(t time.Time) string { return t.UTC().Format("2006-01-02") }

func backupMissing(f *Facts) (Status, Text, bool) {
	if f.Backup == nil || !f.Backup.Configured {
		return NotMet, T("Aucune sauvegarde configurée, donc aucune restauration possible ni testée : lancez « preau backup init » puis « preau backup run --repo DOSSIER ».",
			"No backup set up, so no restore possible nor tested: run “preau backup init” then “preau backup run --repo FOLDER”."), true
	}
	return "", Text{}, false
}

// backupRules assess MCO-SVG from the backup history.
var backupRules = map[string]rule{
	"MCO-SVG-1": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		b := f.Backup
		if b.LastBackup.IsZero() {
			return NotMet, T("Aucune sauvegarde réussie enregistrée.", "No successful backup recorded.")
		}
		t := T("Sauvegarde chiffrée et dédupliquée de la base, du dossier de données (clés, configuration) et de tous les objets stockés ; dernière sauvegarde réussie le "+ymd(b.LastBackup)+".",
			"Encrypted, deduplicated backup of the database, the data folder (keys, configuration) and every stored object; last successful backup on "+ymd(b.LastBackup)+".")
		st := Met
		if f.Now.Sub(b.LastBackup) > 72*time.Hour {
			st = Partly
			t = join(t, T("Attention : plus de trois jours sans sauvegarde réussie.", "Warning: more than three days without a successful backup."))
		}
		return st, join(t, T("Restauration par nom de l’espace, d’un dossier ou d’un fichier d’une personne, en place ou à côté (« preau restore --person »).",
			"Restore by name of a person’s space, folder or file, in place or beside (“preau restore --person”)."))
	},
	"MCO-SVG-2": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		if !f.Backup.ScheduleSet {
			return Partly, T("Politique par défaut (chaque nuit, lecture complète chaque semaine) : enregistrez la politique de l’établissement.",
				"Default policy (nightly, a full read weekly): record the establishment’s policy.")
		}
		return Met, join(f.Backup.PolicyText, T("Sauvegardes incrémentales avec lecture complète périodique, sélection par chemin et par date de modification.",
			"Incremental backups with a periodic full read, selection by path and by modification date."))
	},
	"MCO-SVG-3": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Met, join(T("Plusieurs versions conservées selon la politique de rétention ; restauration de n’importe quel instantané conservé ou à une date donnée (« preau restore --snapshot » ou « --at »).",
			"Several versions kept by the retention policy; restore of any kept snapshot or at a given date (“preau restore --snapshot” or “--at”)."), f.Backup.PolicyText)
	},
	"MCO-SVG-5": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		if f.Backup.OffSite {
			return Met, T("La dernière sauvegarde est partie vers un récepteur distant en ajout seul.", "The last backup went to a remote append-only receiver.")
		}
		return Partly, T("Sauvegarde locale : vérifiez qu’elle est sur un autre disque ; ajoutez une copie vers un récepteur distant (académie).",
			"Local backup: check it is on another disk; add a copy to a remote receiver (académie).")
	},
	"MCO-SVG-8": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		b := f.Backup
		check := T("Aucune vérification enregistrée.", "No verification recorded.")
		if !b.LastCheck.IsZero() {
			r := map[bool][2]string{true: {"réussie", "passed"}, false: {"ÉCHEC", "FAILED"}}[b.LastCheckOK]
			check = T("Dernière vérification de l’intégrité : "+ymd(b.LastCheck)+" ("+r[0]+").", "Last integrity check: "+ymd(b.LastCheck)+" ("+r[1]+").")
		}
		drill := T("Aucun exercice de restauration avec la clé de secours enregistré.", "No restore drill with the recovery key recorded.")
		if !b.LastDrill.IsZero() {
			r := map[bool][2]string{true: {"réussi", "passed"}, false: {"ÉCHEC", "FAILED"}}[b.LastDrillOK]
			drill = T("Dernier exercice de restauration : "+ymd(b.LastDrill)+" ("+r[0]+").", "Last restore drill: "+ymd(b.LastDrill)+" ("+r[1]+").")
		}
		t := join(check, drill)
		days := b.DrillDays
		if days <= 0 {
			days = 90
		}
		switch {
		case b.LastCheck.IsZero() || b.LastDrill.IsZero() || !b.LastCheckOK || !b.LastDrillOK:
			return NotMet, t
		case f.Now.Sub(b.LastDrill) > time.Duration(days)*24*time.Hour:
			return Partly, join(t, T(fmt.Sprintf("Exercice en retard (un tous les %d jours).", days), fmt.Sprintf("Drill overdue (one every %d days).", days)))
		}
		return Met, t
	},
	"MCO-SVG-4": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Met, T("Le dépôt de sauvegarde est un simple dossier (« --repo ») : il peut être sur un disque amovible rangé hors site, et se restaure ailleurs avec la seule clé de secours.",
			"The backup repository is a plain folder (“--repo”): it can sit on a removable disk kept off-site, and restores elsewhere with the recovery key alone.")
	},
	"MCO-SVG-6": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		where := T("La dernière sauvegarde est locale.", "The last backup is local.")
		if f.Backup.OffSite {
			where = T("La dernière sauvegarde est partie vers un récepteur central.", "The last backup went to a central receiver.")
		}
		return Partly, join(T("Un récepteur central (« preau backup receive », par exemple à l’académie) reçoit en ajout seul les sauvegardes de plusieurs établissements et applique sa propre rétention ; la copie est bornée en débit et en plage horaire.",
			"A central receiver (“preau backup receive”, e.g. at the académie) takes several establishments’ backups append-only and applies its own retention; the copy has a bandwidth limit and a time window."), where,
			T("Manque : vue centrale de l’état des établissements.",
				"Missing: a central view of the establishments’ state."))
	},
	"MCO-SVG-7": fixed(NotMet, "Les postes ne sont pas sauvegardés : cela demande un agent sur les postes, non fourni ; la charte type dit que les disques locaux ne sont pas sauvegardés.",
		"Workstations are not backed up: that needs an agent on them, not provided; the model charter says local disks are not backed up."),
	"MCO-SVG-12": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Met, T("Contenu chiffré (age) avant de quitter le serveur, objets nommés par leur SHA-256 et vérifiés à la lecture ; transfert vers le récepteur en HTTPS avec jeton ou certificat client (TLS mutuel), en ajout seul : un émetteur ne peut ni effacer ni réécrire ; « preau backup check » détecte toute altération.",
			"Content encrypted (age) before it leaves the server, objects named by their SHA-256 and checked when read; transfer to the receiver over HTTPS with a token or a client certificate (mutual TLS), append-only: a sender can neither delete nor overwrite; “preau backup check” finds any damage.")
	},
	"MCO-SVG-n1": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Met, join(T("Service de sauvegarde et de restauration intégré (« preau backup », « preau restore », /admin/backup), planifié par la politique.",
			"Built-in backup and restore service (“preau backup”, “preau restore”, /admin/backup), scheduled by the policy."), f.Backup.PolicyText)
	},
	"MCO-SVG-n2": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Partly, join(f.Backup.PolicyText, T("La politique peut garder des instantanés mensuels et annuels sur plusieurs années. Manque : comparer la rétention aux durées légales des données réglementées.",
			"The policy can keep monthly and yearly snapshots over several years. Missing: comparing the retention with the legal durations of regulated data."))
	},
	"UTI-ESF-9": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		b := f.Backup
		if b.LastBackup.IsZero() {
			return NotMet, T("Aucune sauvegarde réussie enregistrée.", "No successful backup recorded.")
		}
		t := join(T("Les espaces de fichiers (contenus et base) sont dans chaque sauvegarde de l’établissement ; dernière sauvegarde réussie le "+ymd(b.LastBackup)+".",
			"File spaces (contents and database) are in every backup of the establishment; last successful backup on "+ymd(b.LastBackup)+"."), b.PolicyText)
		if f.Now.Sub(b.LastBackup) > 72*time.Hour {
			return Partly, join(t, T("Attention : plus de trois jours sans sauvegarde réussie.", "Warning: more than three days without a successful backup."))
		}
		return Met, t
	},
	"MCO-SVG-13": func(f *Facts, q Requirement) (Status, Text) {
		if st, t, bad := backupMissing(f); bad {
			return st, t
		}
		return Met, T(fmt.Sprintf("Chaque sauvegarde, vérification, purge et restauration est inscrite au journal d’audit (qui, quoi, quand, résultat, tailles) ; %d restaurations enregistrées.", f.Backup.Restores),
			fmt.Sprintf("Every backup, verification, prune and restore is in the audit journal (who, what, when, result, sizes); %d restores recorded.", f.Backup.Restores))
	},
}
