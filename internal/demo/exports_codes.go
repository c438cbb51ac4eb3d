// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// subjectCode is how the national files name a discipline: the 6-digit
// subject code (CODE_MATIERE), the management code (CODE_GESTION) and the
// post discipline code of STS (DISCIPLINE/@CODE). The codes are
// illustrative, as in formats.md §2.5; only their consistency matters.
type subjectCode struct{ matiere, gestion, poste string }

var subjectCodes = map[string]subjectCode{
	discLettres: {"020100", "FRANC", "L0202"}, discClassiques: {"020300", "LCALA", "L0201"},
	discMaths: {"061300", "MATHS", "L1300"}, discHistGeo: {"040300", "HIGEO", "L1000"},
	discAnglais: {"030201", "AGL1", "L0422"}, discEspagnol: {"030602", "ESP2", "L0426"},
	discAllemand: {"030102", "ALL2", "L0421"}, discSVT: {"062900", "SVT", "L1600"},
	discPhysique: {"061800", "PH-CH", "L1500"}, discTechno: {"063900", "TECHN", "L1400"},
	discEPS: {"100100", "EPS", "L1900"}, discArts: {"080100", "A-PLA", "L1800"},
	discMusique: {"081100", "EDMUS", "L1700"}, discDoc: {"", "", "L0080"},
	discSES: {"052400", "SES", "L8012"}, discPhilo: {"010100", "PHILO", "L0100"},
	discEcoGestion: {"073300", "ECOGE", "L8011"}, discSI: {"071300", "SII", "L1414"},
	discNSI: {"065500", "NSI", "L1390"}, discPE: {"", "", "P0000"},
}

// mefCode returns an illustrative 11-character MEF code for a class of
// level, track being the class code without its number ("2NDE", "1STMG").
func mefCode(level, track string) string {
	switch track {
	case "1STMG":
		return "21131012110"
	case "1STI2D":
		return "21133102110"
	case "TSTMG":
		return "21231012110"
	case "TSTI2D":
		return "21233102110"
	}
	return map[string]string{"6e": "10010012110", "5e": "10110001110", "4e": "10210001110",
		"3e": "10310019110", "2nde": "20010018110", "1re": "20111101110", "Tle": "20211101110"}[level]
}

// track returns a class code without its trailing digits or letter.
func track(code, level string) string {
	if strings.HasSuffix(level, "e") && len(code) == 2 { // collège: 6A
		return code[:1]
	}
	return strings.TrimRight(code, "0123456789")
}

// functionCode returns the FONCTION code of an adult (formats.md §2.5).
// The demo writes its deputy heads as ADM, so that only the head comes
// back as a head; real files say DIR for both.
func functionCode(p *Person) string {
	switch {
	case p.Profile == core.ProfileHead:
		return "DIR"
	case p.Profile == core.ProfileTeacher && p.Discipline == discDoc:
		return "DOC"
	case p.Profile == core.ProfileTeacher:
		return "ENS"
	}
	f := strings.ToLower(p.Function)
	switch {
	case strings.Contains(f, "adjoint"):
		return "ADM"
	case f == "cpe":
		return "EDU"
	case strings.HasPrefix(f, "assistant"):
		return "AED"
	case strings.HasPrefix(f, "infirmi"):
		return "MDS"
	case strings.HasPrefix(f, "psychologue"):
		return "PSY"
	}
	return "ADF"
}

// nationalProfile returns the ENTPersonProfils value of an adult (§4.4).
func nationalProfile(code string) string {
	switch code {
	case "DIR":
		return "National_DIR"
	case "ENS":
		return "National_ENS"
	case "DOC":
		return "National_DOC"
	case "EDU", "AED":
		return "National_EVS"
	}
	return "National_ETA"
}

// upperASCII writes a label as the national files do: upper case, no accents.
func upperASCII(s string) string { return strings.ToUpper(strings.ReplaceAll(slug(s), "-", " ")) }

// ageAtStart is the age pupils of a level reach in the calendar year the
// school year starts (a 6e pupil of 2026-2027 was born in 2015).
var ageAtStart = map[string]int{"6e": 11, "5e": 12, "4e": 13, "3e": 14, "2nde": 15, "1re": 16, "Tle": 17}
