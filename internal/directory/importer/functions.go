// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// functionLabels names the FONCTION codes of STS and AAF (formats.md §2.5;
// the meanings are from memory of the national nomenclature and only shown
// to people). Unknown codes are kept as they are.
var functionLabels = map[string]string{
	"ADF": "Administration", "ADM": "Administration", "AED": "Assistant d'éducation",
	"AES": "AESH", "ALB": "Laboratoire", "ASE": "Service social", "CFC": "Formation continue",
	"CTR": "Directeur délégué aux formations", "DIR": "Direction", "DOC": "Documentation",
	"EDU": "Éducation", "ENS": "Enseignement", "LAB": "Laboratoire", "MDS": "Médico-social",
	"ORI": "Orientation", "OUV": "Service technique", "PSY": "Psychologue", "SUR": "Surveillance",
	"TEC": "Service technique",
}

// functionLabel returns the label of a FONCTION code.
func functionLabel(code string) string {
	if l, ok := functionLabels[code]; ok {
		return l
	}
	return code
}

// profileForFunction maps a FONCTION code to a profile: ENS and DOC are
// teachers (documentalists are teachers in Préau), DIR is the direction
// (head), anything else is staff.
func profileForFunction(code string) core.Profile {
	switch strings.ToUpper(code) {
	case "ENS", "DOC":
		return core.ProfileTeacher
	case "DIR":
		return core.ProfileHead
	}
	return core.ProfileStaff
}

// profileForAAF maps an ENTPersonProfils value (formats.md §4.4, either
// naming scheme, any case) to a profile. guardian reports National_TUT /
// National_2, whose records are never kept; ok is false for unknown values.
func profileForAAF(v string) (p core.Profile, guardian, ok bool) {
	switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(v), "NATIONAL_")) {
	case "ELV", "1":
		return core.ProfilePupil, false, true
	case "TUT", "2":
		return "", true, true
	case "ENS", "DOC", "3":
		return core.ProfileTeacher, false, true
	case "DIR":
		return core.ProfileHead, false, true
	case "EVS", "ETA", "ACA", "COL", "4", "5", "6", "7":
		return core.ProfileStaff, false, true
	}
	return "", false, false
}
