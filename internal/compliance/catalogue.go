// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
)

// Requirement is one requirement of the CARINE catalogue.
type Requirement struct {
	ID          string `json:"id"`      // official ID (INF-AUT-7), or -nX for a narrative statement
	Service     string `json:"service"` // INF-AUT
	Topic       string `json:"topic"`
	Text        string `json:"text"`     // the catalogue's English paraphrase
	Level1      string `json:"level_1d"` // E, R, F or R* in primary schools; "" for a narrative statement
	Level2      string `json:"level_2d"` // the same in secondary schools
	Tag         string `json:"tag"`      // P (product), S (support), X (outside software), or S+P
	Narrative   bool   `json:"narrative,omitempty"`
	Realization string `json:"realization"` // what the product does for it, per the catalogue
}

// Product reports whether the software must realise the requirement (a [P]
// tag, alone or with [S]).
func (q Requirement) Product() bool { return strings.Contains(q.Tag, "P") }

//go:embed catalogue.json
var catalogueJSON []byte

var catalogue = sync.OnceValue(func() []Requirement {
	var reqs []Requirement
	if err := json.Unmarshal(catalogueJSON, &reqs); err != nil {
		panic("compliance: catalogue.json: " + err.Error()) // generated and tested: cannot happen
	}
	return reqs
})

// Catalogue returns the requirements in catalogue order (a copy).
func Catalogue() []Requirement { return append([]Requirement(nil), catalogue()...) }

// Service is one of CARINE's 15 services.
type Service struct {
	Code string // INF-ANN
	Name Text
}

var services = []Service{
	{"INF-ANN", T("Annuaire", "Directory")},
	{"INF-PDT", T("Poste de travail", "Workstation")},
	{"INF-AUT", T("Authentification", "Authentication")},
	{"INF-SEC", T("Sécurité et accès au réseau", "Network security and access")},
	{"INF-DIF", T("Diffusion d’informations", "Information display")},
	{"MCO-SVG", T("Sauvegarde", "Backup")},
	{"MCO-REG", T("Régénération et configuration des postes", "Workstation regeneration")},
	{"MCO-SEI", T("Supervision et exploitation", "Supervision and operations")},
	{"MCO-JAL", T("Gestion des journaux", "Log management")},
	{"MCO-PAR", T("Gestion de parc", "Asset management")},
	{"UTI-ESF", T("Stockage et synchronisation", "Storage and synchronisation")},
	{"UTI-MSG", T("Messagerie (courriel et SMS)", "Messaging (e-mail and SMS)")},
	{"UTI-CTR", T("Communication en temps réel", "Real-time communication")},
	{"UTI-PUB", T("Publication", "Publishing")},
	{"UTI-REC", T("Recherche documentaire", "Document search")},
}

// Services returns the 15 services in catalogue order.
func Services() []Service { return append([]Service(nil), services...) }

// ServiceByCode returns the service with code, and whether it exists.
func ServiceByCode(code string) (Service, bool) {
	for _, s := range services {
		if s.Code == code {
			return s, true
		}
	}
	return Service{}, false
}
