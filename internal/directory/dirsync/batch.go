// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirsync

import (
	"slices"

	"github.com/preau/preau/internal/directory/importer"
)

// FromBatch turns a parsed import (package importer) into the engine's
// input. People of an AAF file attached to another establishment than the
// batch's are left out.
func FromBatch(b *importer.Batch) *Incoming {
	in := &Incoming{Source: string(b.Source), UAI: b.UAI, SchoolYear: b.SchoolYear, Files: b.Files,
		Complete: b.Complete, Dropped: b.Dropped, Covers: b.Covers}
	for _, g := range b.Groups {
		in.Groups = append(in.Groups, Group{Code: g.Code, Name: g.Name, Kind: g.Kind, Level: g.Level})
	}
	for _, p := range b.People {
		if p.UAI != "" && b.UAI != "" && p.UAI != b.UAI {
			continue
		}
		q := Person{Key: Key(p.Key), ExternalIDs: p.ExternalIDs, GivenName: p.GivenName, FamilyName: p.FamilyName,
			Profile: p.Profile, Class: p.Class, Groups: p.Groups}
		for _, t := range p.Teaches {
			if !slices.Contains(q.Teaches, t.Group) {
				q.Teaches = append(q.Teaches, t.Group)
			}
		}
		if p.Partial {
			for _, f := range p.Fields {
				if f == "teaches_classes" || f == "teaches_groups" {
					f = "teaches"
				}
				q.Fields = append(q.Fields, f)
			}
			if q.Fields == nil {
				q.Fields = []string{}
			}
		}
		in.People = append(in.People, q)
	}
	for _, k := range b.Removed {
		in.Removed = append(in.Removed, Key(k))
	}
	return in
}
