// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package importer reads the national exports that feed a school directory
// (CARINE INF-ANN-3) — SIECLE (BEE_ELEVES, Structures.xml,
// Nomenclature.xml), STS-Web (sts_emp_<UAI>_<YEAR>.xml), AAF
// (ficAlimMENESR, Complet and Delta) — and a documented CSV format, into a
// neutral Batch (formats.md §2, §3). It is pure: no store, no clock, no I/O
// but the readers it is given. Another package diffs a Batch against the
// directory and applies it.
//
// # Data minimisation (INF-ANN-6, INF-ANN-8)
//
// Each parser has an explicit allow-list: keys and join keys (ELEVE_ID,
// INE, STS ID, AAF jointure), usual names, profile, class, groups, teaching
// services, disciplines, head-teacher classes and function labels. Every
// other element, attribute or column is dropped while the file streams
// (xml.Decoder token by token): the text of a dropped element is never
// copied — only the fact that it was not blank survives the token — and
// Batch.Dropped counts such values by name (DATE_NAISS, TEL_PORTABLE,
// ENTPersonAdresse, CODE_SEXE, CODE_REGIME, PersRelEleve…), never with
// their content. Errors (*ParseError) and warnings name files, lines,
// elements and identifiers, never a personal value. Guardians (SIECLE
// BEE_RESPONSABLES, AAF PersRelEleve, ENTElevePersRelEleve…) are never kept.
// Only allow-listed values are buffered, and only until the end of their
// record: the legal family name until the record says whether a usual one
// exists, DATE_SORTIE until the pupil's activity is decided, STS PRENOM
// until its first word is taken. Kept values are limited to 1 KiB and
// elements to 64 levels.
//
// # Encodings
//
// XML files are read in the encoding of their prolog: UTF-8, ISO-8859-15
// (the national exports), ISO-8859-1 (older STS files) or Windows-1252;
// a UTF-8 byte order mark is skipped; any other encoding is refused. CSV
// files are UTF-8, with or without BOM, unless the file name says latin1,
// latin9, iso-8859-1, iso-8859-15 or cp1252 (any case, separators optional,
// e.g. eleves.latin9.csv); without BOM or such a name, the first 64 KiB are
// sniffed: invalid UTF-8 is read as ISO-8859-15 (Windows-1252 when bytes
// 0x80–0x9F occur) and a warning says so. Invalid UTF-8 found later in a
// file read as UTF-8 is an error.
//
// # CSV format
//
// One header line, then one person per line. The separator is the one the
// header uses most among ',', ';' and tab; fields may be quoted (RFC 4180)
// and Excel's text protection ="4A" is removed. Header names are
// case-insensitive; the French aliases in parentheses are accepted.
//
//	uai              required  UAI of the establishment, the same on every line (one file per establishment)
//	profile (profil) required  pupil, teacher, staff or head (élève, enseignant, professeur, personnel, direction)
//	key (identifiant) required stable identifier of the person in the source: Key{"import_key", key}
//	given_name (prenom, prénom) required  usual given name
//	family_name (nom)  required  usual family name
//	class (classe, division)     pupils: class code
//	groups (groupes)             pupils: teaching group codes, separated by |
//	ine                          pupils: national pupil number
//	siecle_eleve_id, sts_id, aaf_jointure   other join keys (aaf_jointure is normalised to "MENESR$id")
//	disciplines                  teachers: subject labels, separated by |
//	teaches                      teachers: GROUP or GROUP:Subject entries, separated by |
//	head_teacher_of              teachers: class codes, separated by |
//	functions (fonctions)        staff and heads: function labels, separated by |
//	school_year                  optional; 2026 or 2026-2027, the same on every line
//
// Any other column is dropped and its non-empty values are counted; a
// column whose name is personal data (core.ForbiddenAttribute: date de
// naissance, téléphone, adresse, responsable…) also gets a warning saying
// it is never imported. A code used in some row's class or head_teacher_of
// is a class; other codes are teaching groups.
//
// # Keys
//
// Person.Key is the stable source key: SIECLE ELEVE_ID
// ("siecle_eleve_id"), STS INDIVIDU/@ID ("sts_id"; "local:" + ID for local
// staff), AAF ENTPersonJointure ("aaf_jointure", always "SOURCE$id" as in
// the ENT directory: a bare id becomes "MENESR$id") and the CSV key
// ("import_key"). Person.ExternalIDs holds the key and the other join keys
// the file gives (the INE of pupils).
package importer
