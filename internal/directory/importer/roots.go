// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"fmt"
	"strings"
)

// Root elements of the national exports (formats.md §2.1, §3.1).
const (
	rootEleves        = "BEE_ELEVES"
	rootStructures    = "BEE_STRUCTURES"
	rootNomenclatures = "BEE_NOMENCLATURES"
	rootResponsables  = "BEE_RESPONSABLES"
	rootCommun        = "BEE_COMMUN"
	rootSTS           = "STS_EDT"
	rootEDT           = "EDT_STS"
	rootAAF           = "FICALIMMENESR"
)

// rootInfo describes a known root element for error messages.
type rootInfo struct {
	what  string // the file it is
	parse string // the parser that reads it, "" when none does
}

var roots = map[string]rootInfo{
	rootEleves:        {"a SIECLE pupils export (ElevesSansAdresses.xml or ElevesAvecAdresses.xml)", "ParseSIECLE"},
	rootStructures:    {"a SIECLE structures export (Structures.xml)", "ParseStructures"},
	rootNomenclatures: {"a SIECLE nomenclature export (Nomenclature.xml)", "ParseNomenclature"},
	rootResponsables:  {"a SIECLE guardians export (ResponsablesAvecAdresses.xml), which is never imported: the directory holds no guardians (INF-ANN-8)", ""},
	rootCommun:        {"a SIECLE common-data export (Communs.xml), which is not needed", ""},
	rootSTS:           {"an STS-Web export (sts_emp_<UAI>_<YEAR>.xml)", "ParseSTS"},
	rootEDT:           {"an emp_sts file that timetable software sends INTO STS-Web; export sts_emp_<UAI>_<YEAR>.xml from STS-Web (Exports › Emploi du temps) instead", ""},
	rootAAF:           {"an AAF file (ENT_…_Complet_… or ENT_…_Delta_…)", "ParseAAF"},
}

// rootMessage explains that the document's root is found where expected
// was expected (both upper-case names but found, which is as written).
func rootMessage(found, expected string) string {
	msg := fmt.Sprintf("root element is <%s>, expected <%s>", found, expectedName(expected))
	if info, ok := roots[strings.ToUpper(found)]; ok {
		msg += ": this is " + info.what
	}
	if info, ok := roots[expected]; ok {
		msg += "; expected " + info.what
	}
	return msg
}

// expectedName writes an upper-case root as the files spell it.
func expectedName(up string) string {
	if up == rootAAF {
		return "ficAlimMENESR"
	}
	return up
}
