// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/importer"
)

type parseFunc func(io.Reader, string) (*importer.Batch, error)

// siecleDoc wraps ELEVE records in a BEE_ELEVES document (line 1 is the prolog,
// the first record starts on line 4).
func siecleDoc(eleves string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="2.1"><PARAMETRES><UAJ>0999001W</UAJ><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES><ELEVES>
` + eleves + `
</ELEVES></DONNEES></BEE_ELEVES>
`
}

const pupil = `<ELEVE ELEVE_ID="%s"><NOM_DE_FAMILLE>EXEMPLE</NOM_DE_FAMILLE><PRENOM>Zoé</PRENOM><DATE_NAISS>14/05/2012</DATE_NAISS></ELEVE>`

func pupilRec(id string) string { return strings.Replace(pupil, "%s", id, 1) }

// aafDoc wraps requests in a ficAlimMENESR document (requests start on line 3).
func aafDoc(reqs string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<ficAlimMENESR>
` + reqs + `
</ficAlimMENESR>
`
}

func aafPupil(id, structure, extra string) string {
	return `<addRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
<identifier><id>` + id + `</id></identifier><attributes>
<attr name="sn"><value>EXEMPLE</value></attr><attr name="givenName"><value>Zoé</value></attr>
<attr name="ENTPersonDateNaissance"><value>14/05/2012</value></attr>
<attr name="ENTPersonStructRattach"><value>` + structure + `</value></attr>` + extra + `
</attributes></addRequest>`
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	stsHead := `<?xml version="1.0" encoding="ISO-8859-1"?>
<STS_EDT><PARAMETRES><UAJ CODE="0999001W"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES><INDIVIDUS>
`
	stsTail := "\n</INDIVIDUS></DONNEES></STS_EDT>\n"
	csvHead := "uai,profile,key,given_name,family_name,date_naissance\n"
	cases := []struct {
		name    string
		parse   parseFunc
		file    string
		in      string
		line    int
		element string
		msg     string
	}{
		{"malformed XML", importer.ParseSIECLE, "e.xml", siecleDoc(pupilRec("1") + "\n<ELEVE ELEVE_ID=\"2\"><NOM>X</PRENOM></ELEVE>"), 5, "NOM", "malformed XML"},
		{"unknown encoding", importer.ParseSIECLE, "e.xml", strings.Replace(siecleDoc(pupilRec("1")), "UTF-8", "EBCDIC-FR", 1), 1, "", `encoding "EBCDIC-FR" is not supported`},
		{"latin-9 bytes declared UTF-8", importer.ParseSIECLE, "e.xml", siecleDoc(strings.Replace(pupilRec("1"), "Zoé", "Zo\xe9", 1)), 4, "PRENOM", "invalid UTF-8"},
		{"truncated", importer.ParseSIECLE, "e.xml", siecleDoc(pupilRec("1"))[:200], 4, "ELEVE", "truncated"},
		{"empty file", importer.ParseSIECLE, "e.xml", "", 1, "", "no root element"},
		{"duplicate ELEVE_ID", importer.ParseSIECLE, "e.xml", siecleDoc(pupilRec("900001") + "\n" + pupilRec("900001")), 5, "ELEVE", "two pupils with ELEVE_ID 900001 (lines 4 and 5)"},
		{"pupil without ELEVE_ID", importer.ParseSIECLE, "e.xml", siecleDoc(`<ELEVE><NOM>X</NOM><PRENOM>Y</PRENOM></ELEVE>`), 4, "ELEVE", "without ELEVE_ID"},
		{"pupil without name", importer.ParseSIECLE, "e.xml", siecleDoc(`<ELEVE ELEVE_ID="7"><PRENOM>Zoé</PRENOM><DATE_NAISS>14/05/2012</DATE_NAISS></ELEVE>`), 4, "ELEVE", "ELEVE_ID 7 has no family name"},
		{"pupil without given name", importer.ParseSIECLE, "e.xml", siecleDoc(`<ELEVE ELEVE_ID="7"><NOM>X</NOM></ELEVE>`), 4, "ELEVE", "no given name"},
		{"duplicate INE", importer.ParseSIECLE, "e.xml", siecleDoc(`<ELEVE ELEVE_ID="1"><ID_NATIONAL>0000000001X</ID_NATIONAL><NOM>A</NOM><PRENOM>B</PRENOM></ELEVE>
<ELEVE ELEVE_ID="2"><ID_NATIONAL>0000000001X</ID_NATIONAL><NOM>C</NOM><PRENOM>D</PRENOM></ELEVE>`), 5, "ID_NATIONAL", "two pupils with one INE"},
		{"bad UAI check letter", importer.ParseSIECLE, "e.xml", strings.Replace(siecleDoc(pupilRec("1")), "0999001W", "0999001A", 1), 2, "UAJ", "check letter should be W"},
		{"missing UAJ", importer.ParseSIECLE, "e.xml", strings.Replace(siecleDoc(pupilRec("1")), "<UAJ>0999001W</UAJ>", "", 1), 5, "PARAMETRES/UAJ", "missing"},
		{"bad school year", importer.ParseSIECLE, "e.xml", strings.Replace(siecleDoc(pupilRec("1")), ">2025<", ">vingt<", 1), 2, "ANNEE_SCOLAIRE", "not a year"},
		{"guardians file", importer.ParseSIECLE, "ResponsablesAvecAdresses.xml", "<?xml version=\"1.0\"?>\n<BEE_RESPONSABLES/>", 2, "BEE_RESPONSABLES", "root element is <BEE_RESPONSABLES>, expected <BEE_ELEVES>: this is a SIECLE guardians export"},
		{"STS given to SIECLE", importer.ParseSIECLE, "sts.xml", stsHead + stsTail, 2, "STS_EDT", "root element is <STS_EDT>, expected <BEE_ELEVES>"},
		{"emp_sts refused", importer.ParseSTS, "emp_sts_0999001W_2025.xml", "<?xml version=\"1.0\"?>\n<EDT_STS></EDT_STS>", 2, "EDT_STS", "timetable software sends INTO STS-Web"},
		{"duplicate INDIVIDU", importer.ParseSTS, "sts.xml", stsHead + `<INDIVIDU ID="7001"><NOM_USAGE>A</NOM_USAGE><PRENOM>B</PRENOM></INDIVIDU>
<INDIVIDU ID="7001"><NOM_USAGE>C</NOM_USAGE><PRENOM>D</PRENOM><DATE_NAISSANCE>03/02/1980</DATE_NAISSANCE></INDIVIDU>` + stsTail, 4, "INDIVIDU", "two INDIVIDU with ID 7001 (lines 3 and 4)"},
		{"INDIVIDU without name", importer.ParseSTS, "sts.xml", stsHead + `<INDIVIDU ID="7001"><PRENOM>B</PRENOM><DATE_NAISSANCE>03/02/1980</DATE_NAISSANCE></INDIVIDU>` + stsTail, 3, "INDIVIDU", "no family name"},
		{"STS bad UAI", importer.ParseSTS, "sts.xml", strings.Replace(stsHead+stsTail, "0999001W", "999001W", 1), 2, "UAJ", "expected 7 digits"},
		{"STS missing year", importer.ParseSTS, "sts.xml", strings.Replace(stsHead+stsTail, `<ANNEE_SCOLAIRE ANNEE="2025"/>`, "", 1), 4, "PARAMETRES/ANNEE_SCOLAIRE", "missing"},
		{"AAF added pupil without sn", importer.ParseAAF, "ENT_0999001W_Complet_20250902_Eleve_0000.xml", aafDoc(strings.Replace(aafPupil("900001", "4242", ""), `<attr name="sn"><value>EXEMPLE</value></attr>`, "", 1)), 3, "sn", "person MENESR$900001 has no family name"},
		{"AAF request without id", importer.ParseAAF, "ENT_0999001W_Delta_20250902_Eleve_0000.xml", aafDoc("<deleteRequest><identifier><id></id></identifier></deleteRequest>"), 3, "identifier", "deleteRequest without identifier/id"},
		{"AAF two records for one person", importer.ParseAAF, "ENT_X_Complet_20250902_Eleve_0000.xml", aafDoc(aafPupil("900001", "4242", "") + "\n" + aafPupil("900001", "4242", "")), 9, "addRequest", "two records for MENESR$900001 (lines 3 and 9)"},
		{"AAF several establishments", importer.ParseAAF, "ENT_099_Complet_20250902_Eleve_0000.xml", aafDoc(aafPupil("900001", "4242", "") + "\n" + aafPupil("900002", "4343", "")), 9, "ENTPersonStructRattach", "several establishments (structures 4242, line 3, and 4343)"},
		{"AAF unsupported operation", importer.ParseAAF, "ENT_0999001W_Delta_20250902_Eleve_0000.xml", aafDoc(`<modifyRequest><identifier><id>1</id></identifier><modifications>
<modification name="ENTEleveGroupes" operation="add"><value>4242$G1</value></modification></modifications></modifyRequest>`), 4, "modification", `operation "add" is not supported`},
		{"AAF without category", importer.ParseAAF, "feed.xml", aafDoc(`<addRequest><identifier><id>1</id></identifier><attributes>
<attr name="sn"><value>X</value></attr></attributes></addRequest>`), 4, "sn", "does not say its kind"},
		{"AAF bad structure UAI", importer.ParseAAF, "ENT_X_Complet_20250902_EtabEducNat_0000.xml", aafDoc(`<addRequest><identifier><id>4242</id></identifier><attributes>
<attr name="ENTStructureUAI"><value>0999001X</value></attr></attributes></addRequest>`), 3, "ENTStructureUAI", "check letter should be W"},
		{"CSV without header", importer.ParseCSV, "c.csv", "", 1, "", "a header line is required"},
		{"CSV missing column", importer.ParseCSV, "c.csv", "uai,profile,given_name,family_name\n", 1, "key", "required column missing"},
		{"CSV duplicate column", importer.ParseCSV, "c.csv", "uai,profile,key,key,given_name,family_name\n", 1, "key", "column given twice"},
		{"CSV bad profile", importer.ParseCSV, "c.csv", csvHead + "0999001W,parent,K1,Zoé,Exemple,14/05/2012\n", 2, "profile", `"parent" is not one of`},
		{"CSV duplicate key", importer.ParseCSV, "c.csv", csvHead + "0999001W,pupil,K1,Zoé,Exemple,14/05/2012\n0999001W,pupil,K1,Léo,Exemple,15/05/2012\n", 3, "key", "two rows with key K1 (lines 2 and 3)"},
		{"CSV two establishments", importer.ParseCSV, "c.csv", csvHead + "0999001W,pupil,K1,Zoé,Exemple,\n0999002X,pupil,K2,Léo,Exemple,\n", 3, "uai", "second establishment 0999002X"},
		{"CSV bad UAI", importer.ParseCSV, "c.csv", csvHead + "0999001A,pupil,K1,Zoé,Exemple,14/05/2012\n", 2, "uai", "check letter"},
		{"CSV empty name", importer.ParseCSV, "c.csv", csvHead + "0999001W,pupil,K1,,Exemple,14/05/2012\n", 2, "given_name", "empty value"},
		{"CSV too many fields", importer.ParseCSV, "c.csv", csvHead + "0999001W,pupil,K1,Zoé,Exemple,14/05/2012,x\n", 2, "", "7 fields, but the header has 6"},
		{"CSV invalid UTF-8 after the sniffed part", importer.ParseCSV, "c.csv", csvHead + bigCSV(2200) + "0999001W,pupil,KX,Zo\xe9,Exemple,14/05/2012\n", 2202, "given_name", "invalid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.parse(strings.NewReader(tc.in), tc.file)
			if err == nil {
				t.Fatalf("no error; batch %+v", b)
			}
			checkParseError(t, err, tc.file, tc.line, tc.element, tc.msg)
		})
	}
}

