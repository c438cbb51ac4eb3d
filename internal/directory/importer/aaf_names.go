// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"path"
	"strings"

	"github.com/preau/preau/internal/core"
)

// AAF record categories, lower case: the values of categoriePersonne,
// categorieStructure, categorieMef and categorieMatiere, and the <Type> part
// of file names (formats.md §3.1).
const (
	catEleve    = "eleve"
	catPersEduc = "perseducnat"
	catPersRel  = "persreleleve"
	catEtab     = "etabeducnat"
	catMef      = "mefeducnat"
	catMatiere  = "matiereeducnat"
)

// categoryOf normalises a category value or file-name type.
func categoryOf(v string) string {
	switch c := strings.ToLower(strings.TrimSpace(v)); c {
	case "mef":
		return catMef
	case "matiere":
		return catMatiere
	case catEleve, catPersEduc, catPersRel, catEtab, catMef, catMatiere:
		return c
	}
	return ""
}

// aafAllowed is the allow-list of AAF attributes per category, lower case
// (formats.md §3.2; AAF 1D names included). Every other attribute is
// dropped and counted; PersRelEleve (guardians) keeps nothing.
var aafAllowed = map[string]map[string]bool{
	catEleve: set("entpersonjointure", "sn", "givenname", "entpersonstructrattach",
		"enteleveclasses", "entelevegroupes", "enteleveine", "entpersonprofils",
		"entpersonnom", "entpersonprenom", "entpersonclasses", "entpersongroupes"),
	catPersEduc: set("entpersonjointure", "sn", "givenname", "entpersonstructrattach",
		"entpersonprofils", "entauxensclasses", "entauxensgroupes", "entauxensclassesmatieres",
		"entauxensgroupesmatieres", "entauxensclassesprincipal", "entensfonctiondir",
		"entpersonfonctions", "perseducnatpresencedevanteleves", "entauxenscategodiscipline"),
	catPersRel: {},
	catEtab: set("entstructurejointure", "entstructureuai", "entetablissementuai",
		"entstructureclasses", "entstructuregroupes"),
	catMef:     set("entmefjointure", "entlibellemef"),
	catMatiere: set("entmatjointure", "entlibellematiere"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// aafFields maps an allowed person attribute to the Person fields it sets,
// for Person.Fields of partial (modifyRequest) records.
var aafFields = map[string][]string{
	"sn": {"family_name"}, "entpersonnom": {"family_name"},
	"givenname": {"given_name"}, "entpersonprenom": {"given_name"},
	"entpersonstructrattach": {"uai"},
	"enteleveclasses":        {"class"}, "entpersonclasses": {"class"},
	"entelevegroupes": {"groups"}, "entpersongroupes": {"groups"},
	"enteleveine":      {"external_ids"},
	"entpersonprofils": {"profile"}, "entensfonctiondir": {"profile"},
	"perseducnatpresencedevanteleves": {"profile"},
	"entpersonfonctions":              {"profile", "functions", "disciplines"},
	"entauxensclasses":                {"teaches_classes"}, "entauxensgroupes": {"teaches_groups"},
	"entauxensclassesmatieres": {"teaches_classes"}, "entauxensgroupesmatieres": {"teaches_groups"},
	"entauxensclassesprincipal": {"head_teacher_of"},
	"entauxenscategodiscipline": {"disciplines"},
}

// aafName is what an AAF file name says: ENT_<UAI or academy>_<Complet|
// Delta>_<YYYYMMDD>_<Type>_<NNNN>.xml.
type aafName struct {
	uai      string // set when the second part is a valid UAI
	complete bool   // "Complet"
	delta    bool   // "Delta"
	category string // from <Type>, "" when absent
}

func parseAAFName(name string) aafName {
	var n aafName
	parts := strings.Split(strings.TrimSuffix(path.Base(strings.ReplaceAll(name, `\`, "/")), ".xml"), "_")
	for i, p := range parts {
		switch {
		case strings.EqualFold(p, "Complet"):
			n.complete = true
		case strings.EqualFold(p, "Delta"):
			n.delta = true
		case i == 1:
			if uai, err := core.ParseUAI(p); err == nil {
				n.uai = uai
			}
		}
		if c := categoryOf(p); c != "" && i > 1 {
			n.category = c
		}
	}
	return n
}

// jointure normalises an ENTPersonJointure or identifier to the form of
// the ENT directory, "SOURCE$id" (formats.md §4.3): a bare id from the
// académie feed becomes "MENESR$id".
func jointure(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || strings.Contains(v, "$") {
		return v
	}
	return "MENESR$" + v
}

// dollar splits a $-separated AAF value (formats.md §3.3) into n fields at
// least, padding with "", trimming each, and turning "-" into "".
func dollar(v string, n int) []string {
	f := strings.Split(v, "$")
	for len(f) < n {
		f = append(f, "")
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
		if f[i] == "-" {
			f[i] = ""
		}
	}
	return f
}
