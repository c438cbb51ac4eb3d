// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"slices"
	"strings"

	"github.com/preau/preau/internal/core"
)

// scopedAttrs are the person attributes whose values start with a
// structure id (formats.md §3.3).
var scopedAttrs = []string{"enteleveclasses", "entelevegroupes", "entpersonclasses", "entpersongroupes",
	"entauxensclasses", "entauxensgroupes", "entauxensclassesmatieres", "entauxensgroupesmatieres",
	"entauxensclassesprincipal", "entensfonctiondir", "entpersonfonctions"}

// fieldOrder is the order of Person.Fields.
var fieldOrder = []string{"given_name", "family_name", "profile", "uai", "class", "groups",
	"disciplines", "teaches_classes", "teaches_groups", "head_teacher_of", "functions", "external_ids"}

// person records an Eleve or PersEducNat request.
func (o *aafOutput) person(rec *aafRecord) error {
	file := o.p.w.file
	key := Key{KeyAAF, jointure(firstNonEmpty(first(rec.attrs["entpersonjointure"]), rec.id))}
	if key.Value == "" {
		return perr(file, rec.line, "identifier", "%sRequest without identifier/id", rec.op)
	}
	if rec.op == "delete" {
		if !slices.Contains(o.b.Removed, key) {
			o.b.Removed = append(o.b.Removed, key)
		}
		return nil
	}
	attach := first(rec.attrs["entpersonstructrattach"])
	accept, keep, err := o.scope(rec, attach)
	if err != nil || !keep {
		return err
	}
	pp := Person{Key: key, ExternalIDs: map[string]string{KeyAAF: key.Value}, Structure: attach,
		UAI: o.resolve(attach), Line: rec.line, Partial: rec.op == "modify",
		FamilyName: firstNonEmpty(first(rec.attrs["sn"]), first(rec.attrs["entpersonnom"])),
		GivenName:  firstNonEmpty(first(rec.attrs["givenname"]), first(rec.attrs["entpersonprenom"]))}
	if rec.op == "add" && pp.FamilyName == "" {
		return perr(file, rec.line, "sn", "person %s has no family name (sn)", clip(key.Value))
	}
	if rec.op == "add" && pp.GivenName == "" {
		return perr(file, rec.line, "givenName", "person %s has no given name (givenName)", clip(key.Value))
	}
	if ine := first(rec.attrs["enteleveine"]); ine != "" {
		pp.ExternalIDs[KeyINE] = ine
	}
	if rec.category == catEleve {
		o.pupil(&pp, rec, accept)
	} else if !o.staff(&pp, rec, accept) {
		o.b.drop("ENTPersonProfils (guardian record)")
		return nil
	}
	if pp.Partial {
		for _, f := range fieldOrder {
			if slices.ContainsFunc(rec.mods, func(m string) bool { return slices.Contains(aafFields[m], f) }) {
				pp.Fields = append(pp.Fields, f)
			}
		}
		if len(pp.Fields) == 0 {
			return nil // only dropped attributes changed
		}
	}
	if prev, ok := o.keys[key]; ok {
		return perr(file, rec.line, rec.op+"Request", "two records for %s (lines %d and %d)", clip(key.Value), prev, rec.line)
	}
	o.keys[key] = rec.line
	o.b.People = append(o.b.People, pp)
	return nil
}

// scope decides whether a person record belongs to the batch and returns
// which structure ids its values may name.
func (o *aafOutput) scope(rec *aafRecord, attach string) (accept func(string) bool, keep bool, err error) {
	if o.home != nil {
		accept = func(s string) bool { return s == "" || o.home[s] }
		if attach != "" && o.home[attach] {
			return accept, true, nil
		}
		named := attach != ""
		for _, k := range scopedAttrs {
			for _, v := range rec.attrs[k] {
				s, _, has := cutDollar(v)
				if k == "entensfonctiondir" {
					s, has = v, true
				}
				if has {
					named = true
					if o.home[s] {
						return accept, true, nil
					}
				}
			}
		}
		return accept, !named, nil // a record that names no structure is kept
	}
	if attach != "" && o.attach == "" {
		o.attach, o.attachLine = attach, rec.line
	}
	if attach != "" && attach != o.attach {
		return nil, false, perr(o.p.w.file, rec.line, "ENTPersonStructRattach",
			"people of several establishments (structures %s, line %d, and %s): import the file for one UAI (AAFOptions.UAI)",
			clip(o.attach), o.attachLine, clip(attach))
	}
	return func(s string) bool { return s == "" || s == o.attach || o.attach == "" }, true, nil
}

// scoped returns the $-fields (at least n) of the values of attributes
// whose structure is accepted; values naming another structure are counted
// as dropped. A value without "$" is a bare code: ["", code].
func (o *aafOutput) scoped(rec *aafRecord, accept func(string) bool, n int, names ...string) [][]string {
	var out [][]string
	for _, k := range names {
		for _, v := range rec.attrs[k] {
			if n > 1 && !strings.Contains(v, "$") {
				v = "$" + v
			}
			f := dollar(v, n)
			if !accept(f[0]) {
				o.b.drop(k + " (other establishment)")
				continue
			}
			out = append(out, f)
		}
	}
	return out
}

// pupil fills the class and groups of an Eleve record.
func (o *aafOutput) pupil(pp *Person, rec *aafRecord, accept func(string) bool) {
	pp.Profile = core.ProfilePupil
	for _, f := range o.scoped(rec, accept, 2, "enteleveclasses", "entpersonclasses") {
		switch {
		case f[1] == "":
		case pp.Class == "":
			pp.Class = f[1]
			o.groups.ensure(f[1], KindClass)
		case pp.Class != f[1]:
			o.b.Warnings = append(o.b.Warnings, perr(o.p.w.file, rec.line, "ENTEleveClasses",
				"pupil %s is in two classes (%s, %s): the first is kept", clip(pp.Key.Value), clip(pp.Class), clip(f[1])).Error())
		}
	}
	for _, f := range o.scoped(rec, accept, 2, "entelevegroupes", "entpersongroupes") {
		if f[1] != "" {
			pp.Groups = addUnique(pp.Groups, f[1])
			o.groups.ensure(f[1], KindTeaching)
		}
	}
}
