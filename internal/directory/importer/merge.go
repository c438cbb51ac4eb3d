// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"maps"
	"slices"
	"strings"
)

// Merge combines the batches of one establishment and one school year, e.g.
// SIECLE + Structures + Nomenclature + STS, or the AAF files of one day,
// into a new batch; the inputs are not modified. People keep their order
// (batch by batch); a person in two batches is an error. Groups are merged
// by code, the first non-empty name, level, MEF and divisions winning; a
// code that is a class in one batch and a teaching group in another is an
// error. Then the MEF, subject and structure tables of all batches fill
// Group.Level, Teaching.Subject and Person.UAI where they were missing.
// Complete is true only if every batch is complete; Covers is the union.
// Errors are *ParseError
// naming the files: no batch, two UAIs, two school years, a duplicate person
// or a class/group clash.
func Merge(batches ...*Batch) (*Batch, error) {
	if len(batches) == 0 {
		return nil, perr("", 0, "", "nothing to merge")
	}
	out := &Batch{Complete: true, Dropped: map[string]int{}}
	var srcs []string
	for _, b := range batches {
		if err := out.meta(b); err != nil {
			return nil, err
		}
		srcs = addUnique(srcs, string(b.Source))
	}
	out.Source = Source(strings.Join(srcs, "+"))
	files := strings.Join(out.Files, ", ")
	keys := map[Key]string{}
	var gs groupSet
	for _, b := range batches {
		for _, p := range b.People {
			if f, dup := keys[p.Key]; dup {
				return nil, perr(files, p.Line, "", "%s is in %s and %s", p.Key, f, strings.Join(b.Files, ", "))
			}
			keys[p.Key] = strings.Join(b.Files, ", ")
			out.People = append(out.People, clonePerson(p))
		}
		for _, g := range b.Groups {
			dst, clash := gs.ensure(g.Code, g.Kind)
			if clash {
				return nil, perr(files, 0, "", "%q is a %s in one file and a %s in another", clip(g.Code), dst.Kind, g.Kind)
			}
			mergeGroup(dst, g)
		}
	}
	out.Groups = gs.list
	out.resolve()
	return out, nil
}

// meta merges the identity, tables and counters of b into out.
func (out *Batch) meta(b *Batch) error {
	files := strings.Join(append(slices.Clone(out.Files), b.Files...), ", ")
	if b.UAI != "" && out.UAI != "" && b.UAI != out.UAI {
		return perr(files, 0, "UAI", "files of two establishments (%s and %s)", out.UAI, b.UAI)
	}
	if b.SchoolYear != 0 && out.SchoolYear != 0 && b.SchoolYear != out.SchoolYear {
		return perr(files, 0, "ANNEE_SCOLAIRE", "files of two school years (%d and %d)", out.SchoolYear, b.SchoolYear)
	}
	out.UAI = firstNonEmpty(out.UAI, b.UAI)
	out.SchoolYear = max(out.SchoolYear, b.SchoolYear)
	out.Files = append(out.Files, b.Files...)
	out.Complete = out.Complete && b.Complete
	out.cover(b.Covers...)
	for k, n := range b.Dropped {
		out.Dropped[k] += n
	}
	out.Removed = append(out.Removed, b.Removed...)
	out.Inactive = append(out.Inactive, b.Inactive...)
	out.Warnings = append(out.Warnings, b.Warnings...)
	out.MEFs = mergeMap(out.MEFs, b.MEFs)
	out.Subjects = mergeMap(out.Subjects, b.Subjects)
	out.Structures = mergeMap(out.Structures, b.Structures)
	return nil
}

// mergeMap adds the entries of src that dst does not have.
func mergeMap(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]string{}
	}
	for k, v := range src {
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
	return dst
}

// mergeGroup fills the empty fields of dst from g.
func mergeGroup(dst *Group, g Group) {
	dst.Name = firstNonEmpty(dst.Name, g.Name)
	dst.Level = firstNonEmpty(dst.Level, g.Level)
	dst.MEF = firstNonEmpty(dst.MEF, g.MEF)
	dst.Kind = firstNonEmpty(dst.Kind, g.Kind)
	for _, d := range g.Divisions {
		dst.Divisions = addUnique(dst.Divisions, d)
	}
}

// clonePerson copies the slices and map of p, so that the merged batch
// shares nothing with its inputs.
func clonePerson(p Person) Person {
	p.ExternalIDs = maps.Clone(p.ExternalIDs)
	p.Groups = slices.Clone(p.Groups)
	p.Disciplines = slices.Clone(p.Disciplines)
	p.Teaches = slices.Clone(p.Teaches)
	p.HeadTeacherOf = slices.Clone(p.HeadTeacherOf)
	p.Functions = slices.Clone(p.Functions)
	p.Fields = slices.Clone(p.Fields)
	return p
}

// resolve fills levels, subject labels and UAIs from the merged tables.
func (out *Batch) resolve() {
	resolveLevels(out.Groups, out.MEFs)
	for i := range out.People {
		p := &out.People[i]
		if p.UAI == "" && p.Structure != "" {
			p.UAI = out.Structures[p.Structure]
		}
		if p.UAI == "" && p.Structure == "" && !p.Partial {
			p.UAI = out.UAI
		}
		for j := range p.Teaches {
			t := &p.Teaches[j]
			if l := out.Subjects[t.SubjectCode]; l != "" && (t.Subject == "" || t.Subject == t.SubjectCode) {
				t.Subject = l
			}
		}
	}
}
