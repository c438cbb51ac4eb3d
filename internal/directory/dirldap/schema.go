// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirldap

import (
	"fmt"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// OIDArc is the arc under which Préau defines the SDET attribute types and
// object classes it serves. CARINE's SDET has no national arc: RECIA's
// schema uses the placeholder 1.1 (formats.md §4.1). Until Préau has an IANA
// Private Enterprise Number, it uses 1.3.6.1.4.1.99999.77 (99999 is not
// assigned to anyone; replace it when a PEN is obtained) and keeps RECIA's
// suffixes: attribute NNN is <arc>.1.NNN, class NN is <arc>.2.NN.
const OIDArc = "1.3.6.1.4.1.99999.77"

// sdetAttributes are the SDET attribute types served, with RECIA suffixes.
var sdetAttributes = []struct {
	name   string
	suffix int
	single bool
	syntax string // 15 DirectoryString, 12 DN
}{
	{"ENTPersonLogin", 109, true, "15"},
	{"ENTPersonJointure", 111, false, "15"},
	{"ENTPersonStructRattach", 112, true, "12"},
	{"ENTPersonProfils", 114, false, "15"},
	{"ENTPersonFonctions", 169, false, "15"},
	{"ENTEleveClasses", 135, false, "15"},
	{"ENTEleveGroupes", 136, false, "15"},
	{"ENTEleveStructRattachId", 178, true, "15"},
	{"ENTEleveINE", 190, true, "15"},
	{"ENTAuxEnsClasses", 148, false, "15"},
	{"ENTAuxEnsGroupes", 149, false, "15"},
	{"ENTAuxEnsClassesPrincipal", 150, false, "15"},
	{"ENTAuxEnsMatiereEnseignEtab", 147, false, "15"},
	{"ENTStructureNomCourant", 301, true, "15"},
	{"ENTStructureUAI", 306, true, "15"},
	{"ENTStructureTypeStruct", 320, true, "15"},
	{"ENTStructureJointure", 319, false, "15"},
}

var sdetClasses = []struct {
	name, sup, kind string
	suffix          int
	may             string
}{
	{"ENTPerson", "inetOrgPerson", "STRUCTURAL", 1, "ENTPersonLogin $ ENTPersonJointure $ ENTPersonStructRattach $ ENTPersonProfils $ ENTPersonFonctions"},
	{"ENTEleve", "ENTPerson", "STRUCTURAL", 2, "ENTEleveClasses $ ENTEleveGroupes $ ENTEleveStructRattachId $ ENTEleveINE"},
	{"ENTAuxEnseignant", "top", "AUXILIARY", 4, "ENTAuxEnsClasses $ ENTAuxEnsGroupes $ ENTAuxEnsClassesPrincipal $ ENTAuxEnsMatiereEnseignEtab"},
	{"ENTAuxNonEnsEtab", "top", "AUXILIARY", 7, "ENTPersonFonctions"},
	{"ENTStructure", "organizationalUnit", "STRUCTURAL", 21, "ENTStructureNomCourant $ ENTStructureUAI $ ENTStructureTypeStruct $ ENTStructureJointure"},
	{"ENTEtablissement", "ENTStructure", "STRUCTURAL", 22, ""},
	{"ENTClasse", "groupOfNames", "STRUCTURAL", 41, ""},
	{"ENTGroupe", "groupOfNames", "STRUCTURAL", 42, ""},
}

// SubschemaAttributeTypes returns RFC 4512 descriptions of the SDET
// attribute types served (standard ones come from the LDAP server's base
// schema).
func SubschemaAttributeTypes() []string {
	out := make([]string, 0, len(sdetAttributes))
	for _, a := range sdetAttributes {
		single := ""
		if a.single {
			single = " SINGLE-VALUE"
		}
		eq := "EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch"
		if a.syntax == "12" {
			eq = "EQUALITY distinguishedNameMatch"
		}
		out = append(out, fmt.Sprintf("( %s.1.%d NAME '%s' %s SYNTAX 1.3.6.1.4.1.1466.115.121.1.%s%s )",
			OIDArc, a.suffix, a.name, eq, a.syntax, single))
	}
	return out
}

// SubschemaObjectClasses returns RFC 4512 descriptions of the SDET classes.
func SubschemaObjectClasses() []string {
	out := make([]string, 0, len(sdetClasses))
	for _, c := range sdetClasses {
		may := ""
		if c.may != "" {
			may = " MAY ( " + c.may + " )"
		}
		out = append(out, fmt.Sprintf("( %s.2.%d NAME '%s' SUP %s %s%s )", OIDArc, c.suffix, c.name, c.sup, c.kind, may))
	}
	return out
}

// profileCodes maps Préau profiles to the national ENTPersonProfils values
// (formats.md §4.4) and the POSIX primary group of the profile.
var profileCodes = map[string]struct {
	national string
	gid      int64
	group    string
}{
	"pupil":   {directory.NationalProfiles[core.ProfilePupil], 10001, "eleves"},
	"teacher": {directory.NationalProfiles[core.ProfileTeacher], 10002, "enseignants"},
	"staff":   {directory.NationalProfiles[core.ProfileStaff], 10003, "personnels"},
	"head":    {directory.NationalProfiles[core.ProfileHead], 10004, "direction"},
	"admin":   {directory.NationalProfiles[core.ProfileAdmin], 10005, "administrateurs"},
}
