// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package sso

import (
	"context"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Identity is what applications learn about the person who signs in: the
// directory's minimised record (no birth date, address or phone is ever
// held, INF-ANN-8), with the SDET names ENT applications filter on.
type Identity struct {
	Subject         string // the person's stable ID (UUID), never reused
	Login           string
	GivenName       string
	FamilyName      string
	DisplayName     string
	Mail            string
	Profile         core.Profile
	NationalProfile string   // ENTPersonProfils
	UAI             string   // main establishment (ENTPersonStructRattachRNE)
	UAIs            []string // every establishment
	Classes         []string // class codes of the current school year (ENTEleveClasses)
	Groups          []string // other group codes
}

// LoadIdentity reads the identity of a person.
func LoadIdentity(ctx context.Context, st Store, personID string) (*Identity, error) {
	p, err := st.FindPerson(ctx, personID)
	if err != nil {
		return nil, err
	}
	id := &Identity{Subject: p.ID, Login: p.Login, GivenName: p.GivenName, FamilyName: p.FamilyName,
		DisplayName: p.DisplayName, Mail: p.Mail, Profile: p.Profile,
		NationalProfile: directory.NationalProfiles[p.Profile]}
	for i, estID := range p.Establishments {
		est, err := st.FindEstablishment(ctx, estID)
		if err != nil {
			return nil, err
		}
		id.UAIs = append(id.UAIs, est.UAI)
		if i == 0 {
			id.UAI = est.UAI
		}
	}
	ms, err := st.FindMemberships(ctx, personID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Group.Kind == directory.Class {
			id.Classes = append(id.Classes, m.Group.Code)
		} else {
			id.Groups = append(id.Groups, m.Group.Code)
		}
	}
	slices.Sort(id.Classes)
	slices.Sort(id.Groups)
	return id, nil
}