// bigCSV returns n valid data rows (keys B0…), more than 64 KiB for n ≥ 2200.
func bigCSV(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("0999001W,pupil,B" + itoa(i) + ",Zoé,Exemple-Longuenom-Pour-Remplir,\n")
	}
	return b.String()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// checkParseError checks that err is a *ParseError with file, line and
// element, that it is core.Invalid, and that it quotes no birth date.
func checkParseError(t *testing.T, err error, file string, line int, element, msg string) {
	t.Helper()
	var pe *importer.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
	if core.KindOf(err) != core.Invalid {
		t.Errorf("kind %v, want invalid", core.KindOf(err))
	}
	if core.MessageOf(err) != err.Error() {
		t.Errorf("MessageOf = %q, want %q", core.MessageOf(err), err.Error())
	}
	if pe.File != file || pe.Line != line || pe.Element != element {
		t.Errorf("error at %s:%d %q, want %s:%d %q (%v)", pe.File, pe.Line, pe.Element, file, line, element, err)
	}
	if !strings.Contains(pe.Msg, msg) {
		t.Errorf("message %q does not say %q", pe.Msg, msg)
	}
	for _, private := range []string{"14/05/2012", "15/05/2012", "03/02/1980"} {
		if strings.Contains(err.Error(), private) {
			t.Errorf("error %q quotes a birth date", err)
		}
	}
}
