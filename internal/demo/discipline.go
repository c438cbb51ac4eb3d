// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import "strings"

// Disciplines taught in the demo establishments, as shown to users in
// Person.Discipline and in the names of discipline groups.
const (
	discLettres    = "Lettres modernes"
	discClassiques = "Lettres classiques"
	discMaths      = "Mathématiques"
	discHistGeo    = "Histoire-géographie"
	discAnglais    = "Anglais"
	discEspagnol   = "Espagnol"
	discAllemand   = "Allemand"
	discSVT        = "SVT"
	discPhysique   = "Physique-chimie"
	discTechno     = "Technologie"
	discEPS        = "EPS"
	discArts       = "Arts plastiques"
	discMusique    = "Éducation musicale"
	discDoc        = "Documentation"
	discSES        = "SES"
	discPhilo      = "Philosophie"
	discEcoGestion = "Économie-gestion"
	discSI         = "Sciences de l'ingénieur"
	discNSI        = "NSI"
	discPE         = "Professeur des écoles"
)

// disciplineCodes gives the ASCII code used in discipline group codes.
var disciplineCodes = map[string]string{
	discLettres: "LETTRES", discClassiques: "LETTRES-CLASS", discMaths: "MATHS",
	discHistGeo: "HIST-GEO", discAnglais: "ANGLAIS", discEspagnol: "ESPAGNOL",
	discAllemand: "ALLEMAND", discSVT: "SVT", discPhysique: "PHYS-CHIM",
	discTechno: "TECHNO", discEPS: "EPS", discArts: "ARTS-PLA", discMusique: "EDUC-MUS",
	discDoc: "DOC", discSES: "SES", discPhilo: "PHILO", discEcoGestion: "ECO-GESTION",
	discSI: "SI", discNSI: "NSI", discPE: "PE",
}

// disciplineCode returns the code of discipline d, or its upper-case slug.
func disciplineCode(d string) string {
	if c, ok := disciplineCodes[d]; ok {
		return c
	}
	return strings.ToUpper(slug(d))
}
